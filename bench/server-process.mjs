// Benchmark targets as child processes: the service (bench/server.mjs, started the way the service
// runs) and the reference apps of bench/peers/. Each prints "READY <url>" once it listens.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { SERVICE_NODE_FLAGS } from './node-flags.mjs';

/**
 * Starts `node [...nodeArgs] script` with `env` added; resolves once it prints its URL, to
 * `{ url, pid, stop }`. `name` labels its start-up errors.
 */
export async function startProcess(script, { env = {}, nodeArgs = [], name = script } = {}) {
  const child = spawn(process.execPath, [...nodeArgs, script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  // Read with a listener, not `for await`: leaving that loop would destroy the pipe, and a later
  // line from the server would then fail it with EPIPE.
  let out = '';
  const url = await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/READY (\S+)/);
      if (m) resolve(m[1]);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => reject(new Error(`${name} did not start (exit ${code ?? signal}): ${out}`)));
  });
  return { url, pid: child.pid, stop };
}

/** Starts bench/server.mjs (the built service) with `env` added and the service's V8 flags. */
export function startServer(env = {}, { nodeArgs = [] } = {}) {
  return startProcess(fileURLToPath(new URL('./server.mjs', import.meta.url)), { env, nodeArgs: [...SERVICE_NODE_FLAGS, ...nodeArgs], name: 'the service' });
}
