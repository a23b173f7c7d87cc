import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeVersionProblem, REQUIRED_NODE } from './node-version.js';

const root = join(import.meta.dirname, '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');

describe('the Node.js version check', () => {
  it('requires what package.json engines says, which .nvmrc and .node-version satisfy, and npm enforces it', () => {
    expect(JSON.parse(read('package.json')).engines.node).toBe(`>=${REQUIRED_NODE}`);
    for (const file of ['.nvmrc', '.node-version']) {
      expect(read(file).trim()).toBe('24');
      expect(nodeVersionProblem(`${read(file).trim()}.0.0`)).toBeUndefined();
    }
    expect(read('.npmrc').split('\n')).toContain('engine-strict=true');
  });

  it('accepts 22.12 and later', () => {
    for (const v of ['22.12.0', 'v22.12.0', '22.13.1', '23.0.0', '24.22.3', '30.1.0']) expect(nodeVersionProblem(v)).toBeUndefined();
  });

  it('refuses older ones with one line naming the required version and how to get it', () => {
    for (const v of ['20.20.2', 'v20.20.2', '22.11.0', '21.99.0', '18.0.0', '8.0.0']) {
      const line = nodeVersionProblem(v)!;
      expect(line).toContain('Node.js 22.12 or later');
      expect(line).toContain(`this is v${v.replace(/^v/, '')}`);
      expect(line).toContain('Node.js 24 LTS');
      expect(line).toContain('README, "Run it"');
      expect(line).not.toContain('\n');
    }
  });

  it('scripts/check-node.mjs (run by npm start before the build) prints the same line', () => {
    const run = (v: string) => spawnSync(process.execPath, [join(root, 'scripts/check-node.mjs'), v], { encoding: 'utf8' });
    const old = run('20.20.2');
    expect(old.status).toBe(1);
    expect(old.stderr).toBe(`${nodeVersionProblem('20.20.2')}\n`);
    expect(old.stdout).toBe('');
    const current = run('24.0.0');
    expect(current.status).toBe(0);
    expect(current.stderr + current.stdout).toBe('');
  });
});
