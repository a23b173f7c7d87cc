import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/** What the real file system calls did, in order (node:fs is wrapped, never replaced). */
const events: string[] = [];
const dirFds = new Set<number>();
let watchedDir = '';

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const kind = (fd: number) => (dirFds.has(fd) ? 'folder' : 'file');
  const wrapped = {
    ...fs,
    openSync: ((p: string, ...rest: unknown[]) => {
      const fd = (fs.openSync as (...a: unknown[]) => number)(p, ...rest);
      if (p === watchedDir) dirFds.add(fd);
      return fd;
    }) as typeof fs.openSync,
    fsync: ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
      events.push(`fsync ${kind(fd)}`);
      fs.fsync(fd, (err) => {
        events.push(`fsynced ${kind(fd)}`);
        cb(err);
      });
    }) as typeof fs.fsync,
    rename: ((from: string, to: string, cb: (err: NodeJS.ErrnoException | null) => void) => {
      events.push('rename');
      fs.rename(from, to, (err) => {
        events.push('renamed');
        cb(err);
      });
    }) as typeof fs.rename,
  };
  return { ...wrapped, default: wrapped };
});

const { writeFileAtomic } = await import('./atomic-write.js');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-order-'));
  watchedDir = dir;
  events.length = 0;
  dirFds.clear();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic, the order of its durable steps', () => {
  it('syncs the file before the rename, and answers only after a folder fsync that started after the rename ended', async () => {
    const done = writeFileAtomic(path.join(dir, 'f.txt'), Readable.from([Buffer.from('content')]), { expectedBytes: 7 }).then(() => events.push('answered'));
    await done;
    const at = (e: string) => events.indexOf(e);
    expect(at('fsynced file')).toBeGreaterThan(-1);
    expect(at('fsynced file')).toBeLessThan(at('rename'));
    expect(at('renamed')).toBeLessThan(at('fsync folder'));
    expect(at('fsynced folder')).toBeLessThan(at('answered'));
    expect(await readFile(path.join(dir, 'f.txt'), 'utf8')).toBe('content');
  });
});
