import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFile, cp, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, createTestEnv, type TestEnv } from '../support/test-env.js';

/**
 * `npm run start:dev` as a developer runs it: tsc --watch and node --watch (scripts/dev.mjs) in
 * one process group. It runs on a copy of the sources (node_modules linked), so the edit below
 * touches neither the working tree nor its dist/.
 */
const root = join(import.meta.dirname, '../..');

/** Processes (not zombies) whose process group is `pgid`, from /proc. */
async function groupMembers(pgid: number): Promise<string[]> {
  const members: string[] = [];
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid pgrp …: comm may hold spaces and parentheses, so split after the last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') members.push(`${pid} ${stat.slice(stat.indexOf('('), stat.lastIndexOf(')') + 1)}`);
  }
  return members;
}

describe('npm run start:dev', () => {
  let work: string;
  let env: TestEnv;
  let child: ChildProcess;
  let output = '';

  /** The URL of the n-th "Portcullis listening on URL" line (1-based), once it is printed. */
  async function listening(n: number): Promise<string> {
    for (;;) {
      const urls = [...output.matchAll(/Portcullis listening on (http:\/\/\S+)/g)].map((m) => m[1]!);
      if (urls.length >= n) return urls[n - 1]!;
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`npm run start:dev exited:\n${output}`);
      // node --watch's line when the service crashed (it then waits for a change).
      if (/Failed running|Portcullis failed to start/.test(output)) throw new Error(`the service did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'portcullis-dev-'));
    for (const file of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'ormconfig.ts', 'src', 'scripts']) {
      await cp(join(root, file), join(work, file), { recursive: true });
    }
    await symlink(join(root, 'node_modules'), join(work, 'node_modules'), 'dir');
    env = await createTestEnv();
    child = spawn('npm', ['run', 'start:dev'], {
      cwd: work,
      // Its own process group (this test kills the group), on the Node running the tests.
      detached: true,
      env: { PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? tmpdir(), ...env.env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
  });

  afterAll(async () => {
    // Only if the test failed before stopping it.
    if (child?.pid && (await groupMembers(child.pid)).length) process.kill(-child.pid, 'SIGKILL');
    await env?.dispose();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('builds, serves with constructor injection working, restarts on a change to src/, and stops with its process group', { timeout: 240_000 }, async () => {
    const url = await listening(1);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    // Injected services (DataSource, SharedState, storage; accounts, sessions) answer.
    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(200);
    const login = await fetch(`${url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'admin', password: ADMIN_PASSWORD }) });
    expect(login.status).toBe(200);

    // A source file changes: tsc recompiles it, node restarts the service (PORT=0: a new port).
    await appendFile(join(work, 'src/health/health.controller.ts'), '\n// changed by start-dev.faults-spec.ts\n');
    const restarted = await listening(2);
    expect((await fetch(`${restarted}/health`)).status).toBe(200);

    // SIGTERM to the group: npm, the script, tsc, the watcher and the service all end by themselves.
    const pgid = child.pid!;
    const exited = once(child, 'exit');
    process.kill(-pgid, 'SIGTERM');
    await exited;
    while ((await groupMembers(pgid)).length) await new Promise((r) => setTimeout(r, 50));
    expect(output).not.toMatch(/error TS|Error:|"level":(50|60)/);
  });
});
