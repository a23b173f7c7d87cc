import fc from 'fast-check';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { normalizeUserPath, resolveInArea, StoragePathError } from './storage-path.js';

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
