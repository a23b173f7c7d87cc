// npm run bench: the service's routes beside reference apps (bench/peers/), every scenario measured
// in the same interleaved slices, reported as ratios to a bare node:http route (the ceiling) and
// to the usual NestJS gateway (these machines are shared and noisy; absolute figures are not).
// Every server is a child process of its own; autocannon drives them all from this process.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { obtainTokens } from '../scripts/oauth-token.mjs';
import { aclBench } from './acl.mjs';
import { fromDist } from './dist.mjs';
import { recursiveCopyBench } from './recursive-copy.mjs';
import { setupTarget } from './setup.mjs';
import { startProcess, startServer } from './server-process.mjs';

const { makeOtp } = await fromDist('src/otp/core/otp-token.js');

const SLICE = Number(process.env.BENCH_SLICE_SECONDS ?? 1);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
// Rounds: every scenario once per round for one slice, so N scenarios make one round-robin; the
// order is reversed every other round (A B … N, N … B A), so each scenario's slices sit on
// average at the same point in time as the ceiling's and a drift cancels out.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
// BENCH_BASELINE_DIST=<another build's dist/> runs every Portcullis scenario against that build
// too, each right after its own in the round-robin: a before/after in one run, on the same load.
const BASELINE_DIST = process.env.BENCH_BASELINE_DIST;
// BENCH_ONLY=regex keeps the scenarios whose name matches (the ceiling and the gateway always run).
const ONLY = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY, 'i') : undefined;
// /proc/<pid>/stat counts CPU time in USER_HZ ticks, 100 a second on Linux.
const CLOCK_TICKS = 100;
const basic = `Basic ${Buffer.from('bench:bench-password').toString('base64')}`;
/** Headers of the sublogin's Basic credential and the application's key. */
const subloginWithKey = (target) => ({ authorization: `Basic ${Buffer.from(target.sublogin.join(':')).toString('base64')}`, 'x-api-key': target.apiKey });
/** Files in the folder the 50-entry listing lists. */
const LIST_ENTRIES = 50;
/** Bytes of the file the two download scenarios fetch. */
const SMALL_FILE = 1024;

/** CPU time (user + system, µs) the server process has used so far, from /proc (Linux). */
function cpuMicros(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
}

// --- the servers ---------------------------------------------------------------------------

const peer = (file, env = {}) => () => startProcess(fileURLToPath(new URL(`./peers/${file}`, import.meta.url)), { env, name: file });
const SERVERS = {
  'node:http': { start: peer('node-http.mjs') },
  'nest-fastify': { start: peer('nest.mjs', { PEER_ADAPTER: 'fastify' }) },
  'nest-express': { start: peer('nest.mjs', { PEER_ADAPTER: 'express' }) },
  'oidc-provider': { start: peer('oidc-provider.mjs'), setup: setupOidcPeer },
  portcullis: { start: () => startServer(), setup: setupPortcullis },
  'portcullis, cache off': { start: () => startServer({ VERIFY_CACHE_TTL: '0' }) },
  'portcullis, baseline build': { start: () => startServer({ BENCH_DIST: BASELINE_DIST }), setup: setupPortcullis },
};

/**
 * Grant sets for the refresh scenarios: one set per run (the warm-up, then one slice per round),
 * each with a grant per connection and a few spare. A request in flight when a run stops has
 * rotated its token without us seeing the answer, and sending that token again would (rightly)
 * revoke the grant, so no grant is used in two runs.
 */
const RUNS = 1 + ROUNDS;
const GRANT_SET = CONNECTIONS + 4;
const inSets = (grants) => Array.from({ length: RUNS }, (_, run) => grants.slice(run * GRANT_SET, (run + 1) * GRANT_SET));

/** The service: setupTarget's account, key and sublogin; a 50-file folder; OAuth grants. */
async function setupPortcullis(server, needs) {
  const target = await setupTarget(server.url);
  const owner = { authorization: basic, 'x-api-key': target.apiKey };
  for (let i = 0; i < LIST_ENTRIES; i++) {
    const res = await fetch(`${server.url}/api/file/upload?path=${encodeURIComponent(`/list50/file-${String(i).padStart(2, '0')}.txt`)}`, { method: 'PUT', headers: owner, body: 'x'.repeat(1024) });
    if (!res.ok) throw new Error(`upload: ${res.status} ${await res.text()}`);
  }
  // OAuth grants through the real code + PKCE flow (scope file:read): the refresh scenario's sets,
  // and one more whose access token the Bearer scenario uses (never refreshed, so never rotated away).
  const grants = [];
  const count = (needs.refreshChains ? RUNS * GRANT_SET : 0) + 1;
  for (let i = 0; i < count; i++) grants.push(await obtainTokens({ base: server.url, adminPassword: 'bench-operator-password', login: 'bench', password: 'bench-password', scope: 'file:read' }));
  target.bearer = grants.pop();
  target.grantSets = inSets(grants);
  // Issue 20: one small file, fetched by Basic + key and by a signed link (unlimited uses, a day).
  const small = await fetch(`${server.url}/api/file/upload?path=%2Fsmall.txt`, { method: 'PUT', headers: owner, body: 'x'.repeat(SMALL_FILE) });
  if (!small.ok) throw new Error(`upload: ${small.status} ${await small.text()}`);
  const link = await fetch(`${server.url}/api/file/links`, { method: 'POST', headers: { ...owner, 'content-type': 'application/json' }, body: JSON.stringify({ method: 'GET', path: '/small.txt', expiresIn: 86_400 }) });
  if (link.status !== 201) throw new Error(`signed link: ${link.status} ${await link.text()}`);
  target.linkToken = (await link.json()).token;
  return target;
}

/** oidc-provider alone: grants minted in the process itself (bench/peers/oidc-provider.mjs). */
async function setupOidcPeer(server) {
  const res = await fetch(`${server.url}/bench/grants?n=${RUNS * GRANT_SET}`, { method: 'POST' });
  if (!res.ok) throw new Error(`oidc-provider peer: ${res.status} ${await res.text()}`);
  return { grantSets: inSets(await res.json()) };
}

// --- the scenarios -------------------------------------------------------------------------

const CEILING = { name: 'node:http, a small JSON answer (the ceiling)', server: 'node:http', path: '/bench/whoami' };
const GATEWAY = {
  name: 'Nest 12 + Express, Passport BasicStrategy + verification cache (the usual NestJS gateway)',
  server: 'nest-express',
  path: '/api/whoami',
  headers: { authorization: basic },
};
const OIDC_PEER = {
  name: 'oidc-provider alone (in-memory adapter), refresh_token grant with rotation: POST /oauth/token',
  server: 'oidc-provider',
  path: '/oauth/token',
  refreshChains: true,
};
const BASIC_DOWNLOAD = {
  name: `Portcullis, Basic + API key: GET /api/file/download?path=/small.txt (${SMALL_FILE} B)`,
  server: 'portcullis',
  path: '/api/file/download?path=%2Fsmall.txt',
  headers: (target) => ({ authorization: basic, 'x-api-key': target.apiKey }),
};
const scenarios = [
  CEILING,
  { name: 'Nest 12 + Fastify, bare route', server: 'nest-fastify', path: '/bench/whoami' },
  { name: 'Nest 12 + Express, bare route', server: 'nest-express', path: '/bench/whoami' },
  { name: 'Nest 12 + Fastify, Passport BasicStrategy + verification cache', server: 'nest-fastify', path: '/api/whoami', headers: { authorization: basic } },
  GATEWAY,
  // Issue 3's "GET /api/whoami unguarded": a @Public() route bench/server.mjs adds, answering
  // whoami's bytes for `bench` with no credential to check.
  { name: 'Portcullis, unguarded whoami: GET /bench/whoami', server: 'portcullis', path: '/bench/whoami', target: '≥ 0.65' },
  { name: 'Portcullis, unguarded GET /health', server: 'portcullis', path: '/health' },
  { name: 'Portcullis, Basic (cached): GET /api/whoami', server: 'portcullis', path: '/api/whoami', headers: { authorization: basic }, target: '≥ 0.55' },
  { name: 'Portcullis, Basic (sublogin) + API key: GET /api/whoami', server: 'portcullis', path: '/api/whoami', headers: subloginWithKey },
  {
    // Issue 5's "Basic + key + ACL": whoami's handler behind the checks of /api/file/info.
    name: "Portcullis, sublogin + API key + ACL (whoami behind file/info's checks): GET /bench/guarded-whoami?path=/",
    server: 'portcullis',
    path: '/bench/guarded-whoami?path=/',
    headers: subloginWithKey,
    target: '≥ 0.50',
  },
  { name: 'Portcullis, GET /api/file/info?path=/ (same checks)', server: 'portcullis', path: '/api/file/info?path=/', headers: subloginWithKey, target: '≥ 0.40' },
  { name: 'Portcullis, GET /api/file/list?path=/ (same checks, a folder of one entry)', server: 'portcullis', path: '/api/file/list?path=/', headers: subloginWithKey },
  { name: `Portcullis, GET /api/file/list?path=/list50 (same checks, ${LIST_ENTRIES} entries)`, server: 'portcullis', path: '/api/file/list?path=/list50', headers: subloginWithKey, target: '≥ 0.30' },
  {
    name: 'Portcullis, OTP (a fresh MD5 token each request): GET /api/whoami?otp=…',
    server: 'portcullis',
    path: '/api/whoami',
    setupRequest: (req) => ({ ...req, path: `/api/whoami?otp=${encodeURIComponent(makeOtp('bench', 'bench-password', Math.floor(Date.now() / 1000) + 300, `s${++otpCounter}`))}` }),
  },
  {
    name: "Portcullis, Bearer (OAuth, cached token check) + the app's API key: GET /api/whoami",
    server: 'portcullis',
    path: '/api/whoami',
    headers: (target) => ({ authorization: `Bearer ${target.bearer.access_token}`, 'x-api-key': target.bearer.api_key }),
  },
  BASIC_DOWNLOAD,
  {
    // Issue 20: the same file through a signed link (no password, no key; the link's row read and
    // its use counted on every request, its creator's rights checked again).
    name: `Portcullis, signed link: GET /link/{token} of the same file`,
    server: 'portcullis',
    path: (target) => `/link/${target.linkToken}`,
    vs: BASIC_DOWNLOAD,
    vsLabel: 'Basic + key download',
  },
  OIDC_PEER,
  {
    name: 'Portcullis, token endpoint, refresh_token grant with rotation: POST /oauth/token',
    server: 'portcullis',
    path: '/oauth/token',
    refreshChains: true,
    vs: OIDC_PEER,
    target: '≥ 2,000/s and ≥ 0.70 of oidc-provider',
  },
  { name: 'Portcullis, Basic with the cache off (argon2id every request)', server: 'portcullis, cache off', path: '/api/whoami', headers: { authorization: basic } },
];
if (BASELINE_DIST) {
  const baselineOf = new Map(scenarios.filter((s) => s.server === 'portcullis').map((s) => [s, { ...s, name: `${s.name} [baseline build]`, server: 'portcullis, baseline build' }]));
  for (const copy of baselineOf.values()) if (baselineOf.has(copy.vs)) copy.vs = baselineOf.get(copy.vs);
  scenarios.splice(0, scenarios.length, ...scenarios.flatMap((s) => (baselineOf.has(s) ? [s, baselineOf.get(s)] : [s])));
}

let otpCounter = 0;

/**
 * autocannon hooks for a refresh scenario. Refresh tokens rotate on every use, so a request takes
 * a grant's latest refresh token from a pool and its answer puts the new one back: no token is
 * ever sent twice (autocannon's per-connection context does not outlive a request). Each run
 * gets a grant set of its own (see inSets).
 */
function refreshHooks(grantSet) {
  const pool = grantSet.map((g) => ({ rt: g.refresh_token, clientId: g.client_id }));
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    setupRequest: (req, context) => {
      const g = pool.shift();
      if (!g) throw new Error('refresh scenario: no refresh token free (more requests in flight than grants)');
      context.clientId = g.clientId;
      return { ...req, method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: g.rt, client_id: g.clientId }).toString() };
    },
    onResponse: (status, body, context) => {
      if (status === 200) pool.push({ rt: JSON.parse(body).refresh_token, clientId: context.clientId });
      else if (!refreshHooks.reported && (refreshHooks.reported = true)) console.error(`token endpoint: ${status} ${body}`); // the run fails on non-2xx
    },
  };
}

/** One autocannon run of `duration` seconds: scenario `s`'s `run`-th (0 = its warm-up), with its server's CPU time. */
async function load(s, duration, run) {
  const server = running.get(s.server);
  const target = targets.get(s.server);
  let headers = typeof s.headers === 'function' ? s.headers(target) : s.headers;
  let method = s.method;
  let hooks = { setupRequest: s.setupRequest };
  if (s.refreshChains) ({ method, headers, ...hooks } = refreshHooks(target.grantSets[run]));
  const requests = hooks.setupRequest || hooks.onResponse ? [hooks] : undefined;
  const cpuBefore = cpuMicros(server.pid);
  const path = typeof s.path === 'function' ? s.path(target) : s.path;
  const r = await autocannon({ url: server.url + path, headers, requests, connections: CONNECTIONS, duration, ...(method ? { method } : {}) });
  const cpu = cpuMicros(server.pid) - cpuBefore;
  const bad = r.non2xx + r.errors + r.timeouts;
  if (bad > 0) throw new Error(`${s.name}: ${bad} failed requests`);
  return { requests: r.requests.total, seconds: r.duration, cpu, p50: r.latency.p50, p99: r.latency.p99 };
}

// --- the run -------------------------------------------------------------------------------

const chosen = scenarios.filter((s) => s === CEILING || s === GATEWAY || !ONLY || ONLY.test(s.name) || scenarios.some((o) => o.vs === s && ONLY.test(o.name)));
const needs = { refreshChains: chosen.some((s) => s.refreshChains && s.server.startsWith('portcullis')) };
const running = new Map();
const targets = new Map();
const results = new Map(chosen.map((s) => [s, []]));
const started = performance.now();
const loadBefore = os.loadavg().map((x) => x.toFixed(1)).join(' ');
try {
  for (const name of new Set(chosen.map((s) => s.server))) {
    const server = await SERVERS[name].start();
    running.set(name, server);
    targets.set(name, (await SERVERS[name].setup?.(server, needs)) ?? {});
  }
  process.stderr.write(`servers up and set up in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  for (const s of chosen) await load(s, 1, 0); // warm-up: JIT, caches, connections
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of round % 2 ? [...chosen].reverse() : chosen) results.get(s).push(await load(s, SLICE, round + 1));
    process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
  }
} finally {
  for (const server of running.values()) await server.stop();
}
const measured = (performance.now() - started) / 1000;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sum = (rs, key) => rs.reduce((n, r) => n + r[key], 0);
const fmt = (x, digits = 2) => x.toFixed(digits);
const int = (x) => Math.round(x).toLocaleString('en');
/** Requests a second of each round's slice. */
const rates = (s) => results.get(s).map((r) => r.requests / r.seconds);
/** Each round's ratio of `s` to `ref` (slices of one round-robin). */
const perRound = (s, ref) => rates(s).map((x, i) => x / rates(ref)[i]);
const ceiling = results.get(CEILING);
/** Server CPU µs a request over all rounds: steadier than throughput on a busy machine (the client's share is left out). */
const cpuPerRequest = (s) => sum(results.get(s), 'cpu') / sum(results.get(s), 'requests');
console.log(
  `\n${CONNECTIONS} connections; ${chosen.length} scenarios on ${running.size} servers, one slice of ${SLICE} s each per round in one round-robin (reversed every other round), ${ROUNDS} rounds after a 1 s warm-up each; medians of the rounds; Node ${process.version}; load average ${loadBefore} before, ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} after; ${fmt(measured, 0)} s in all\n`,
);
console.log("| scenario | req/s | ÷ node:http | rounds | ÷ gateway | server CPU µs/request | CPU ratio (node:http's µs ÷ this) | p50 / p99 ms | p99 ÷ node:http's | target (issue 18, ÷ node:http) |");
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const s of chosen) {
  const rs = results.get(s);
  const ratios = perRound(s, CEILING);
  // autocannon's latencies have a resolution of 1 ms: below that, both sides count as 1 ms.
  const p99Ratio = median(rs.map((r, i) => Math.max(r.p99, 1) / Math.max(ceiling[i].p99, 1)));
  let target = s.target ?? '';
  if (s.vs && results.has(s.vs)) target = `÷ ${s.vsLabel ?? 'oidc-provider'} **${fmt(median(perRound(s, s.vs)))}**; ${target}`;
  console.log(
    `| ${s.name} | ${int(median(rates(s)))} | **${fmt(median(ratios))}** | ${fmt(Math.min(...ratios))}–${fmt(Math.max(...ratios))} | ${fmt(median(perRound(s, GATEWAY)))} | ${int(cpuPerRequest(s))} | ${fmt(cpuPerRequest(CEILING) / cpuPerRequest(s))} | ${median(rs.map((r) => r.p50))} / ${median(rs.map((r) => r.p99))} | ${fmt(p99Ratio)} | ${target} |`,
  );
}

const acl = aclBench();
console.log(`\nACL decisions (trie resolver, paths 6 segments deep): ${Math.round(acl.small).toLocaleString('en')}/s with 10 rules, ${Math.round(acl.large).toLocaleString('en')}/s with 10,000 rules (ratio ${(acl.large / acl.small).toFixed(2)})`);

if (!ONLY || ONLY.test('recursive copy')) {
  const copy = await recursiveCopyBench();
  console.log(`\nRecursive copy of ${copy.files.toLocaleString('en')} files (file API, one request each, medians of ${copy.rounds} rounds): full login ${copy.owner.toFixed(0)} ms; sublogin with 10 rules ${copy.small.toFixed(0)} ms, with 10,000 rules ${copy.large.toFixed(0)} ms (ratio ${(copy.large / copy.small).toFixed(2)}; to the full login ${(copy.small / copy.owner).toFixed(2)} and ${(copy.large / copy.owner).toFixed(2)})`);
}
