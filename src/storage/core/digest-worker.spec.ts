import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from './atomic-write.js';
import { DigestJob, INLINE_DIGEST_BYTES } from './digest-worker.js';

const hex = (name: string, data: Uint8Array) => createHash(name).update(data).digest('hex');

describe('DigestJob (digests on a worker thread)', () => {
  it('computes what node:crypto computes, for any chunking, several jobs at once', async () => {
    const data = randomBytes(5 * 1024 * 1024 + 333);
    const cuts = [1, 17, 65_536, 1024 * 1024, 3 * 1024 * 1024 + 5];
    const jobs = cuts.map(async (size) => {
      const job = new DigestJob(['md5', 'sha1', 'sha256']);
      for (let at = 0; at < data.length; at += size) {
        const waited = job.update(data.subarray(at, at + size));
        if (waited) await waited;
      }
      return job.finish();
    });
    for (const digests of await Promise.all(jobs)) {
      expect(digests).toEqual({ md5: hex('md5', data), sha1: hex('sha1', data), sha256: hex('sha256', data) });
    }
    expect(await new DigestJob(['sha1']).finish()).toEqual({ sha1: hex('sha1', new Uint8Array()) });
  });

  it('a body up to INLINE_DIGEST_BYTES is hashed without the worker, one past it on the worker, both right', async () => {
    for (const size of [0, 4096, INLINE_DIGEST_BYTES, INLINE_DIGEST_BYTES + 1]) {
      const data = randomBytes(size);
      const job = new DigestJob(['md5', 'sha1']);
      const chunk = Buffer.alloc(1000);
      for (let at = 0; at < size; at += 1000) {
        // The caller reuses its buffer: the job must have copied what it was given.
        const n = data.copy(chunk, 0, at, Math.min(size, at + 1000));
        const waited = job.update(chunk.subarray(0, n));
        if (waited) await waited;
        chunk.fill(0);
      }
      expect(await job.finish()).toEqual({ md5: hex('md5', data), sha1: hex('sha1', data) });
    }
  });

  it('copies each chunk: the caller may reuse its buffer at once', async () => {
    const job = new DigestJob(['sha1']);
    const chunk = Buffer.alloc(300_000, 1);
    const expected = createHash('sha1');
    for (let i = 0; i < 40; i++) {
      chunk.fill(i);
      expected.update(chunk);
      const waited = job.update(chunk);
      if (waited) await waited;
    }
    expect((await job.finish()).sha1).toBe(expected.digest('hex'));
  });

  it('asks the caller to wait once it is far behind, and lets it go on', async () => {
    const job = new DigestJob(['md5']);
    const big = randomBytes(20 * 1024 * 1024);
    const waited = job.update(big);
    expect(waited).toBeInstanceOf(Promise);
    await waited;
    expect((await job.finish()).md5).toBe(hex('md5', big));
  });

  it('an aborted job never settles and leaves the worker free for others', async () => {
    const aborted = new DigestJob(['md5']);
    aborted.update(randomBytes(2 * 1024 * 1024));
    aborted.abort();
    aborted.abort();
    const other = new DigestJob(['md5']);
    other.update(Buffer.from('after'));
    expect((await other.finish()).md5).toBe(hex('md5', Buffer.from('after')));
  });
});

describe('writeFileAtomic: digests, modification time, verify', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-digest-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  async function* chunks(...parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
    yield* parts;
  }

  it('returns the digests asked for and gives the file the modification time asked for', async () => {
    const a = randomBytes(1500_000);
    const b = randomBytes(77);
    const target = path.join(dir, 'f.bin');
    const result = await writeFileAtomic(target, chunks(a, b), { digests: ['sha1', 'md5'], mtime: new Date(1_500_000_000_123) });
    const all = Buffer.concat([a, b]);
    expect(result).toEqual({ bytes: all.length, digests: { sha1: hex('sha1', all), md5: hex('md5', all) } });
    expect((await stat(target)).mtimeMs).toBe(1_500_000_000_123);
  });

  it('verify sees the digests before the rename; throwing leaves the old file and no temp file', async () => {
    const target = path.join(dir, 'f.bin');
    await writeFile(target, 'old');
    let seen: unknown;
    const refusal = new Error('checksum mismatch');
    await expect(
      writeFileAtomic(target, chunks(Buffer.from('new')), {
        digests: ['md5'],
        verify: (r) => {
          seen = r.digests;
          throw refusal;
        },
      }),
    ).rejects.toBe(refusal);
    expect(seen).toEqual({ md5: hex('md5', Buffer.from('new')) });
    expect(await readFile(target, 'utf8')).toBe('old');
    expect(await readdir(dir)).toEqual(['f.bin']);
  });
});
