import fc from 'fast-check';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PassThrough, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTempName, removeStaleTempFiles, SMALL_WRITE_BYTES, StorageLimitError, writeFileAtomic } from './atomic-write.js';
import { normalizeUserPath, StoragePathError } from './storage-path.js';

let dir: string;
let target: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-write-'));
  target = path.join(dir, 'file.bin');
  await writeFile(target, 'old content');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function* chunks(...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield typeof p === 'string' ? Buffer.from(p) : p;
}

async function tempFilesIn(d: string): Promise<string[]> {
  return (await readdir(d, { recursive: true })).filter((n) => isTempName(path.basename(n)));
}

async function expectUntouched(): Promise<void> {
  expect(await readFile(target, 'utf8')).toBe('old content');
  expect(await tempFilesIn(dir)).toEqual([]);
}

const tempName = () => `.portcullis-upload-${'0123456789abcdef'.repeat(2)}`;

describe('writeFileAtomic', () => {
  it('replaces the content and reports size and, when asked, SHA-256', async () => {
    const res = await writeFileAtomic(target, chunks('hello ', 'world'), { sha256: true });
    expect(await readFile(target, 'utf8')).toBe('hello world');
    expect(res).toEqual({ bytes: 11, sha256: createHash('sha256').update('hello world').digest('hex') });
    expect(await tempFilesIn(dir)).toEqual([]);
    expect(await writeFileAtomic(target, chunks('no ', 'hash'))).toEqual({ bytes: 7 });
    expect(await readFile(target, 'utf8')).toBe('no hash');
  });

  it('a small announced body is written in one piece once it has arrived; a body past its announced size still streams whole', async () => {
    const small = Buffer.alloc(SMALL_WRITE_BYTES, 7);
    // Nothing reaches the temp file before the body ends: the first chunk is held.
    let tempAfterFirst: string | undefined;
    async function* announced() {
      yield small.subarray(0, 100);
      const [temp] = await tempFilesIn(dir);
      tempAfterFirst = await readFile(path.join(dir, temp!), 'utf8');
      yield small.subarray(100);
    }
    expect(await writeFileAtomic(target, announced(), { expectedBytes: small.length, sha256: true })).toEqual({ bytes: small.length, sha256: createHash('sha256').update(small).digest('hex') });
    expect(tempAfterFirst).toBe('');
    expect((await readFile(target)).equals(small)).toBe(true);
    const larger = Buffer.alloc(SMALL_WRITE_BYTES * 3 + 5, 3);
    await writeFileAtomic(target, chunks(larger.subarray(0, 10), larger.subarray(10)), { expectedBytes: 10 });
    expect((await readFile(target)).equals(larger)).toBe(true);
    expect(await tempFilesIn(dir)).toEqual([]);
  });

  it('writes many small chunks in order across batches (and a Uint8Array that is a view)', async () => {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < 3000; i++) parts.push(Buffer.alloc(1000 + (i % 7), i % 251));
    const backing = new Uint8Array(4096).fill(9);
    parts.push(backing.subarray(100, 300));
    const expected = Buffer.concat(parts);
    async function* source() {
      for (const p of parts) yield p;
    }
    const res = await writeFileAtomic(target, source(), { sha256: true });
    expect(res.bytes).toBe(expected.byteLength);
    expect(res.sha256).toBe(createHash('sha256').update(expected).digest('hex'));
    expect((await readFile(target)).equals(expected)).toBe(true);
    expect(await tempFilesIn(dir)).toEqual([]);
  });

  it('creates a new file, including an empty one', async () => {
    await writeFileAtomic(path.join(dir, 'new.txt'), Readable.from([Buffer.from('x')]));
    expect(await readFile(path.join(dir, 'new.txt'), 'utf8')).toBe('x');
    expect((await writeFileAtomic(path.join(dir, 'empty'), chunks())).bytes).toBe(0);
    expect((await stat(path.join(dir, 'empty'))).size).toBe(0);
  });

  it('accepts a Node stream that delivers strings', async () => {
    const pt = new PassThrough();
    const done = writeFileAtomic(target, pt);
    pt.write('ab');
    pt.end('cd');
    expect((await done).bytes).toBe(4);
    expect(await readFile(target, 'utf8')).toBe('abcd');
  });

  it('keeps the old content and no temp file when the source errors half-way', async () => {
    const boom = new Error('client went away');
    async function* failing() {
      yield Buffer.alloc(64 * 1024, 1);
      await sleep(5);
      throw boom;
    }
    await expect(writeFileAtomic(target, failing())).rejects.toBe(boom);
    await expectUntouched();
  });

  it('keeps the old content when a Node stream emits an error half-way', async () => {
    const pt = new PassThrough();
    const done = writeFileAtomic(target, pt);
    pt.write(Buffer.alloc(100_000, 2));
    await sleep(5);
    pt.destroy(new Error('socket reset'));
    await expect(done).rejects.toThrow('socket reset');
    await expectUntouched();
  });

  it('refuses with StorageLimitError past maxBytes, old content intact', async () => {
    const err = await writeFileAtomic(target, chunks('12345', '67890', 'x'), { maxBytes: 10 }).catch((e) => e);
    expect(err).toBeInstanceOf(StorageLimitError);
    expect(err).toMatchObject({ code: 'too_large', limit: 10 });
    await expectUntouched();
  });

  it('releases a Node stream source on failure, as stream.pipeline does', async () => {
    const pt = new PassThrough();
    const done = writeFileAtomic(target, pt, { maxBytes: 3 });
    pt.write('abcd');
    await expect(done).rejects.toBeInstanceOf(StorageLimitError);
    expect(pt.destroyed).toBe(true);
    await expectUntouched();
  });

  it('accepts exactly maxBytes', async () => {
    expect((await writeFileAtomic(target, chunks('12345', '67890'), { maxBytes: 10 })).bytes).toBe(10);
  });

  it('aborts via AbortSignal while the source stalls, old content intact', async () => {
    const ac = new AbortController();
    async function* stalling() {
      yield Buffer.from('partial');
      await new Promise(() => undefined); // never delivers more
    }
    const done = writeFileAtomic(target, stalling(), { signal: ac.signal });
    await sleep(20);
    expect(await tempFilesIn(dir)).toHaveLength(1); // the upload really was in progress
    ac.abort();
    await expect(done).rejects.toMatchObject({ name: 'AbortError' });
    await expectUntouched();
  });

  it('aborts a stalled Node stream and destroys it', async () => {
    const ac = new AbortController();
    const pt = new PassThrough();
    const done = writeFileAtomic(target, pt, { signal: ac.signal });
    pt.write('partial');
    await sleep(20);
    ac.abort(new Error('client gone'));
    await expect(done).rejects.toThrow('client gone'); // the abort reason is what is thrown
    expect(pt.destroyed).toBe(true);
    await expectUntouched();
  });

  it('refuses to start with an already aborted signal', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(writeFileAtomic(target, chunks('new'), { signal: ac.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    await expectUntouched();
  });

  it('fails cleanly when the target directory does not exist', async () => {
    const pt = new PassThrough();
    await expect(writeFileAtomic(path.join(dir, 'nope', 'f'), pt)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(pt.destroyed).toBe(true);
    await expectUntouched();
  });

  it('fails cleanly when the target is a directory', async () => {
    await mkdir(path.join(dir, 'sub'));
    await expect(writeFileAtomic(path.join(dir, 'sub'), chunks('x'))).rejects.toThrow();
    expect((await stat(path.join(dir, 'sub'))).isDirectory()).toBe(true);
    await expectUntouched();
  });

  it('concurrent writes to the same target end with one whole version', async () => {
    const size = 512 * 1024;
    async function* version(byte: number) {
      for (let sent = 0; sent < size; sent += 16 * 1024) {
        yield Buffer.alloc(16 * 1024, byte);
        if (sent % (64 * 1024) === 0) await sleep(Math.random() * 3);
      }
    }
    const writers = Array.from({ length: 8 }, (_, i) => writeFileAtomic(target, version(i + 1)));
    // A reader during the race sees the old file or one whole version, never a mix.
    const reads: Buffer[] = [];
    while (reads.length < 20) {
      reads.push(await readFile(target));
      await sleep(1);
    }
    await Promise.all(writers);
    for (const buf of [...reads, await readFile(target)]) {
      if (buf.toString() === 'old content') continue;
      expect(buf.length).toBe(size);
      expect(buf.every((b) => b === buf[0])).toBe(true);
    }
    expect((await readFile(target)).length).toBe(size);
    expect(await tempFilesIn(dir)).toEqual([]);
  });

  it('property: what is read back is exactly what was streamed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 2000 }), { maxLength: 10 }), async (parts) => {
        const res = await writeFileAtomic(target, chunks(...parts));
        const expected = Buffer.concat(parts);
        expect(await readFile(target)).toEqual(expected);
        expect(res.bytes).toBe(expected.length);
      }),
      { numRuns: 50 },
    );
  });
});

describe('temp names', () => {
  it('isTempName covers the reserved prefix and nothing else', () => {
    expect(isTempName(tempName())).toBe(true);
    expect(isTempName('.Portcullis-whatever')).toBe(true);
    expect(isTempName('portcullis-upload-1')).toBe(false);
    expect(isTempName('report.portcullis-upload')).toBe(false);
    expect(isTempName('.portcullis')).toBe(false);
  });

  it('users cannot address temp files', () => {
    expect(() => normalizeUserPath('/docs/' + tempName())).toThrow(StoragePathError);
  });
});

describe('removeStaleTempFiles', () => {
  const old = new Date(Date.now() - 3_600_000);

  it('removes old temp files left by a crash, recursively, and nothing else', async () => {
    await mkdir(path.join(dir, 'a', 'b'), { recursive: true });
    const stale = [path.join(dir, tempName()), path.join(dir, 'a', 'b', tempName())];
    const fresh = path.join(dir, 'a', tempName());
    const reservedOther = path.join(dir, '.portcullis-keep'); // reserved, but not an upload temp
    const userFile = path.join(dir, 'a', 'b', 'user.txt');
    for (const f of [...stale, fresh, reservedOther, userFile]) await writeFile(f, 'partial');
    for (const f of [...stale, reservedOther, userFile]) await utimes(f, old, old);

    expect(await removeStaleTempFiles(dir, 60_000)).toBe(2);
    for (const f of stale) await expect(stat(f)).rejects.toMatchObject({ code: 'ENOENT' });
    for (const f of [fresh, reservedOther, userFile, target]) await expect(stat(f)).resolves.toBeTruthy();
  });

  it('cleans up after a real kill -9 mid-upload, which never touched the target', async () => {
    // The child imports this very module (.ts, via Node's own type transform and a .js→.ts
    // resolve hook), writes one chunk, then is killed while waiting for more.
    const child = spawn(
      process.execPath,
      [
        '--experimental-transform-types',
        '--no-warnings',
        '--input-type=module',
        '-e',
        `import { registerHooks } from 'node:module';
        registerHooks({ resolve(s, c, next) {
          try { return next(s, c); } catch (e) { if (s.endsWith('.js')) return next(s.slice(0, -3) + '.ts', c); throw e; }
        } });
        const { writeFileAtomic } = await import(process.argv[1]);
        setInterval(() => {}, 1000);
        async function* src() { yield Buffer.from('partial'); console.log('written'); await new Promise(() => {}); }
        await writeFileAtomic(process.argv[2], src());`,
        fileURLToPath(new URL('./atomic-write.ts', import.meta.url)),
        target,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = once(child, 'exit');
    await once(child.stdout, 'data');
    // The chunk was handed over; its write may still be in flight, so wait until it is on disk.
    while (!(await tempFilesIn(dir)).length || (await readFile(path.join(dir, (await tempFilesIn(dir))[0]!), 'utf8')) !== 'partial') {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    child.kill('SIGKILL');
    expect((await exited)[1]).toBe('SIGKILL');

    const leftovers = await tempFilesIn(dir);
    expect(leftovers).toHaveLength(1);
    expect(await readFile(path.join(dir, leftovers[0]!), 'utf8')).toBe('partial');
    expect(await readFile(target, 'utf8')).toBe('old content');

    await utimes(path.join(dir, leftovers[0]!), old, old);
    expect(await removeStaleTempFiles(dir, 60_000)).toBe(1);
    await expectUntouched();
  });

  it('does not follow symlinks out of the area', async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), 'portcullis-outside-'));
    try {
      const victim = path.join(outside, tempName());
      await writeFile(victim, 'not ours');
      await utimes(victim, old, old);
      await symlink(outside, path.join(dir, 'link'));
      expect(await removeStaleTempFiles(dir, 60_000)).toBe(0);
      await expect(stat(victim)).resolves.toBeTruthy();
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('leaves an upload in progress alone', async () => {
    const ac = new AbortController();
    async function* stalling() {
      yield Buffer.from('partial');
      await new Promise(() => undefined);
    }
    const done = writeFileAtomic(target, stalling(), { signal: ac.signal });
    await sleep(20);
    expect(await removeStaleTempFiles(dir, 60_000)).toBe(0);
    expect(await tempFilesIn(dir)).toHaveLength(1);
    ac.abort();
    await expect(done).rejects.toMatchObject({ name: 'AbortError' });
  });
});
