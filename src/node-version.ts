/**
 * The Node.js this service needs, checked by the entry (main.ts) before anything else loads:
 * better-sqlite3 13, vitest and oidc-provider 9 need Node 22+, and on Node 20 better-sqlite3's
 * native module crashes the process (`Segmentation fault`) instead of failing with a message.
 * Keep REQUIRED_NODE equal to package.json's `engines.node` (node-version.spec.ts checks it) and
 * to scripts/check-node.mjs's message. No imports: this runs on any Node, however old.
 */
export const REQUIRED_NODE = '22.12';

/** The one line printed on a Node older than REQUIRED_NODE, or undefined when `version` (e.g. "20.20.2") is new enough. */
export function nodeVersionProblem(version: string): string | undefined {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  const [reqMajor = 0, reqMinor = 0] = REQUIRED_NODE.split('.').map(Number);
  if (major > reqMajor || (major === reqMajor && minor >= reqMinor)) return undefined;
  return `Portcullis needs Node.js ${REQUIRED_NODE} or later, this is ${version.replace(/^v?/, 'v')}: install Node.js 24 LTS (\`nvm install\` or \`fnm install\` read .nvmrc; see README, "Run it") and start again.`;
}
