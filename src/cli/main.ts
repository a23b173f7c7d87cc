#!/usr/bin/env node
// The `portcullis` bin (package.json): `npx portcullis --help` after `npm run build`. The Node.js
// version is checked before the CLI and its native modules load (as the service's main.ts does).
import { nodeVersionProblem } from '../node-version.js';

const problem = nodeVersionProblem(process.versions.node);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exitCode = 1;
} else {
  await import('./cli.js');
}
