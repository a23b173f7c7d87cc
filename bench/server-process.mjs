// The benchmark target (bench/server.mjs) as a child process, started the way the service runs.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { SERVICE_NODE_FLAGS } from './node-flags.mjs';

/** Starts bench/server.mjs with `env` added; resolves once it prints its URL. */
export async function startServer(env = {}) {
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, 'bench/server.mjs'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  for await (const chunk of child.stdout) {
    out += chunk;
    const m = out.match(/READY (\S+)/);
    if (m) return { url: m[1], pid: child.pid, stop: async () => { child.kill('SIGTERM'); await once(child, 'exit'); } };
  }
  throw new Error(`server did not start: ${out}`);
}
