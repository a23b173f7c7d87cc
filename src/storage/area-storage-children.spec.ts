import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DomainError } from '../errors/domain-error.js';
import { EVERY_MEMBER } from './storage.types.js';
import { AreaStorage } from './area-storage.js';

let base: string;
let area: AreaStorage;

beforeEach(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'portcullis-children-'));
  area = new AreaStorage(path.join(base, 'acct', 'main'));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

async function collect(it: AsyncIterable<{ path: string; type: string }>): Promise<string[]> {
  const out: string[] = [];
  for await (const e of it) out.push(`${e.type}:${e.path}`);
  return out;
}

describe('AreaStorage.children (streamed folder listing)', () => {
  it('yields the direct children in name order, with what list() hides hidden', async () => {
    await area.mkdir('/f');
    const root = path.join(base, 'acct', 'main', 'f');
    for (const name of ['b.txt', 'a.txt', '.portcullis-upload-0123456789abcdef0123456789abcdef']) await writeFile(path.join(root, name), 'x');
    await mkdir(path.join(root, 'sub'));
    await writeFile(path.join(root, 'sub', 'deep.txt'), 'x');
    await symlink('/etc/passwd', path.join(root, 'link'));
    const { folder, children } = await area.children('/f', EVERY_MEMBER);
    expect(folder).toMatchObject({ path: '/f', type: 'directory' });
    expect(await collect(children)).toEqual(['file:/f/a.txt', 'file:/f/b.txt', 'directory:/f/sub']);
  });

  it('is not truncated by the listing limit, and keeps order with any batch size', async () => {
    await area.mkdir('/many');
    const root = path.join(base, 'acct', 'main', 'many');
    const names = Array.from({ length: 300 }, (_, i) => `n${String(i).padStart(4, '0')}`);
    await Promise.all(names.map((n) => writeFile(path.join(root, n), n)));
    for (const batch of [1, 7, 1000]) {
      const { children } = await area.children('/many', EVERY_MEMBER, { batch });
      expect(await collect(children)).toEqual(names.map((n) => `file:/many/${n}`));
    }
  });

  it('skips children removed while it streams, and can be stopped early', async () => {
    await area.mkdir('/gone');
    const root = path.join(base, 'acct', 'main', 'gone');
    for (const n of ['a', 'b', 'c']) await writeFile(path.join(root, n), n);
    const { children } = await area.children('/gone', EVERY_MEMBER, { batch: 1 });
    const seen: string[] = [];
    for await (const e of children) {
      seen.push(e.name);
      if (e.name === 'a') await rm(path.join(root, 'b'));
    }
    expect(seen).toEqual(['a', 'c']);
    const again = await area.children('/gone', EVERY_MEMBER);
    for await (const e of again.children) {
      expect(e.name).toBe('a');
      break;
    }
  });

  it('answers 409 for a file and 404 for nothing', async () => {
    await area.write('/file.txt', Readable.from([Buffer.from('x')]));
    await expect(area.children('/file.txt', EVERY_MEMBER)).rejects.toMatchObject({ code: 'conflict' });
    await expect(area.children('/none', EVERY_MEMBER)).rejects.toBeInstanceOf(DomainError);
    await expect(area.children('/none', EVERY_MEMBER)).rejects.toMatchObject({ code: 'not_found' });
  });
});
