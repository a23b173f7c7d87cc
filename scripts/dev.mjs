// `npm run start:dev`: the service rebuilt and restarted on every change to src/.
//
// The TypeScript compiler itself does the compiling (`tsc --watch`, into dist/ as `npm run build`
// does), because Nest's constructor injection and TypeORM's column types need the decorator
// metadata that only tsc (and the oxc transform of the tests) emit: esbuild-based loaders (tsx)
// leave it out. Once the first compilation is done, `node --watch dist/src/main.js` runs the
// service and restarts it whenever a file it loaded is rewritten.
//
// Ctrl-C (SIGINT) or SIGTERM, to this process or to its whole process group, stops both: the
// service shuts down as it does in production (requests in flight answered, statistics flushed).
import './check-node.mjs';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const children = new Set();
let stopping = false;

function start(args, stdio) {
  const child = spawn(process.execPath, args, { cwd: root, stdio });
  children.add(child);
  child.on('exit', (code, signal) => {
    children.delete(child);
    if (!stopping) {
      // One of the two ended on its own (tsc crashed, or the watcher gave up): stop the other.
      process.stderr.write(`start:dev: ${args.join(' ')} ended (${signal ?? `exit ${code}`})\n`);
      process.exitCode = 1;
      stop('SIGTERM');
    }
  });
  return child;
}

function stop(signal) {
  stopping = true;
  for (const child of children) child.kill(signal);
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));

const compiler = start([tsc, '-p', 'tsconfig.build.json', '--watch', '--preserveWatchOutput'], ['ignore', 'pipe', 'inherit']);
let service;
let firstOutput = '';
compiler.stdout.setEncoding('utf8').on('data', (text) => {
  process.stdout.write(text);
  if (service) return;
  firstOutput += text;
  // "12:00:00 - Found 0 errors. Watching for file changes." ends every compilation.
  if (!stopping && /Watching for file changes/.test(firstOutput)) {
    service = start(['--watch', '--watch-preserve-output', '--enable-source-maps', 'dist/src/main.js'], 'inherit');
  }
});
