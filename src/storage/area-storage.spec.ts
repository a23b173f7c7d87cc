import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EVERY_MEMBER } from './storage.types.js';
import { codeOf } from '../../test/support/domain-error-code.js';
import { AreaStorage, FileReadStream } from './area-storage.js';

const ALL = { source: EVERY_MEMBER, target: EVERY_MEMBER };

let base: string;
let area: AreaStorage;

beforeEach(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'portcullis-area-'));
  area = new AreaStorage(path.join(base, 'acct', 'main')); // created on first use
});
afterEach(async () => {
  vi.useRealTimers();
  await rm(base, { recursive: true, force: true });
});

const text = (s: string) => Readable.from([Buffer.from(s)]);
const read = async (p: string) => {
  const h = await area.openRead(p);
  const chunks: Buffer[] = [];
  for await (const c of h.stream()) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
};

describe('AreaStorage', () => {
  it('creates the area lazily and starts empty', async () => {
    const { folder, entries, truncated } = await area.list('/', EVERY_MEMBER);
    expect(folder).toMatchObject({ name: '', path: '/', type: 'directory' });
    expect(entries).toEqual([]);
    expect(truncated).toBe(false);
  });

  it('writes with and without parent creation (WebDAV wants 409 for a missing parent)', async () => {
    expect(await codeOf(area.write('/a/b.txt', text('x')))).toBe('conflict');
    const res = await area.write('/a/b.txt', text('x'), { createParents: true });
    expect(res).toMatchObject({ created: true, bytes: 1, entry: { path: '/a/b.txt', size: 1 } });
    expect((await area.write('/a/b.txt', text('yy'))).created).toBe(false);
    expect(await codeOf(area.write('/a/b.txt', text('z'), { overwrite: false }))).toBe('conflict');
    expect(await read('/a/b.txt')).toBe('yy');
    // A file where a folder is needed
    expect(await codeOf(area.write('/a/b.txt/c', text('z'), { createParents: true }))).toBe('conflict');
    expect(await codeOf(area.write('/a', text('z')))).toBe('conflict');
  });

  it('writes many files into one new folder at once: each finds the folder another made', async () => {
    // Started a turn of the event loop apart, so some look for the folder while others make it.
    const writes: Array<Promise<unknown>> = [];
    for (let i = 0; i < 64; i++) {
      writes.push(area.write(`/new/deeper/f${i}.txt`, Readable.from([`file ${i}`]), { createParents: true }));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const results = await Promise.allSettled(writes);
    expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
    expect((await area.list('/new/deeper', EVERY_MEMBER)).entries).toHaveLength(64);
  });

  it('removes the parent folders it created when the write fails', async () => {
    const src = new PassThrough();
    const done = area.write('/new/deep/file.bin', src, { createParents: true, maxBytes: 3 });
    src.write('too long');
    expect(await codeOf(done)).toBe('payload_too_large');
    expect(await readdir(area.root)).toEqual([]);
  });

  it('lists with a limit, saying when it was truncated', async () => {
    for (const n of ['c', 'a', 'b']) await area.write(`/d/${n}`, text(n), { createParents: true });
    const { entries, truncated } = await area.list('/d', EVERY_MEMBER, { limit: 2 });
    expect(entries.map((e) => e.name)).toEqual(['a', 'b']);
    expect(truncated).toBe(true);
    expect((await area.list('/d', EVERY_MEMBER, { limit: 3 })).truncated).toBe(false);
  });

  it('lists and walks a folder of 2,500 entries, every entry once, in name order', async () => {
    await area.write('/big/seed', text('x'), { createParents: true });
    const names = Array.from({ length: 2500 }, (_, i) => `f${String(i).padStart(4, '0')}`);
    // Written on disk directly: 2,500 atomic writes would only slow the test.
    const dir = path.join(base, 'acct', 'main', 'big');
    await Promise.all(names.map((n) => writeFile(path.join(dir, n), n)));
    const expected = [...names, 'seed'];
    const listed = await area.list('/big', EVERY_MEMBER, { limit: 10_000 });
    expect(listed.entries.map((e) => e.name)).toEqual(expected);
    const walked: string[] = [];
    for await (const e of (await area.children('/big', EVERY_MEMBER)).children) walked.push(e.name);
    expect(walked).toEqual(expected);
  });

  it('hides temp files, links, special files and names the API cannot address', async () => {
    await area.write('/ok.txt', text('ok'));
    await writeFile(path.join(area.root, '.portcullis-upload-0123456789abcdef0123456789abcdef'), 'partial');
    await writeFile(path.join(area.root, 'back\\slash'), 'x');
    await writeFile(path.join(area.root, 'ctrl\u0001'), 'x');
    await symlink(path.join(area.root, 'ok.txt'), path.join(area.root, 'inner-link'));
    expect((await area.list('/', EVERY_MEMBER)).entries.map((e) => e.name)).toEqual(['ok.txt']);
  });

  it('copies folders deeply or shallowly, and files atomically', async () => {
    await area.write('/src/a.txt', text('a'), { createParents: true });
    await area.write('/src/sub/b.txt', text('b'), { createParents: true });
    await area.copy('/src', '/deep', ALL);
    expect(await read('/deep/sub/b.txt')).toBe('b');
    await area.copy('/src', '/shallow', ALL, { shallow: true });
    expect((await area.list('/shallow', EVERY_MEMBER)).entries).toEqual([]);
    expect(await codeOf(area.copy('/src', '/deep', ALL))).toBe('conflict');
    expect((await area.copy('/src/a.txt', '/deep', ALL, { overwrite: true })).replaced).toBe(true);
    expect(await read('/deep')).toBe('a');
    expect(await codeOf(area.copy('/src', '/x/y', ALL))).toBe('conflict'); // no parent, not asked to create it
    expect(await codeOf(area.copy('/nope', '/x', ALL))).toBe('not_found');
  });

  it('moves, refusing the root, itself and its own inside', async () => {
    await area.write('/m/f.txt', text('f'), { createParents: true });
    expect(await codeOf(area.move('/', '/x', ALL))).toBe('path_invalid');
    expect(await codeOf(area.move('/m', '/', ALL))).toBe('conflict');
    expect(await codeOf(area.move('/m', '/m', ALL))).toBe('conflict');
    expect(await codeOf(area.move('/m', '/m/inner', ALL))).toBe('conflict');
    const moved = await area.move('/m', '/n', ALL);
    expect(moved).toMatchObject({ entry: { path: '/n', type: 'directory' }, replaced: false });
    expect(await read('/n/f.txt')).toBe('f');
    expect(await area.tryStat('/m')).toBeNull();
  });

  it('deletes files and folders but never the root', async () => {
    await area.write('/d/f.txt', text('f'), { createParents: true });
    expect(await codeOf(area.delete('/', EVERY_MEMBER))).toBe('path_invalid');
    await area.delete('/d', EVERY_MEMBER);
    expect(await area.tryStat('/d')).toBeNull();
    expect(await codeOf(area.delete('/d', EVERY_MEMBER))).toBe('not_found');
  });

  it('opens files for ranges and refuses folders', async () => {
    await area.write('/r.txt', text('0123456789'));
    const h = await area.openRead('/r.txt');
    expect(h.entry.size).toBe(10);
    const chunks: Buffer[] = [];
    for await (const c of h.stream({ start: 2, end: 4 })) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('234');
    await h.close(); // harmless after the stream took the file
    const unused = await area.openRead('/r.txt');
    await unused.close();
    expect(await codeOf(area.openRead('/'))).toBe('conflict');
    expect(await codeOf(area.openRead('/none'))).toBe('not_found');
  });

  it('reads a small file or a range of it into one buffer of its size, once', async () => {
    await area.write('/r.txt', text('0123456789'));
    const whole = await area.openRead('/r.txt');
    const all = await whole.read();
    expect(all.toString()).toBe('0123456789');
    expect(all.length).toBe(10);
    await expect(whole.read()).rejects.toThrow(/taken twice/);
    expect(() => whole.stream()).toThrow(/taken twice/);
    await whole.close(); // harmless after read() took the file
    expect((await (await area.openRead('/r.txt')).read({ start: 2, end: 4 })).toString()).toBe('234');
    await area.write('/empty.txt', text(''));
    expect((await (await area.openRead('/empty.txt')).read()).length).toBe(0);
  });

  it('streams files larger than one read chunk intact and lets go of the descriptor', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    await area.write('/big.bin', Readable.from([data]));
    const openFds = async () => (await readdir('/proc/self/fd')).length;
    const before = await openFds();
    const h = await area.openRead('/big.bin');
    const chunks: Buffer[] = [];
    for await (const c of h.stream()) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    expect(await openFds()).toBe(before);
    const ranged = await area.openRead('/big.bin');
    const part: Buffer[] = [];
    for await (const c of ranged.stream({ start: 1024 * 1024 - 1, end: 2 * 1024 * 1024 })) part.push(c as Buffer);
    expect(Buffer.concat(part).equals(data.subarray(1024 * 1024 - 1, 2 * 1024 * 1024 + 1))).toBe(true);
    expect(await openFds()).toBe(before);
  });

  it('reuses its buffers only for chunks its one destination has written out', async () => {
    const data = randomBytes(9 * 1024 * 1024 + 5);
    await area.write('/big.bin', Readable.from([data]));
    // A slow destination that, like a socket, takes a chunk's bytes only when its write
    // completes: a buffer read into again before that would change what it sends.
    const sent: Buffer[] = [];
    let writes = 0;
    const slow = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _enc, done) {
        writes++;
        setTimeout(() => {
          sent.push(Buffer.from(chunk));
          done();
        }, 2);
      },
    });
    const h = await area.openRead('/big.bin');
    const stream = h.stream();
    const seen = new Set<ArrayBuffer>();
    stream.on('data', (c: Buffer) => seen.add(c.buffer as ArrayBuffer));
    await pipeline(stream, slow);
    expect(Buffer.concat(sent).equals(data)).toBe(true);
    expect(stream).toBeInstanceOf(FileReadStream);
    expect(seen.size).toBeLessThan(writes); // buffers did come round again

    // Read without a pipe (or into two), it never reuses.
    const iterated = await area.openRead('/big.bin');
    const buffers = new Set<ArrayBuffer>();
    for await (const c of iterated.stream()) buffers.add((c as Buffer).buffer as ArrayBuffer);
    expect(buffers.size).toBe(10);
  });

  it('closes the file once a read under way ends when destroyed mid-way', async () => {
    await area.write('/big.bin', Readable.from([randomBytes(4 * 1024 * 1024)]));
    const openFds = async () => (await readdir('/proc/self/fd')).length;
    const before = await openFds();
    const stream = (await area.openRead('/big.bin')).stream();
    await new Promise<void>((resolve) => stream.once('data', () => resolve()));
    stream.destroy();
    await new Promise((resolve) => stream.once('close', resolve));
    expect(await openFds()).toBe(before);
  });

  it('remembers its root: a root swapped for a link afterwards leads nowhere outside', async () => {
    await area.write('/doc.txt', text('mine'));
    const outside = path.join(base, 'outside');
    await mkdir(outside);
    await writeFile(path.join(outside, 'doc.txt'), 'not mine');
    await rename(area.root, path.join(base, 'acct', 'moved'));
    await symlink(outside, area.root);
    expect(await codeOf(read('/doc.txt'))).toBe('path_escape');
  });

  it('makes a root removed on disk again once the remembered one expires', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    await area.write('/a.txt', text('a'));
    await rm(area.root, { recursive: true });
    vi.setSystemTime(Date.now() + 11_000);
    await area.write('/b.txt', text('b'));
    expect(await read('/b.txt')).toBe('b');
  });

  it('gives a new ETag when the content is replaced', async () => {
    const first = (await area.write('/e.txt', text('same'))).entry.etag;
    const second = (await area.write('/e.txt', text('same'))).entry.etag;
    expect(first).toMatch(/^"[0-9a-z]+-[0-9a-z]+-[0-9a-z]+"$/);
    expect(second).not.toBe(first); // a new inode each time
    expect((await area.stat('/e.txt')).etag).toBe(second);
  });

  it('maps path errors to their codes', async () => {
    expect(await codeOf(area.stat('../x'))).toBe('path_escape');
    expect(await codeOf(area.stat('a\0b'))).toBe('path_invalid');
    expect(await codeOf(area.stat('/' + 'a'.repeat(300)))).toBe('path_too_long');
    await mkdir(path.join(base, 'elsewhere'));
    await mkdir(area.root, { recursive: true });
    await symlink(path.join(base, 'elsewhere'), path.join(area.root, 'out'));
    expect(await codeOf(area.write('/out/x', text('x')))).toBe('path_escape');
    expect(await codeOf(area.mkdir('/out/d', { parents: true }))).toBe('path_escape');
    expect(await readdir(path.join(base, 'elsewhere'))).toEqual([]);
  });
});
