// `npm start` and `npm run start:dev` run this first: on a Node.js older than package.json's
// engines.node, one line and exit 1 before anything is built or loaded (the same line the built
// entry, src/main.ts, prints; src/node-version.spec.ts compares them). Plain JavaScript with no
// dependencies, so any Node can run it. `node scripts/check-node.mjs VERSION` checks VERSION instead.
import { readFileSync } from 'node:fs';

const { engines } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const required = engines.node.replace(/^>=\s*/, '');
const version = process.argv[2] ?? process.versions.node;
const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
const [reqMajor = 0, reqMinor = 0] = required.split('.').map(Number);
if (!(major > reqMajor || (major === reqMajor && minor >= reqMinor))) {
  process.stderr.write(`Portcullis needs Node.js ${required} or later, this is ${version.replace(/^v?/, 'v')}: install Node.js 24 LTS (\`nvm install\` or \`fnm install\` read .nvmrc; see README, "Run it") and start again.\n`);
  process.exit(1);
}
