// npm run bench: throughput and latency of guarded routes as ratios to an unguarded route
// measured in the same run (these machines are shared and noisy; absolute figures are not).
// Each scenario runs against its own server process; autocannon drives it from this process.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import autocannon from 'autocannon';
import { makeOtp } from '../dist/src/otp/core/otp-token.js';
import { obtainTokens } from '../scripts/oauth-token.mjs';
import { aclBench } from './acl.mjs';
import { setupTarget } from './setup.mjs';
import { SERVICE_NODE_FLAGS } from './node-flags.mjs';

const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
// Rounds: every scenario once per round, rounds one after another, medians reported. A burst of
// other work on the machine then spoils one round's figure, not a whole scenario's.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
// BENCH_ONLY=regex keeps the scenarios whose name matches (the baseline always runs).
const ONLY = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY, 'i') : undefined;
const basic = `Basic ${Buffer.from('bench:bench-password').toString('base64')}`;

async function startServer(env = {}) {
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, 'bench/server.mjs'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  for await (const chunk of child.stdout) {
    out += chunk;
    const m = out.match(/READY (\S+)/);
    if (m) return { url: m[1], stop: async () => { child.kill('SIGTERM'); await once(child, 'exit'); } };
  }
  throw new Error(`server did not start: ${out}`);
}

async function measure(url, path, headers = {}, setupRequest, extra = {}) {
  // A short warm-up fills caches and JIT; then the measured run. `extra.hooks(run)` gives a run
  // its own setupRequest/onResponse (run 0 = warm-up, 1 = measured).
  const opts = (run) => {
    const hooks = extra.hooks?.(run) ?? {};
    const setup = hooks.setupRequest ?? setupRequest;
    const requests = setup || hooks.onResponse ? [{ setupRequest: setup, onResponse: hooks.onResponse }] : undefined;
    return { url: url + path, headers, requests, connections: CONNECTIONS, ...(extra.method ? { method: extra.method } : {}) };
  };
  await autocannon({ ...opts(0), duration: 1 });
  const r = await autocannon({ ...opts(1), duration: DURATION });
  const bad = r.non2xx + r.errors + r.timeouts;
  if (bad > 0) throw new Error(`${path}: ${bad} failed requests`);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99 };
}

const scenarios = [
  // The baseline (issue 3's "GET /api/whoami unguarded"): whoami's answer from a @Public() Nest
  // route that bench/server.mjs adds; every ratio is to it. /health, smaller and simpler, for reference.
  { name: 'unguarded whoami: GET /bench/whoami (baseline)', path: '/bench/whoami' },
  { name: 'unguarded GET /health', path: '/health' },
  { name: 'Basic, cached verification: GET /api/whoami', path: '/api/whoami', headers: { authorization: basic } },
  {
    // The three checks without a route's own work (whoami has no ACL class).
    name: 'Basic (sublogin) + API key: GET /api/whoami',
    path: '/api/whoami',
    headers: (target) => ({ authorization: `Basic ${Buffer.from(target.sublogin.join(':')).toString('base64')}`, 'x-api-key': target.apiKey }),
  },
  {
    // The lightest ACL-guarded route: one stat of the area's root.
    name: 'Basic (sublogin) + API key + ACL: GET /api/file/info?path=/',
    path: '/api/file/info?path=/',
    headers: (target) => ({ authorization: `Basic ${Buffer.from(target.sublogin.join(':')).toString('base64')}`, 'x-api-key': target.apiKey }),
  },
  {
    name: 'Basic (sublogin) + API key + ACL: GET /api/file/list?path=/',
    path: '/api/file/list?path=/',
    headers: (target) => ({ authorization: `Basic ${Buffer.from(target.sublogin.join(':')).toString('base64')}`, 'x-api-key': target.apiKey }),
  },
  {
    name: 'OTP (a fresh MD5 token each request): GET /api/whoami?otp=…',
    path: '/api/whoami',
    setupRequest: (req) => ({ ...req, path: `/api/whoami?otp=${encodeURIComponent(makeOtp('bench', 'bench-password', Math.floor(Date.now() / 1000) + 300, `s${++otpCounter}`))}` }),
  },
  {
    name: 'Bearer (OAuth, cached token check) + the app\'s API key: GET /api/whoami',
    path: '/api/whoami',
    // The last grant: the refresh scenario's sets leave it alone.
    headers: (target) => ({ authorization: `Bearer ${target.oauth.at(-1).access_token}`, 'x-api-key': target.oauth.at(-1).api_key }),
  },
  {
    // Refresh tokens rotate on every use (and a reused one revokes the grant), so each
    // connection walks its own grant's chain: one grant per connection, the new refresh token
    // of each answer sent in that connection's next request.
    name: 'Token endpoint, refresh_token grant (rotation): POST /oauth/token',
    path: '/oauth/token',
    method: 'POST',
    headers: () => ({ 'content-type': 'application/x-www-form-urlencoded' }),
    refreshChains: true,
  },
  { name: 'Basic, cache off (argon2id every request)', path: '/api/whoami', headers: { authorization: basic }, env: { VERIFY_CACHE_TTL: '0' } },
];

let otpCounter = 0;

/**
 * autocannon hooks for the refresh scenario. Refresh tokens rotate on every use, so a request
 * takes a grant's latest refresh token from a pool and its answer puts the new one back: no
 * token is ever sent twice (autocannon's per-connection context does not outlive a request).
 * Each run (warm-up, measured) gets grants of its own: a request still in flight when a run
 * stops has rotated its token without us seeing the answer, and reusing it would (rightly)
 * revoke the grant.
 */
function refreshChains(grantSets) {
  return {
    method: 'POST',
    hooks: (run) => {
      const pool = grantSets[run].map((g) => ({ rt: g.refresh_token, clientId: g.client_id }));
      return {
        setupRequest: (req, context) => {
          const g = pool.shift();
          if (!g) throw new Error('refresh scenario: no refresh token free (more requests in flight than grants)');
          context.clientId = g.clientId;
          return { ...req, method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: g.rt, client_id: g.clientId }).toString() };
        },
        onResponse: (status, body, context) => {
          if (status === 200) pool.push({ rt: JSON.parse(body).refresh_token, clientId: context.clientId });
          else if (!refreshChains.reported && (refreshChains.reported = true)) console.error(`token endpoint: ${status} ${body}`); // the run fails on non-2xx
        },
      };
    },
  };
}

const chosen = scenarios.filter((s, i) => i === 0 || !ONLY || ONLY.test(s.name));
const results = new Map(chosen.map((s) => [s, []]));
const cached = await startServer();
try {
  const target = await setupTarget(cached.url);
  // OAuth grants through the real code + PKCE flow (scope file:read): for each round, two sets
  // of two per connection (the refresh scenario's warm-up and measured run), and one more whose
  // access token the Bearer scenario uses (never refreshed, so never rotated away).
  target.oauth = [];
  const grantSet = 2 * CONNECTIONS;
  const grants = (chosen.some((s) => s.refreshChains) ? 2 * ROUNDS * grantSet : 0) + 1;
  for (let i = 0; i < grants; i++) {
    target.oauth.push(await obtainTokens({ base: cached.url, adminPassword: 'bench-operator-password', login: 'bench', password: 'bench-password', scope: 'file:read' }));
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of chosen.filter((s) => !s.env)) {
      const headers = typeof s.headers === 'function' ? s.headers(target) : s.headers;
      const sets = [2 * round, 2 * round + 1].map((n) => target.oauth.slice(n * grantSet, (n + 1) * grantSet));
      results.get(s).push(await measure(cached.url, s.path, headers, s.setupRequest, s.refreshChains ? refreshChains(sets) : { method: s.method }));
    }
  }
} finally {
  await cached.stop();
}
for (const s of chosen.filter((s) => s.env)) {
  const server = await startServer(s.env);
  try {
    for (let round = 0; round < ROUNDS; round++) results.get(s).push(await measure(server.url, s.path, s.headers));
  } finally {
    await server.stop();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = chosen.map((s) => {
  const runs = results.get(s);
  return { ...s, rps: median(runs.map((r) => r.rps)), p50: median(runs.map((r) => r.p50)), p99: median(runs.map((r) => r.p99)), all: runs.map((r) => Math.round(r.rps)) };
});
const base = rows[0];
console.log(`\n${CONNECTIONS} connections, ${DURATION} s each, medians of ${ROUNDS} rounds, Node ${process.version}\n`);
console.log('| scenario | req/s | ratio to baseline | p50 ms | p99 ms | p99 ratio | req/s each round |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.name} | ${Math.round(r.rps)} | ${(r.rps / base.rps).toFixed(2)} | ${r.p50} | ${r.p99} | ${(r.p99 / Math.max(base.p99, 1)).toFixed(2)} | ${r.all.join(', ')} |`);
}

const acl = aclBench();
console.log(`\nACL decisions (trie resolver, paths 6 segments deep): ${Math.round(acl.small).toLocaleString('en')}/s with 10 rules, ${Math.round(acl.large).toLocaleString('en')}/s with 10,000 rules (ratio ${(acl.large / acl.small).toFixed(2)})`);
