import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { ERROR_STATUS } from '../../src/errors/error-codes.js';

/**
 * The repository documents itself: docs/contract.md is the contract, README.md and docs/ point
 * nowhere outside the repository, and the contract (and the README's configuration table) name
 * every error code and every environment variable the code has. A new code or variable without
 * its line in docs/contract.md fails here.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const contract = read('docs/contract.md');
const readme = read('README.md');

/** Every file under `dir`, recursively, as repository-relative paths. */
function filesUnder(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

/** Source files of src/ (not specs), for environment reads outside config.ts. */
function sourceFiles(): string[] {
  return filesUnder('src').filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));
}

/**
 * The environment variables the service reads, found two ways, so neither a read the first misses
 * nor one the second misses goes unnoticed:
 * - by running loadConfig on an environment that records every name asked for;
 * - by the names given to config.ts's readers (`read('X')`, `int('X', …)`, …) and every
 *   `process.env.X` / `process.env['X']` in src/.
 */
function environmentVariables(): string[] {
  const asked = new Set<string>();
  const recording = new Proxy({} as Record<string, string | undefined>, {
    get(_target, name) {
      if (typeof name === 'string') asked.add(name);
      return undefined;
    },
  });
  loadConfig(recording);

  const config = read('src/config/config.ts');
  for (const m of config.matchAll(/\b(?:read|int|bool|list)\(\s*['"]([A-Z][A-Z0-9_]*)['"]/g)) asked.add(m[1]!);
  for (const file of sourceFiles()) {
    for (const m of read(file).matchAll(/process\.env(?:\.([A-Z][A-Z0-9_]*)|\[\s*['"]([A-Z][A-Z0-9_]*)['"]\s*\])/g)) asked.add((m[1] ?? m[2])!);
  }
  return [...asked].filter((name) => /^[A-Z][A-Z0-9_]*$/.test(name)).sort();
}

/** `| \`code\` | status | …` rows of the contract's error table. */
function documentedCodes(): Map<string, number> {
  const rows = new Map<string, number>();
  for (const m of contract.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)) rows.set(m[1]!, Number(m[2]));
  return rows;
}

describe('the repository documents itself', () => {
  it('README.md and docs/ point nowhere outside the repository', () => {
    const files = ['README.md', ...filesUnder('docs')];
    const outside = files.filter((f) => readFileSync(join(root, f), 'latin1').includes('../shared'));
    expect(outside, 'files mentioning ../shared').toEqual([]);
    expect(readme).toContain('docs/contract.md');
  });

  it('docs/contract.md lists every error code of src/errors/error-codes.ts with its status', () => {
    const rows = documentedCodes();
    const missing = Object.entries(ERROR_STATUS)
      .filter(([code, status]) => rows.get(code) !== status)
      .map(([code, status]) => `${code} ${status}`);
    expect(missing, 'codes without a "| `code` | status |" row in docs/contract.md §8.2').toEqual([]);
    const unknown = [...rows.keys()].filter((code) => !Object.hasOwn(ERROR_STATUS, code));
    expect(unknown, 'rows of docs/contract.md naming no code of error-codes.ts').toEqual([]);
  });

  it('docs/contract.md and the README name every environment variable the service reads', () => {
    const variables = environmentVariables();
    // Sanity: the finder finds (a mistake that found nothing would pass everything).
    expect(variables).toEqual(expect.arrayContaining(['PORT', 'DATABASE_URL', 'THROTTLE_LOGIN_MAX', 'DAV_MAX_LOCK_TIMEOUT']));
    expect(variables.filter((v) => !contract.includes(`\`${v}\``)), 'variables missing from docs/contract.md §2.2').toEqual([]);
    expect(variables.filter((v) => !readme.includes(`\`${v}\``)), "variables missing from the README's configuration table").toEqual([]);
  });
});
