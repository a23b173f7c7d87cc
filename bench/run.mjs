// npm run bench: throughput and latency of guarded routes as ratios to an unguarded route
// measured in the same run (these machines are shared and noisy; absolute figures are not).
// Each scenario runs against its own server process; autocannon drives it from this process.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import autocannon from 'autocannon';
import { makeOtp } from '../dist/src/otp/core/otp-token.js';
import { aclBench } from './acl.mjs';
import { setupTarget } from './setup.mjs';

const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const basic = `Basic ${Buffer.from('bench:bench-password').toString('base64')}`;

async function startServer(env = {}) {
  const child = spawn(process.execPath, ['bench/server.mjs'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  for await (const chunk of child.stdout) {
    out += chunk;
    const m = out.match(/READY (\S+)/);
    if (m) return { url: m[1], stop: async () => { child.kill('SIGTERM'); await once(child, 'exit'); } };
  }
  throw new Error(`server did not start: ${out}`);
}

async function measure(url, path, headers = {}, setupRequest) {
  // A short warm-up fills caches and JIT; then the measured run.
  const requests = setupRequest ? [{ setupRequest }] : undefined;
  await autocannon({ url: url + path, headers, requests, connections: CONNECTIONS, duration: 1 });
  const r = await autocannon({ url: url + path, headers, requests, connections: CONNECTIONS, duration: DURATION });
  const bad = r.non2xx + r.errors + r.timeouts;
  if (bad > 0) throw new Error(`${path}: ${bad} failed requests`);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99 };
}

const scenarios = [
  { name: 'unguarded GET /health (baseline)', path: '/health' },
  { name: 'Basic, cached verification: GET /api/whoami', path: '/api/whoami', headers: { authorization: basic } },
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
  { name: 'Basic, cache off (argon2id every request)', path: '/api/whoami', headers: { authorization: basic }, env: { VERIFY_CACHE_TTL: '0' } },
];

let otpCounter = 0;
const rows = [];
const cached = await startServer();
try {
  const target = await setupTarget(cached.url);
  for (const s of scenarios.filter((s) => !s.env)) {
    const headers = typeof s.headers === 'function' ? s.headers(target) : s.headers;
    rows.push({ ...s, ...(await measure(cached.url, s.path, headers, s.setupRequest)) });
  }
} finally {
  await cached.stop();
}
for (const s of scenarios.filter((s) => s.env)) {
  const server = await startServer(s.env);
  try {
    rows.push({ ...s, ...(await measure(server.url, s.path, s.headers)) });
  } finally {
    await server.stop();
  }
}

const base = rows[0];
console.log(`\n${CONNECTIONS} connections, ${DURATION} s each, Node ${process.version}\n`);
console.log('| scenario | req/s | ratio to baseline | p50 ms | p99 ms | p99 ratio |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.name} | ${Math.round(r.rps)} | ${(r.rps / base.rps).toFixed(2)} | ${r.p50} | ${r.p99} | ${(r.p99 / Math.max(base.p99, 1)).toFixed(2)} |`);
}

const acl = aclBench();
console.log(`\nACL decisions (trie resolver, paths 6 segments deep): ${Math.round(acl.small).toLocaleString('en')}/s with 10 rules, ${Math.round(acl.large).toLocaleString('en')}/s with 10,000 rules (ratio ${(acl.large / acl.small).toFixed(2)})`);
