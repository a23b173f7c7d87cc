import { nodeVersionProblem } from './node-version.js';

/**
 * The entry point (`npm start`, the image's CMD): checks the Node.js version before any other
 * module loads — static imports are evaluated before a module's body, so the service itself
 * (server.ts, which loads better-sqlite3's native module) is imported only after the check.
 */
const problem = nodeVersionProblem(process.versions.node);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exitCode = 1;
} else {
  await import('./server.js');
}
