// npm run bench: throughput and latency of guarded routes as ratios to an unguarded route
// measured in the same run (these machines are shared and noisy; absolute figures are not).
// The scenarios run against a server child process (one of their own for different settings);
// autocannon drives it from this process.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { makeOtp } from '../dist/src/otp/core/otp-token.js';
import { obtainTokens } from '../scripts/oauth-token.mjs';
import { aclBench } from './acl.mjs';
import { recursiveCopyBench } from './recursive-copy.mjs';
import { setupTarget } from './setup.mjs';
import { startServer } from './server-process.mjs';

const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const SLICES = Number(process.env.BENCH_SLICES ?? 10);
// /proc/<pid>/stat counts CPU time in USER_HZ ticks, 100 a second on Linux.
const CLOCK_TICKS = 100;
// Rounds: every scenario (paired with the baseline) once per round, rounds one after another,
// medians reported. A burst of other work on the machine then spoils one round's figure.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
// BENCH_ONLY=regex keeps the scenarios whose name matches.
const ONLY = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY, 'i') : undefined;
const basic = `Basic ${Buffer.from('bench:bench-password').toString('base64')}`;
/** Headers of the sublogin's Basic credential and the application's key. */
const subloginWithKey = (target) => ({ authorization: `Basic ${Buffer.from(target.sublogin.join(':')).toString('base64')}`, 'x-api-key': target.apiKey });

/** CPU time (user + system, µs) the server process has used so far, from /proc (Linux). */
function cpuMicros(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
}

/**
 * One autocannon run of `duration` seconds against `server`, with the server's CPU time it took.
 * `s.hooks(run)` gives a run its own setupRequest/onResponse (the refresh scenario: grants of
 * its own for every run).
 */
async function load(server, s, headers, duration, run) {
  const hooks = s.hooks?.(run) ?? {};
  const setup = hooks.setupRequest ?? s.setupRequest;
  const requests = setup || hooks.onResponse ? [{ setupRequest: setup, onResponse: hooks.onResponse }] : undefined;
  const cpuBefore = cpuMicros(server.pid);
  const r = await autocannon({ url: server.url + s.path, headers, requests, connections: CONNECTIONS, duration, ...(s.method ? { method: s.method } : {}) });
  const bad = r.non2xx + r.errors + r.timeouts;
  if (bad > 0) throw new Error(`${s.path}: ${bad} failed requests`);
  return { ...r, cpu: cpuMicros(server.pid) - cpuBefore };
}

/**
 * A scenario against the baseline on the same server, after a 1 s warm-up of the scenario: the
 * two alternate in BENCH_SLICES (10) slices each (A B, B A, A B, …; BENCH_SECONDS in all for each),
 * so they meet the same machine — its bursts last seconds — and a drift cancels out. The ratio
 * is the scenario's requests over the baseline's.
 */
async function paired(server, s, headers) {
  await load(server, s, headers, 1, 0);
  const slices = s.slices ?? SLICES;
  const slice = DURATION / slices;
  const base = [];
  const runs = [];
  for (let i = 0; i < slices; i++) {
    const scenarioFirst = i % 2 === 1;
    if (!scenarioFirst) base.push(await load(server, baseline, {}, slice));
    runs.push(await load(server, s, headers, slice, i + 1));
    if (scenarioFirst) base.push(await load(server, baseline, {}, slice));
  }
  const total = (rs, get = (r) => r.requests.total) => rs.reduce((n, r) => n + get(r), 0);
  const cpuPerRequest = (rs) => total(rs, (r) => r.cpu) / total(rs);
  const worst = (rs, key) => Math.max(...rs.map((r) => r.latency[key]));
  return {
    ratio: total(runs) / total(base),
    cpuRatio: cpuPerRequest(base) / cpuPerRequest(runs),
    cpu: cpuPerRequest(runs),
    baseCpu: cpuPerRequest(base),
    rps: total(runs) / DURATION,
    baseRps: total(base) / DURATION,
    p50: worst(runs, 'p50'),
    p99: worst(runs, 'p99'),
    baseP99: worst(base, 'p99'),
  };
}

// The baseline (issue 3's "GET /api/whoami unguarded"): whoami's answer from a @Public() Nest
// route that bench/server.mjs adds; every ratio is to it. /health, smaller and simpler, for reference.
const baseline = { name: 'unguarded whoami: GET /bench/whoami (baseline)', path: '/bench/whoami' };
const scenarios = [
  { name: 'unguarded GET /health', path: '/health' },
  { name: 'Basic, cached verification: GET /api/whoami', path: '/api/whoami', headers: { authorization: basic } },
  {
    // The three checks without a route's own work (whoami has no ACL class).
    name: 'Basic (sublogin) + API key: GET /api/whoami',
    path: '/api/whoami',
    headers: subloginWithKey,
  },
  {
    // Issue 5's "Basic + key + ACL": whoami's handler behind the checks of /api/file/info.
    name: 'Basic (sublogin) + API key + ACL (/file/info/): GET /bench/guarded-whoami?path=/',
    path: '/bench/guarded-whoami?path=/',
    headers: subloginWithKey,
  },
  {
    // The lightest ACL-guarded route of the service: one stat of the area's root.
    name: 'Basic (sublogin) + API key + ACL: GET /api/file/info?path=/',
    path: '/api/file/info?path=/',
    headers: subloginWithKey,
  },
  {
    name: 'Basic (sublogin) + API key + ACL: GET /api/file/list?path=/',
    path: '/api/file/list?path=/',
    headers: subloginWithKey,
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
    // Every slice burns the grants whose requests were in flight when it stopped: two slices (A B
    // B A) keep the grants needed few, and a ratio near 0.03 needs no finer measurement.
    slices: 2,
  },
  { name: 'Basic, cache off (argon2id every request)', path: '/api/whoami', headers: { authorization: basic }, env: { VERIFY_CACHE_TTL: '0' } },
];

let otpCounter = 0;

/**
 * autocannon hooks for the refresh scenario. Refresh tokens rotate on every use, so a request
 * takes a grant's latest refresh token from a pool and its answer puts the new one back: no
 * token is ever sent twice (autocannon's per-connection context does not outlive a request).
 * Each run (warm-up, every measured slice) gets grants of its own: a request still in flight when a run
 * stops has rotated its token without us seeing the answer, and reusing it would (rightly)
 * revoke the grant.
 */
function refreshChains(grantSets) {
  return {
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

const chosen = scenarios.filter((s) => !ONLY || ONLY.test(s.name));
const results = new Map(chosen.map((s) => [s, []]));
// Each run of the refresh scenario (a warm-up and the measured slices, every round) needs grants of its own.
const RUNS_PER_ROUND = 1 + (scenarios.find((s) => s.refreshChains)?.slices ?? SLICES);
const cached = await startServer();
try {
  const target = await setupTarget(cached.url);
  // OAuth grants through the real code + PKCE flow (scope file:read): for every run of the
  // refresh scenario, one per connection and a few spare, and one more whose access token the Bearer scenario
  // uses (never refreshed, so never rotated away).
  target.oauth = [];
  const grantSet = CONNECTIONS + 4; // one per connection, and a few spare
  const grants = (chosen.some((s) => s.refreshChains) ? RUNS_PER_ROUND * ROUNDS * grantSet : 0) + 1;
  for (let i = 0; i < grants; i++) {
    target.oauth.push(await obtainTokens({ base: cached.url, adminPassword: 'bench-operator-password', login: 'bench', password: 'bench-password', scope: 'file:read' }));
  }
  await load(cached, baseline, {}, 1);
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of chosen.filter((s) => !s.env)) {
      const headers = typeof s.headers === 'function' ? s.headers(target) : s.headers;
      const sets = Array.from({ length: RUNS_PER_ROUND }, (_, run) => target.oauth.slice((RUNS_PER_ROUND * round + run) * grantSet).slice(0, grantSet));
      results.get(s).push(await paired(cached, s.refreshChains ? { ...s, ...refreshChains(sets) } : s, headers));
    }
  }
} finally {
  await cached.stop();
}
for (const s of chosen.filter((s) => s.env)) {
  const server = await startServer(s.env);
  try {
    await load(server, baseline, {}, 1);
    for (let round = 0; round < ROUNDS; round++) results.get(s).push(await paired(server, s, s.headers));
  } finally {
    await server.stop();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`\n${CONNECTIONS} connections; each scenario alternating with the baseline (${SLICES} slices of ${DURATION / SLICES} s each, ${DURATION} s in all) in each of ${ROUNDS} rounds; medians; Node ${process.version}\n`);
console.log('| scenario | req/s | baseline req/s | ratio to baseline | server CPU µs/request (baseline) | CPU ratio | p50 ms | p99 ms | p99 ratio | ratio each round | CPU ratio each round |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const s of chosen) {
  const runs = results.get(s);
  const m = (key) => median(runs.map((r) => r[key]));
  const p99Ratio = median(runs.map((r) => r.p99 / Math.max(r.baseP99, 1)));
  const each = (key) => runs.map((r) => r[key].toFixed(2)).join(', ');
  console.log(`| ${s.name} | ${Math.round(m('rps'))} | ${Math.round(m('baseRps'))} | ${m('ratio').toFixed(2)} | ${Math.round(m('cpu'))} (${Math.round(m('baseCpu'))}) | ${m('cpuRatio').toFixed(2)} | ${m('p50')} | ${m('p99')} | ${p99Ratio.toFixed(2)} | ${each('ratio')} | ${each('cpuRatio')} |`);
}

const acl = aclBench();
console.log(`\nACL decisions (trie resolver, paths 6 segments deep): ${Math.round(acl.small).toLocaleString('en')}/s with 10 rules, ${Math.round(acl.large).toLocaleString('en')}/s with 10,000 rules (ratio ${(acl.large / acl.small).toFixed(2)})`);

if (!ONLY || ONLY.test('recursive copy')) {
  const copy = await recursiveCopyBench();
  console.log(`\nRecursive copy of ${copy.files.toLocaleString('en')} files (file API, one request each, medians of ${copy.rounds} rounds): full login ${copy.owner.toFixed(0)} ms; sublogin with 10 rules ${copy.small.toFixed(0)} ms, with 10,000 rules ${copy.large.toFixed(0)} ms (ratio ${(copy.large / copy.small).toFixed(2)}; to the full login ${(copy.small / copy.owner).toFixed(2)} and ${(copy.large / copy.owner).toFixed(2)})`);
}
