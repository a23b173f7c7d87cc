import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// scripts/check-layers.mjs (`npm run check:layers`, run by CI on src/) on the two fixture trees
// of test/fixtures/layers/: it must fail on a cycle between folders, naming them and one import
// each way, and pass when the folders import one way.
const run = (folder: string): Promise<{ code: number; out: string }> =>
  promisify(execFile)(process.execPath, ['scripts/check-layers.mjs', folder, '--graph']).then(
    ({ stdout }) => ({ code: 0, out: stdout }),
    (err: { code: number; stdout: string }) => ({ code: err.code, out: err.stdout }),
  );

describe('the layer check', () => {
  it('fails on a cycle between folders, closed by a type-only import, and prints one import per pair', async () => {
    const { code, out } = await run('test/fixtures/layers/cycle');
    expect(code).toBe(1);
    expect(out).toContain('Import cycle between the folders of test/fixtures/layers/cycle/: a, b\n');
    expect(out).toContain('  a -> b: test/fixtures/layers/cycle/a/one.ts -> test/fixtures/layers/cycle/b/two.ts\n');
    expect(out).toContain('  b -> a: test/fixtures/layers/cycle/b/two.ts -> test/fixtures/layers/cycle/a/one.ts (type-only)\n');
    // `c` imports the cycle but is not part of it.
    expect(out).not.toMatch(/c -> a:/);
    expect(out).toMatch(/Layers: FAILED \(1 cycle/);
  });

  it('passes folders that import one way, and prints each folder’s imports', async () => {
    const { code, out } = await run('test/fixtures/layers/clean');
    expect(code).toBe(0);
    expect(out).toMatch(/^ {2}a {16}b$/m);
    expect(out).toContain('no import cycle');
  });
});
