import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EVERY_MEMBER } from './storage.types.js';
import { AreaStorage } from './area-storage.js';

// `café` as macOS sends it (NFD: e + COMBINING ACUTE ACCENT) and as Linux and Windows type it (NFC).
const NFD = 'cafe\u0301';
const NFC = 'caf\u00E9';

let base: string;
let root: string;
let area: AreaStorage;

beforeEach(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'portcullis-unicode-'));
  root = path.join(base, 'acct', 'main');
  area = new AreaStorage(root);
  await mkdir(root, { recursive: true });
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

async function childPaths(userPath: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of (await area.children(userPath, EVERY_MEMBER)).children) out.push(e.path);
  return out;
}

describe('AreaStorage: one name per NFC form', () => {
  it('stores a name sent in NFD under its NFC form: the other form then names the same file', async () => {
    await area.write(`/${NFD}.txt`, Readable.from([Buffer.from('one')]));
    await area.write(`/${NFC}.txt`, Readable.from([Buffer.from('two')]));
    expect(await readdir(root)).toEqual([`${NFC}.txt`]);
    expect((await area.stat(`/${NFD}.txt`)).path).toBe(`/${NFC}.txt`);
    expect(await readFile(path.join(root, `${NFC}.txt`), 'utf8')).toBe('two');
  });

  it('reaches, lists and copies a name an earlier version stored in NFD, by its NFC name', async () => {
    await mkdir(path.join(root, NFD));
    await writeFile(path.join(root, NFD, `${NFD}.txt`), 'legacy');
    expect(await area.stat(`/${NFC}/${NFC}.txt`)).toMatchObject({ path: `/${NFC}/${NFC}.txt`, name: `${NFC}.txt`, type: 'file' });
    expect(await childPaths('/')).toEqual([`/${NFC}`]);
    expect(await childPaths(`/${NFC}`)).toEqual([`/${NFC}/${NFC}.txt`]);
    const listed = await area.list('/', EVERY_MEMBER, { recursive: true });
    expect(listed.entries.map((e) => e.path)).toEqual([`/${NFC}`, `/${NFC}/${NFC}.txt`]);

    // Overwriting keeps the one file (its name on disk unchanged); a copy is made in NFC.
    await area.write(`/${NFC}/${NFC}.txt`, Readable.from([Buffer.from('new')]));
    expect(await readdir(path.join(root, NFD))).toEqual([`${NFD}.txt`]);
    await area.copy(`/${NFC}`, '/copy', { source: EVERY_MEMBER, target: EVERY_MEMBER });
    expect(await readdir(path.join(root, 'copy'))).toEqual([`${NFC}.txt`]);
    // A move gives the moved entry the NFC name it was asked for.
    await area.move(`/${NFD}`, `/${NFC}-moved`, { source: EVERY_MEMBER, target: EVERY_MEMBER });
    expect((await readdir(root)).sort()).toEqual([`${NFC}-moved`, 'copy']);
    await area.delete(`/${NFC}-moved/${NFC}.txt`, EVERY_MEMBER);
    expect(await readdir(path.join(root, `${NFC}-moved`))).toEqual([]);
  });

  it('lists one entry when both forms are on disk: the one requests reach, the NFC name', async () => {
    await writeFile(path.join(root, NFD), 'nfd');
    await writeFile(path.join(root, NFC), 'nfc');
    expect(await childPaths('/')).toEqual([`/${NFC}`]);
    const listed = await area.list('/', EVERY_MEMBER);
    expect(listed.entries.map((e) => [e.path, e.size])).toEqual([[`/${NFC}`, 3]]);
    const read = await area.openRead(`/${NFD}`);
    await read.close();
    expect(read.entry.size).toBe(3);
  });
});
