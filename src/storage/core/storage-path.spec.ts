import fc from 'fast-check';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { normalizeUserPath, resolveInArea, StoragePathError, userNamesOf } from './storage-path.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof StoragePathError) return err.code;
    throw err;
  }
  return undefined;
}

async function asyncCodeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    if (err instanceof StoragePathError) return err.code;
    throw err;
  }
  return undefined;
}

describe('normalizeUserPath', () => {
  it.each([
    ['', '/'],
    ['/', '/'],
    ['.', '/'],
    ['//', '/'],
    ['/./.', '/'],
    ['a', '/a'],
    ['/a/b', '/a/b'],
    ['a/b/', '/a/b'],
    ['//a//b//', '/a/b'],
    ['/a/./b/.', '/a/b'],
    ['./a', '/a'],
    ['/etc/passwd', '/etc/passwd'], // absolute-looking: still inside the area
    ['/a b/ c.txt ', '/a b/ c.txt '], // spaces inside names are kept as sent
    ['/...', '/...'],
    ['/a..b/..c/d..', '/a..b/..c/d..'], // dots inside names are fine
    ['/%2e%2e/%2F', '/%2e%2e/%2F'], // not decoded again: literal names
    ['/Ünïcödé/日本語', '/Ünïcödé/日本語'],
    ['/C:', '/C:'],
    ['/.hidden', '/.hidden'],
    ['/portcullis-upload-x', '/portcullis-upload-x'], // only the dotted prefix is reserved
    ['/cafe\u0301/A\u030A', '/caf\u00E9/\u00C5'], // NFD (macOS) → NFC
    ['/caf\u00E9', '/caf\u00E9'], // NFC stays
    ['/\u212A\u2126\u212B', '/K\u03A9\u00C5'], // singletons: KELVIN, OHM, ANGSTROM SIGN
    ['/a\u037Eb', '/a;b'], // GREEK QUESTION MARK
    ['/' + 'e\u0301'.repeat(100), '/' + '\u00E9'.repeat(100)], // 300 bytes as sent, 200 in NFC: limits apply to NFC
  ])('%j → %j', (input, expected) => {
    expect(normalizeUserPath(input)).toBe(expected);
  });

  it.each([
    ['..', 'path_escape'],
    ['/..', 'path_escape'],
    ['/../..', 'path_escape'],
    ['a/../../b', 'path_escape'],
    ['a/b/..', 'path_escape'], // refused even when it would stay inside
    ['/a/../b', 'path_escape'],
    ['/a/\0', 'path_invalid'],
    ['/a\0b', 'path_invalid'],
    ['/a/b\n', 'path_invalid'],
    ['/a\u007f', 'path_invalid'],
    ['/a\u0085', 'path_invalid'],
    ['\\etc\\passwd', 'path_invalid'],
    ['a\\..\\..\\b', 'path_invalid'],
    ['C:\\Windows', 'path_invalid'],
    ['/ ', 'path_invalid'],
    ['/a/   /b', 'path_invalid'],
    ['/\u3000', 'path_invalid'],
    ['/a\uD800', 'path_invalid'], // lone surrogate
    ['/.portcullis-upload-0123456789abcdef0123456789abcdef', 'path_invalid'],
    ['/.PORTCULLIS-anything/x', 'path_invalid'],
    ['/' + 'a'.repeat(256), 'path_too_long'],
    ['/' + 'é'.repeat(128), 'path_too_long'], // 256 bytes in UTF-8
    ['/' + 'e\u0301'.repeat(128), 'path_too_long'], // 256 bytes in NFC
    [('/' + 'a'.repeat(200)).repeat(21), 'path_too_long'],
  ])('%j is refused with %s', (input, code) => {
    expect(codeOf(() => normalizeUserPath(input))).toBe(code);
  });

  it('accepts the limits exactly', () => {
    expect(normalizeUserPath('/' + 'a'.repeat(255))).toHaveLength(256);
    const full = ('/' + 'a'.repeat(255)).repeat(16); // 4096 bytes
    expect(normalizeUserPath(full)).toBe(full);
    expect(codeOf(() => normalizeUserPath(full + '/b'))).toBe('path_too_long');
  });

  it('refuses non-strings (a repeated query parameter)', () => {
    expect(codeOf(() => normalizeUserPath(['/a', '/b'] as unknown as string))).toBe('path_invalid');
    expect(codeOf(() => normalizeUserPath(undefined as unknown as string))).toBe('path_invalid');
  });

  it('property: output is canonical and idempotent; refusals are StoragePathError only', () => {
    const unit = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('/', '.', '..', 'a', 'B', ' ', '\\', '\0', '\n', 'é', '%2e', '.portcullis-', '\uD800') },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n)) },
    );
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 40 }), (input) => {
        let out: string;
        try {
          out = normalizeUserPath(input);
        } catch (err) {
          expect(err).toBeInstanceOf(StoragePathError);
          return;
        }
        const segments = out.split('/').slice(1);
        expect(out.startsWith('/')).toBe(true);
        expect(out).not.toContain('//');
        expect(out).not.toContain('\0');
        expect(out).not.toContain('\\');
        expect(segments).not.toContain('..');
        expect(segments).not.toContain('.');
        if (out !== '/') expect(out.endsWith('/')).toBe(false);
        expect(normalizeUserPath(out)).toBe(out);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('resolveInArea', () => {
  let tmp: string;
  let area: string;
  let outside: string;

  beforeEach(async () => {
    tmp = await realpath(await mkdtemp(path.join(os.tmpdir(), 'portcullis-path-')));
    area = path.join(tmp, 'area');
    outside = path.join(tmp, 'outside');
    await mkdir(path.join(area, 'docs'), { recursive: true });
    await mkdir(outside);
    await writeFile(path.join(area, 'docs', 'a.txt'), 'a');
    await writeFile(path.join(outside, 'secret'), 's');
  });
  afterEach(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('maps existing and not-yet-existing paths under the area', async () => {
    expect(await resolveInArea(area, '/')).toBe(area);
    expect(await resolveInArea(area, '')).toBe(area);
    expect(await resolveInArea(area, '/docs/a.txt')).toBe(path.join(area, 'docs', 'a.txt'));
    expect(await resolveInArea(area, 'docs//new/deeper/file')).toBe(path.join(area, 'docs', 'new', 'deeper', 'file'));
    expect(await resolveInArea(area, '/etc/passwd')).toBe(path.join(area, 'etc', 'passwd'));
    // below a regular file: mapped, the filesystem call will fail with ENOTDIR
    expect(await resolveInArea(area, '/docs/a.txt/x')).toBe(path.join(area, 'docs', 'a.txt', 'x'));
  });

  it('returns a real path when the area root itself is reached through a symlink', async () => {
    await symlink(area, path.join(tmp, 'area-link'));
    expect(await resolveInArea(path.join(tmp, 'area-link'), '/docs/a.txt')).toBe(path.join(area, 'docs', 'a.txt'));
  });

  it.each(['..', '/../..', 'a/../../b', '/docs/../../outside/secret', '/a\0b', '\\..\\outside'])(
    'refuses traversal %j before touching the filesystem',
    async (p) => {
      expect(await asyncCodeOf(resolveInArea(area, p))).toMatch(/^path_(escape|invalid)$/);
    },
  );

  it('refuses a symlink inside the area pointing to /etc', async () => {
    await symlink('/etc', path.join(area, 'etc-link'));
    expect(await asyncCodeOf(resolveInArea(area, '/etc-link'))).toBe('path_escape');
    expect(await asyncCodeOf(resolveInArea(area, '/etc-link/passwd'))).toBe('path_escape');
    expect(await asyncCodeOf(resolveInArea(area, '/etc-link/not-there/x'))).toBe('path_escape');
  });

  it('refuses a file symlink and a relative symlink climbing out', async () => {
    await symlink(path.join(outside, 'secret'), path.join(area, 'docs', 'file-link'));
    await symlink('../../outside', path.join(area, 'docs', 'rel-link'));
    expect(await asyncCodeOf(resolveInArea(area, '/docs/file-link'))).toBe('path_escape');
    expect(await asyncCodeOf(resolveInArea(area, '/docs/rel-link/secret'))).toBe('path_escape');
  });

  it('refuses a not-yet-existing child of a symlinked ancestor pointing outside', async () => {
    await symlink(outside, path.join(area, 'docs', 'out'));
    expect(await asyncCodeOf(resolveInArea(area, '/docs/out/new-dir/new-file'))).toBe('path_escape');
    expect(await asyncCodeOf(resolveInArea(area, '/docs/out/new-file'))).toBe('path_escape');
  });

  it('refuses dangling symlinks and loops (they could be created through)', async () => {
    await symlink(path.join(outside, 'missing'), path.join(area, 'dangling'));
    await symlink('loop-b', path.join(area, 'loop-a'));
    await symlink('loop-a', path.join(area, 'loop-b'));
    expect(await asyncCodeOf(resolveInArea(area, '/dangling'))).toBe('path_escape');
    expect(await asyncCodeOf(resolveInArea(area, '/dangling/child'))).toBe('path_escape');
    expect(await asyncCodeOf(resolveInArea(area, '/loop-a/x'))).toBe('path_escape');
  });

  it('follows a symlink that stays inside the area', async () => {
    await symlink('docs', path.join(area, 'docs-link'));
    expect(await resolveInArea(area, '/docs-link/a.txt')).toBe(path.join(area, 'docs', 'a.txt'));
    expect(await resolveInArea(area, '/docs-link/new')).toBe(path.join(area, 'docs', 'new'));
  });

  it('does not confuse a sibling sharing the prefix with the area', async () => {
    await mkdir(path.join(tmp, 'area-evil'));
    await symlink(path.join(tmp, 'area-evil'), path.join(area, 'evil'));
    expect(await asyncCodeOf(resolveInArea(area, '/evil/x'))).toBe('path_escape');
  });

  describe('names stored in another Unicode form than NFC (by earlier versions)', () => {
    const NFD_CAFE = 'cafe\u0301';
    const NFD_RESUME = 're\u0301sume\u0301.txt';

    it('reaches them by their NFC name, and by any other form, which is NFC once normalised', async () => {
      await mkdir(path.join(area, NFD_CAFE));
      await writeFile(path.join(area, NFD_CAFE, NFD_RESUME), 'r');
      const stored = path.join(area, NFD_CAFE, NFD_RESUME);
      expect(await resolveInArea(area, '/caf\u00E9/r\u00E9sum\u00E9.txt')).toBe(stored);
      expect(await resolveInArea(area, `/${NFD_CAFE}/${NFD_RESUME}`)).toBe(stored);
      // A new member of a folder stored in NFD goes into that folder, under its NFC name.
      expect(await resolveInArea(area, '/caf\u00E9/n\u00E9w.txt')).toBe(path.join(area, NFD_CAFE, 'n\u00E9w.txt'));
      expect(await resolveInArea(area, '/caf\u00E9/new/deeper')).toBe(path.join(area, NFD_CAFE, 'new', 'deeper'));
      // An NFC member beneath an NFD folder, and an NFD one beneath an NFC folder.
      await mkdir(path.join(area, NFD_CAFE, 'sub'));
      await writeFile(path.join(area, NFD_CAFE, 'sub', 'x'), 'x');
      expect(await resolveInArea(area, '/caf\u00E9/sub/x')).toBe(path.join(area, NFD_CAFE, 'sub', 'x'));
      await writeFile(path.join(area, 'docs', NFD_RESUME), 'r');
      expect(await resolveInArea(area, '/docs/r\u00E9sum\u00E9.txt')).toBe(path.join(area, 'docs', NFD_RESUME));
    });

    it('prefers the NFC name itself, then the first other form in code-unit order', async () => {
      await writeFile(path.join(area, 'docs', NFD_RESUME), 'nfd');
      await writeFile(path.join(area, 'docs', 'r\u00E9sum\u00E9.txt'), 'nfc');
      expect(await resolveInArea(area, `/docs/${NFD_RESUME}`)).toBe(path.join(area, 'docs', 'r\u00E9sum\u00E9.txt'));
      // Å: A + COMBINING RING (NFD) and ANGSTROM SIGN; K: KELVIN SIGN (an ASCII NFC form).
      await writeFile(path.join(area, '\u212B'), 'angstrom');
      await writeFile(path.join(area, 'A\u030A'), 'nfd');
      await writeFile(path.join(area, '\u212A.txt'), 'kelvin');
      expect(await resolveInArea(area, '/\u00C5')).toBe(path.join(area, 'A\u030A'));
      expect(await resolveInArea(area, '/K.txt')).toBe(path.join(area, '\u212A.txt'));
      expect(await resolveInArea(area, '/k.txt')).toBe(path.join(area, 'k.txt')); // case still matters
    });

    it('checks what it finds like any other entry: a link out of the area is refused', async () => {
      await symlink(outside, path.join(area, NFD_CAFE));
      expect(await asyncCodeOf(resolveInArea(area, '/caf\u00E9'))).toBe('path_escape');
      expect(await asyncCodeOf(resolveInArea(area, '/caf\u00E9/secret'))).toBe('path_escape');
      expect(await asyncCodeOf(resolveInArea(area, '/caf\u00E9/new'))).toBe('path_escape');
    });

    it('userNamesOf lists each name once, in NFC, with the entry a request reaches', () => {
      const names = (...stored: string[]) =>
        userNamesOf(stored.map((name) => ({ name })))
          .map(({ name, entry }) => `${name}<-${entry.name}`)
          .sort();
      expect(names('a', 'b')).toEqual(['a<-a', 'b<-b']);
      expect(names(NFD_CAFE, 'x')).toEqual(['caf\u00E9<-' + NFD_CAFE, 'x<-x']);
      expect(names(NFD_CAFE, 'caf\u00E9')).toEqual(['caf\u00E9<-caf\u00E9']);
      expect(names('caf\u00E9', NFD_CAFE)).toEqual(['caf\u00E9<-caf\u00E9']);
      expect(names('\u212B', 'A\u030A')).toEqual(['\u00C5<-A\u030A']);
      expect(names('\u212A', 'K', 'k')).toEqual(['K<-K', 'k<-k']);
    });
  });

  it('property: every accepted path resolves inside the area', async () => {
    await symlink(outside, path.join(area, 'out'));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('docs', 'out', 'a.txt', '.', '..', '', 'new', 'etc'), { maxLength: 6 }),
        async (parts) => {
          let resolved: string;
          try {
            resolved = await resolveInArea(area, parts.join('/'));
          } catch (err) {
            expect(err).toBeInstanceOf(StoragePathError);
            return;
          }
          expect(resolved === area || resolved.startsWith(area + path.sep)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
