import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AreaStorage } from './area-storage.js';
import { RACY_MS, SNAPSHOT_TTL_MS } from './core/folder-snapshots.js';
import { EVERY_MEMBER, type MemberAccess, type StorageEntry } from './storage.types.js';

// Listings remember a folder's files while the folder is unchanged (FolderSnapshots). These
// tests move the wall clock past RACY_MS so that every listing is remembered, also right after
// a change, and check that each change the service or another writer makes shows at once.

const ALL = { source: EVERY_MEMBER, target: EVERY_MEMBER };
let base: string;
let area: AreaStorage;

beforeEach(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'portcullis-snapshots-'));
  area = new AreaStorage(path.join(base, 'acct', 'main'));
  await area.write('/d/a.txt', text('a'), { createParents: true });
  await area.write('/d/b.txt', text('bb'));
  await area.mkdir('/d/sub');
});
afterEach(async () => {
  vi.useRealTimers();
  await rm(base, { recursive: true, force: true });
});

const text = (s: string) => Readable.from([Buffer.from(s)]);
/** The folder's listing as name → size and modification time, by `list` and by `children` (they must agree). */
async function listing(folder = '/d', access: MemberAccess = EVERY_MEMBER): Promise<Record<string, string>> {
  const shown = (entries: StorageEntry[]) => Object.fromEntries(entries.map((e) => [e.name, `${e.type} ${e.size} ${e.modified.toISOString()}`]));
  const listed = shown((await area.list(folder, access)).entries);
  const streamed: StorageEntry[] = [];
  for await (const e of (await area.children(folder, access)).children) streamed.push(e);
  expect(shown(streamed)).toEqual(listed);
  return listed;
}
/** From now on, every folder looks settled: changed longer than RACY_MS ago. */
function settleFolders(): void {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Date.now() + RACY_MS + 1_000);
}
const onDisk = (p: string) => path.join(area.root, p);

describe('AreaStorage listings from folder snapshots', () => {
  it('are remembered while the folder is unchanged, and read again once they expire', async () => {
    settleFolders();
    const before = await listing();
    // Changed in place behind the service's back: the folder's stamp stays, so the snapshot serves.
    appendFileSync(onDisk('/d/a.txt'), 'more');
    expect(await listing()).toEqual(before);
    vi.setSystemTime(Date.now() + SNAPSHOT_TTL_MS + 1);
    expect((await listing())['a.txt']).toMatch(/^file 5 /);
  });

  it('are not remembered for a folder changed within RACY_MS (its stamp may repeat)', async () => {
    await listing();
    appendFileSync(onDisk('/d/a.txt'), 'more');
    expect((await listing())['a.txt']).toMatch(/^file 5 /);
  });

  it('show every change the service makes at once', async () => {
    settleFolders();
    const changes: Array<[string, () => Promise<unknown>, (l: Record<string, string>) => void]> = [
      ['a new file', () => area.write('/d/c.txt', text('ccc')), (l) => expect(l['c.txt']).toMatch(/^file 3 /)],
      ['an overwrite', () => area.write('/d/a.txt', text('aaaa')), (l) => expect(l['a.txt']).toMatch(/^file 4 /)],
      ['a delete', () => area.delete('/d/b.txt', EVERY_MEMBER), (l) => expect(l['b.txt']).toBeUndefined()],
      ['a move in', () => area.write('/x.txt', text('x')).then(() => area.move('/x.txt', '/d/x.txt', ALL)), (l) => expect(l['x.txt']).toMatch(/^file 1 /)],
      ['a move out', () => area.move('/d/x.txt', '/x.txt', ALL), (l) => expect(l['x.txt']).toBeUndefined()],
      ['a copy over', () => area.copy('/x.txt', '/d/a.txt', ALL, { overwrite: true }), (l) => expect(l['a.txt']).toMatch(/^file 1 /)],
      ['a new folder', () => area.mkdir('/d/new'), (l) => expect(l['new']).toMatch(/^directory 0 /)],
      ['a modification time set', () => area.setModified('/d/c.txt', new Date('2001-02-03T04:05:06Z')), (l) => expect(l['c.txt']).toBe('file 3 2001-02-03T04:05:06.000Z')],
      ['the time of a sub-folder set', () => area.setModified('/d/sub', new Date('2002-01-01T00:00:00Z')), (l) => expect(l['sub']).toMatch(/2002-01-01/)],
      // Changes the sub-folder's time, not its parent's stamp.
      ['a file written into a sub-folder', () => area.write('/d/sub/f.txt', text('f')), (l) => expect(l['sub']).not.toMatch(/2002-01-01/)],
    ];
    for (const [what, change, check] of changes) {
      await listing(); // remembered
      await change();
      const after = await listing();
      try {
        check(after);
      } catch (err) {
        throw new Error(`after ${what}: ${JSON.stringify(after)}`, { cause: err });
      }
    }
  });

  it('show what another writer on the same storage renames in or removes (another instance)', async () => {
    settleFolders();
    await listing();
    writeFileSync(onDisk('/elsewhere.tmp'), 'other');
    renameSync(onDisk('/elsewhere.tmp'), onDisk('/d/b.txt'));
    expect((await listing())['b.txt']).toMatch(/^file 5 /);
    renameSync(onDisk('/d/b.txt'), onDisk('/gone.txt'));
    expect((await listing())['b.txt']).toBeUndefined();
  });

  it('decide access for each request, not once for the snapshot', async () => {
    settleFolders();
    expect(Object.keys(await listing())).toEqual(['a.txt', 'b.txt', 'sub']);
    const onlyB: MemberAccess = { require: () => undefined, requireTree: () => undefined, allows: (p) => p === '/d/b.txt', uniformBeneath: () => false };
    expect(Object.keys(await listing('/d', onlyB))).toEqual(['b.txt']);
    expect(Object.keys(await listing())).toEqual(['a.txt', 'b.txt', 'sub']);
  });

  it('carry the path the folder was asked by (a folder reached through a link)', async () => {
    settleFolders();
    const { symlinkSync } = await import('node:fs');
    symlinkSync(onDisk('/d'), onDisk('/link'));
    await listing('/d');
    const viaLink = (await area.list('/link', EVERY_MEMBER)).entries.map((e) => e.path);
    expect(viaLink).toEqual(['/link/a.txt', '/link/b.txt', '/link/sub']);
    expect((await area.list('/d', EVERY_MEMBER)).entries.map((e) => e.path)).toEqual(['/d/a.txt', '/d/b.txt', '/d/sub']);
  });
});
