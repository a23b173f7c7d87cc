// Where the benchmarks load the built service from: `dist/` of this checkout, or BENCH_DIST (a
// dist/ folder built elsewhere, e.g. from a clean worktree while this one is being edited).
// Child processes inherit the variable, so the parent and the servers load the same build.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const DIST = resolve(process.env.BENCH_DIST ?? fileURLToPath(new URL('../dist', import.meta.url)));

/**
 * Imports a module of the build, e.g. 'src/otp/core/otp-token.js'. Given several paths, the first
 * that exists: a module's place before and after a move, so one bench compares both builds.
 */
export function fromDist(...paths) {
  const found = paths.find((p) => existsSync(resolve(DIST, p))) ?? paths[0];
  return import(pathToFileURL(resolve(DIST, found)).href);
}
