import { existsSync, mkdirSync, readdirSync, realpathSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeDeepTree, removeDeep, reservedNames, segmentOf, segments } from '../../test/support/deep-tree.js';
import { codeOf } from '../../test/support/domain-error-code.js';
import { AreaStorage } from './area-storage.js';
import { MAX_ABS_PATH_BYTES } from './core/storage-path.js';
import { measure } from './storage.service.js';
import { EVERY_MEMBER } from './storage.types.js';

// Trees deeper than PATH_MAX, and trees that a move or copy would make so: made on disk as the
// attack makes them (folders moved into each other), then driven through AreaStorage.

const ALL = { source: EVERY_MEMBER, target: EVERY_MEMBER };
const bytes = (s: string) => Buffer.byteLength(s);

let base: string;
let root: string;
let area: AreaStorage;

beforeEach(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'portcullis-deep-'));
  root = path.join(base, 'acct', 'main');
  mkdirSync(root, { recursive: true });
  root = realpathSync(root);
  area = new AreaStorage(root);
});
afterEach(async () => {
  removeDeep(base);
  await rm(base, { recursive: true, force: true });
});

/** A user path of exactly `n` bytes ('/ttt…/ttt'), its last name at most 254 bytes long. */
function pathOfBytes(n: number): string {
  let out = '';
  while (n - bytes(out) > 255) out += `/${segmentOf(200, 't')}`;
  return `${out}/${segmentOf(n - bytes(out) - 1, 'u')}`;
}

/** Every user path below `dir` (folders and files), as found on disk. */
function onDisk(dir: string): string[] {
  const out: string[] = [];
  const walk = (abs: string, rel: string) => {
    for (const d of readdirSync(abs, { withFileTypes: true })) {
      out.push(`${rel}/${d.name}`);
      if (d.isDirectory() && bytes(`${abs}/${d.name}`) < 3800) walk(path.join(abs, d.name), `${rel}/${d.name}`);
    }
  };
  walk(dir, '');
  return out.sort();
}

describe('move and copy refuse to create a path beyond the limits', () => {
  it('the attack: two folders 3,000+ bytes deep, one moved (or copied) into the other, is 400 path_too_long and changes nothing', async () => {
    const a = makeDeepTree(root, 'a', segments(15)); // 15 × 201 bytes
    const b = makeDeepTree(root, 'b', segments(15));
    writeFileSync(path.join(root, b.slice(1), 'note.txt'), 'deep');
    expect(bytes(a)).toBeGreaterThan(3000);
    const before = onDisk(root);

    expect(await codeOf(area.move('/b', `${a}/b`, ALL))).toBe('path_too_long');
    expect(await codeOf(area.copy('/b', `${a}/b`, ALL))).toBe('path_too_long');
    // The target folder itself would fit: only the members below it do not.
    expect(bytes(`${root}${a}/b`)).toBeLessThan(MAX_ABS_PATH_BYTES);
    expect(onDisk(root)).toEqual(before);
    expect(reservedNames(root)).toEqual([]);

    // Shallow parts move and copy as before.
    await area.mkdir('/small/x', { parents: true });
    await area.copy('/small', `${a}/small`, ALL);
    await area.move('/small', `${a}/small2`, ALL);
    expect((await area.stat(`${a}/small2/x`)).type).toBe('directory');
  });

  it('allows a tree whose deepest member lands exactly at PATH_MAX less its NUL, and refuses one byte more', async () => {
    const chain = [...segments(10), 'f'];
    makeDeepTree(root, 'src', chain);
    const below = `/${chain.join('/')}`;
    // A target path whose length puts the deepest member at exactly 4095 bytes on disk.
    const target = pathOfBytes(MAX_ABS_PATH_BYTES - 1 - bytes(root) - bytes(below));
    expect(bytes(`${root}${target}${below}`)).toBe(MAX_ABS_PATH_BYTES - 1);
    await area.mkdir(target.slice(0, target.lastIndexOf('/')), { parents: true });

    const tooLong = `${target}x`;
    expect(await codeOf(area.copy('/src', tooLong, ALL))).toBe('path_too_long');
    expect(await codeOf(area.move('/src', tooLong, ALL))).toBe('path_too_long');
    await area.copy('/src', target, ALL);
    await area.delete(target, EVERY_MEMBER);
    await area.move('/src', target, ALL);
    expect((await area.stat(`${target}${below}`)).type).toBe('directory');
  });

  it('a shallow copy (WebDAV Depth 0) and a file are checked as themselves only', async () => {
    const a = makeDeepTree(root, 'a', segments(15));
    makeDeepTree(root, 'b', segments(15));
    await area.copy('/b', `${a}/b`, ALL, { shallow: true });
    expect((await area.list(`${a}/b`, EVERY_MEMBER)).entries).toEqual([]);
    await area.write('/f.txt', (async function* () { yield Buffer.from('x'); })());
    await area.move('/f.txt', `${a}/f.txt`, ALL);
    expect((await area.stat(`${a}/f.txt`)).size).toBe(1);
  });

  it('does not walk the source when the target is no longer than it: a tree already too deep still moves to a shorter name', async () => {
    const deep = makeDeepTree(root, 'deep', segments(25)); // ~5,000 bytes: beyond PATH_MAX
    expect(bytes(`${root}${deep}`)).toBeGreaterThan(MAX_ABS_PATH_BYTES);
    await area.move('/deep', '/dee', ALL); // shorter: cannot create anything longer
    await area.move('/dee', '/pee', ALL); // as long
    // Longer: the walk meets the part it cannot open, and that part would only be deeper.
    expect(await codeOf(area.move('/pee', '/peeee', ALL))).toBe('path_too_long');
    expect(await codeOf(area.copy('/pee', '/p2', ALL))).toBe('path_too_long');
    expect(readdirSync(root).sort()).toEqual(['pee']);
  });
});

describe('a tree deeper than PATH_MAX, or with a link loop', () => {
  it('is deleted whole (fs.rm alone fails past PATH_MAX), links removed and never followed', async () => {
    const outside = path.join(base, 'outside');
    mkdirSync(outside);
    writeFileSync(path.join(outside, 'keep.txt'), 'keep');
    const deep = makeDeepTree(root, 'deep', segments(35), { name: 'leaf.txt', content: 'bottom' }); // ~7,000 bytes
    const mid = path.join(root, ...deep.split('/').slice(1, 12));
    symlinkSync('.', path.join(mid, 'loop'));
    symlinkSync(outside, path.join(mid, 'out'));
    symlinkSync('cycle2', path.join(root, 'deep', 'cycle1'));
    symlinkSync('cycle1', path.join(root, 'deep', 'cycle2'));
    writeFileSync(path.join(root, 'other.txt'), 'stays');
    // What the service did before: fs.rm gives up halfway.
    makeDeepTree(root, 'proof', segments(25), { name: 'leaf.txt', content: 'bottom' });
    await expect(rm(path.join(root, 'proof'), { recursive: true })).rejects.toMatchObject({ code: 'ENAMETOOLONG' });

    await area.delete('/deep', EVERY_MEMBER);
    await area.delete('/proof', EVERY_MEMBER);
    expect(readdirSync(root)).toEqual(['other.txt']); // nothing left, nothing hidden left either
    expect(readdirSync(outside)).toEqual(['keep.txt']);
  });

  it('is deleted when the folder asked for is itself too deep to name its entries', async () => {
    // /deep/<seg>… down to a folder between PATH_MAX − 256 and PATH_MAX bytes on disk.
    let k = 0;
    while (bytes(root) + bytes('/deep') + k * 201 <= MAX_ABS_PATH_BYTES - 257) k++;
    const parent = makeDeepTree(root, 'deep', segments(k - 1));
    // Its last folder, with a file of the longest name and more folders below, is made beside
    // and moved in: that file's absolute path is beyond PATH_MAX.
    const long = segmentOf(255, 'n');
    mkdirSync(path.join(root, 'last'));
    writeFileSync(path.join(root, 'last', long), 'x');
    makeDeepTree(path.join(root, 'last'), 'more', segments(5), { name: 'f.txt', content: 'x' });
    renameSync(path.join(root, 'last'), path.join(root, parent.slice(1), segmentOf(200)));
    const near = `${parent}/${segmentOf(200)}`;
    expect(bytes(`${root}${near}`)).toBeGreaterThan(MAX_ABS_PATH_BYTES - 257);
    expect(bytes(`${root}${near}`)).toBeLessThan(MAX_ABS_PATH_BYTES);
    expect(bytes(`${root}${near}/${long}`)).toBeGreaterThan(MAX_ABS_PATH_BYTES - 1);

    await area.delete(near, EVERY_MEMBER);
    expect(existsSync(path.join(root, near.slice(1)))).toBe(false);
    expect(reservedNames(root)).toEqual([]);
    expect((await area.stat(near.slice(0, near.lastIndexOf('/')))).type).toBe('directory');
  });

  it('is measured as far as it can be opened, not an error', async () => {
    makeDeepTree(root, 'deep', segments(25), { name: 'unreachable.txt', content: 'xxxxx' });
    writeFileSync(path.join(root, 'deep', 'near.txt'), 'abc');
    symlinkSync('.', path.join(root, 'deep', 'loop'));
    symlinkSync('cycle2', path.join(root, 'cycle1'));
    symlinkSync('cycle1', path.join(root, 'cycle2'));
    const usage = await measure(root);
    expect(usage.files).toBe(1);
    expect(usage.bytes).toBe(3);
    // Every folder that can be named is counted; the contents of those that cannot, not.
    expect(usage.folders).toBeGreaterThanOrEqual(19);
    expect(usage.folders).toBeLessThanOrEqual(26);
    // An area whose folder was swapped for a link loop: nothing to count, not an error.
    expect(await measure(path.join(root, 'cycle1'))).toEqual({ bytes: 0, files: 0, folders: 0 });
  });

  it('answers contract codes on every route into it: path_too_long past PATH_MAX, path_escape for a loop', async () => {
    // '/deep' + 18 × 201 + 233 + 234 = 4,090 bytes: a valid user path, too deep on disk.
    const beyond = makeDeepTree(root, 'deep', [...segments(18), segmentOf(232, 'e'), segmentOf(233, 'f')]);
    makeDeepTree(root, 'more', segments(3), { name: 'leaf.txt', content: 'x' });
    renameSync(path.join(root, 'more'), path.join(root, beyond.split('/').slice(1, 10).join('/'), 'more'));
    symlinkSync('cycle2', path.join(root, 'cycle1'));
    symlinkSync('cycle1', path.join(root, 'cycle2'));
    expect(bytes(beyond)).toBe(4090);
    expect(bytes(`${root}${beyond}`)).toBeGreaterThan(MAX_ABS_PATH_BYTES);
    for (const op of [
      () => area.stat(beyond),
      () => area.list(beyond, EVERY_MEMBER),
      () => area.list('/', EVERY_MEMBER, { recursive: true }),
      () => area.children(beyond, EVERY_MEMBER),
      () => area.openRead(`${beyond}/x`),
      () => area.delete(beyond, EVERY_MEMBER),
      () => area.mkdir(`${beyond}/x`),
    ]) {
      expect(await codeOf(op())).toBe('path_too_long');
    }
    expect(await codeOf(area.stat('/cycle1/x'))).toBe('path_escape');
    expect(await codeOf(area.openRead('/cycle1'))).toBe('path_escape');
    expect(await codeOf(area.list('/cycle1', EVERY_MEMBER))).toBe('path_escape');
    expect((await area.list('/', EVERY_MEMBER)).entries.map((e) => e.name)).toEqual(['deep']);
  });
});
