// npm run bench:load — mixed traffic at a fixed rate against one and then two instances of the
// built service (dist/), child processes on loopback sharing one PostgreSQL database (created for
// the run, dropped after), one Redis key prefix and one storage folder, as behind a load balancer.
//
// Traffic (weights): Basic + API key file operations (list as a sublogin, download, upload),
// OTP calls (a fresh MD5 token each), WebDAV GET, PUT and PROPFIND (Depth 1). Requests are sent
// open-loop at each rate of LOAD_RATE for LOAD_SECONDS (after LOAD_WARMUP seconds not measured),
// round-robin over the instances; latency is measured from each request's scheduled time, so a
// server that falls behind shows it (no coordinated omission). Any error (a status other than
// the expected one, a network error, a 30 s timeout) fails the run.
//
// Environment: LOAD_RATE (default "200,900": a load one instance carries easily, and one near its
// limit on a 2-core machine), LOAD_SECONDS (20), LOAD_WARMUP (3), LOAD_INSTANCES
// ("1,2"), PORTCULLIS_TEST_POSTGRES / PORTCULLIS_TEST_REDIS (defaults: the local servers).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { makeOtp } from '../dist/src/otp/core/otp-token.js';
import { SERVICE_NODE_FLAGS } from './node-flags.mjs';

const RATES = (process.env.LOAD_RATE ?? '200,900').split(',').map(Number);
const SECONDS = Number(process.env.LOAD_SECONDS ?? 20);
const WARMUP = Number(process.env.LOAD_WARMUP ?? 3);
const INSTANCES = (process.env.LOAD_INSTANCES ?? '1,2').split(',').map(Number);
const PG_BASE = process.env.PORTCULLIS_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS = process.env.PORTCULLIS_TEST_REDIS ?? 'redis://127.0.0.1:6379';
const TIMEOUT_MS = 30_000;
const ADMIN_PASSWORD = 'load-operator-password';

const MIX = [
  ['file list (sublogin, Basic + key)', 20],
  ['file download (Basic + key)', 15],
  ['file upload 8 KiB (Basic + key)', 10],
  ['OTP whoami (fresh MD5 token)', 15],
  ['WebDAV GET', 15],
  ['WebDAV PUT 8 KiB', 10],
  ['WebDAV PROPFIND Depth 1', 15],
];

async function adminQuery(sql) {
  const client = new pg.Client({ connectionString: PG_BASE, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** One instance: `node dist/src/main.js`, resolved once it prints its URL. */
async function startInstance(env) {
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, 'dist/src/main.js'], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (out += d));
  for (let i = 0; i < 600; i++) {
    const m = /Portcullis listening on (http:\/\/\S+)/.exec(out);
    if (m) {
      return {
        url: m[1],
        output: () => out,
        stop: async () => {
          if (child.exitCode === null) {
            child.kill('SIGTERM');
            await once(child, 'exit');
          }
        },
      };
    }
    if (child.exitCode !== null) throw new Error(`instance exited: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`instance did not start: ${out}`);
}

const agents = new Map();
/** One HTTP request on a keep-alive pool per origin; resolves { status, body } or rejects. */
function send(base, method, path, headers = {}, body) {
  const url = new URL(path, base);
  let agent = agents.get(url.origin);
  if (!agent) agents.set(url.origin, (agent = new http.Agent({ keepAlive: true, maxSockets: 256 })));
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: body ? { ...headers, 'content-length': Buffer.byteLength(body) } : headers, agent, timeout: TIMEOUT_MS }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

async function json(base, method, path, { cookie, csrf, body } = {}) {
  const headers = body === undefined ? {} : { 'content-type': 'application/json' };
  if (cookie) headers.cookie = cookie;
  if (csrf) headers['x-csrf-token'] = csrf;
  const res = await send(base, method, path, headers, body === undefined ? undefined : JSON.stringify(body));
  const parsed = res.body.length ? JSON.parse(res.body.toString('utf8')) : {};
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.body}`);
  return parsed;
}

async function session(base, login, password) {
  const res = await new Promise((resolve, reject) => {
    const req = http.request(new URL('/auth/login', base), { method: 'POST', headers: { 'content-type': 'application/json' } }, (r) => {
      const chunks = [];
      r.on('data', (c) => chunks.push(c));
      r.on('end', () => resolve({ status: r.statusCode, headers: r.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ login, password }));
  });
  if (res.status !== 200) throw new Error(`login ${login}: ${res.status} ${res.body}`);
  const cookie = res.headers['set-cookie'].map((c) => c.split(';')[0]).join('; ');
  return { cookie, csrf: JSON.parse(res.body).csrfToken };
}

/** Accounts, application, sublogin and seed files, through the public API of one instance. */
async function setUp(base) {
  const admin = await session(base, 'admin', ADMIN_PASSWORD);
  await json(base, 'POST', '/api/admin/accounts', { ...admin, body: { login: 'loaduser', password: 'load-user-password', email: 'load@example.com', registeredAt: '2020-01-01T00:00:00Z' } });
  await json(base, 'POST', '/api/admin/accounts', { ...admin, body: { login: 'loaddev', password: 'load-dev-password', email: 'dev@example.com' } });
  const dev = await session(base, 'loaddev', 'load-dev-password');
  const app = await json(base, 'POST', '/api/apps', { ...dev, body: { name: 'Load client' } });
  await json(base, 'POST', `/api/admin/apps/${app.id}/approve`, admin);
  const { key } = await json(base, 'POST', `/api/apps/${app.id}/key`, dev);
  const user = await session(base, 'loaduser', 'load-user-password');
  await json(base, 'POST', '/api/sublogin/create', { ...user, body: { name: 'worker', password: 'load-worker-password', rules: [{ path: '/file/', effect: 'allow' }, { path: '/dav/', effect: 'allow' }] } });
  const basic = `Basic ${Buffer.from('loaduser:load-user-password').toString('base64')}`;
  for (let i = 0; i < 20; i++) {
    const res = await send(base, 'PUT', `/api/file/upload?path=${encodeURIComponent(`/load/seed-${i}.bin`)}`, { authorization: basic, 'x-api-key': key }, randomBytes(16 * 1024));
    if (res.status !== 201) throw new Error(`seed upload: ${res.status}`);
  }
  return { key, basic, worker: `Basic ${Buffer.from('loaduser-worker:load-worker-password').toString('base64')}` };
}

/** The i-th request of the mix: [kind, method, path, headers, body, expected status]. */
function requestOf(i, creds) {
  const total = MIX.reduce((n, [, w]) => n + w, 0);
  let pick = (i * 7919) % total; // a fixed interleaving of the kinds, the same every run
  let k = 0;
  while (pick >= MIX[k][1]) pick -= MIX[k++][1];
  const kind = MIX[k][0];
  const n = i % 20;
  const key = { 'x-api-key': creds.key };
  switch (k) {
    case 0:
      return [kind, 'GET', '/api/file/list?path=%2Fload&fields=name,size', { authorization: creds.worker, ...key }, undefined, 200];
    case 1:
      return [kind, 'GET', `/api/file/download?path=${encodeURIComponent(`/load/seed-${n}.bin`)}`, { authorization: creds.basic, ...key }, undefined, 200];
    case 2:
      return [kind, 'PUT', `/api/file/upload?path=${encodeURIComponent(`/load/up-${n}.bin`)}`, { authorization: creds.basic, ...key }, randomBytes(8 * 1024), [200, 201]];
    case 3: {
      const otp = makeOtp('loaduser', 'load-user-password', Math.floor(Date.now() / 1000) + 300, `load-${i}-${randomUUID()}`);
      return [kind, 'GET', `/api/whoami?otp=${encodeURIComponent(otp)}`, {}, undefined, 200];
    }
    case 4:
      return [kind, 'GET', `/dav/load/seed-${n}.bin`, { authorization: creds.worker }, undefined, 200];
    case 5:
      return [kind, 'PUT', `/dav/load/dav-${n}.bin`, { authorization: creds.worker }, randomBytes(8 * 1024), [201, 204]];
    default:
      return [kind, 'PROPFIND', '/dav/load/', { authorization: creds.worker, depth: '1', 'content-type': 'application/xml' }, '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getcontentlength/><D:getetag/></D:prop></D:propfind>', 207];
  }
}

const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : 0);

/** Sends `rate` requests a second for `seconds`, open-loop; returns the samples. */
async function drive(urls, creds, rate, seconds, offset) {
  const count = Math.round(rate * seconds);
  const start = performance.now() + 50;
  const samples = [];
  const inflight = [];
  for (let i = 0; i < count; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const [kind, method, path, headers, body, expected] = requestOf(offset + i, creds);
    const base = urls[i % urls.length];
    inflight.push(
      send(base, method, path, headers, body).then(
        (res) => {
          const ok = Array.isArray(expected) ? expected.includes(res.status) : res.status === expected;
          samples.push({ kind, ms: performance.now() - due, error: ok ? null : `${method} ${path}: ${res.status} ${res.body.toString('utf8').slice(0, 200)}` });
        },
        (err) => samples.push({ kind, ms: performance.now() - due, error: `${method} ${path}: ${err.message}` }),
      ),
    );
  }
  await Promise.all(inflight);
  return { samples, elapsed: (performance.now() - start) / 1000 };
}

function summarise(label, { samples, elapsed }) {
  const all = samples.map((s) => s.ms).sort((a, b) => a - b);
  const errors = samples.filter((s) => s.error);
  const row = { label, requests: samples.length, throughput: samples.length / elapsed, p50: pct(all, 50), p99: pct(all, 99), max: all.at(-1) ?? 0, errors: errors.length };
  const kinds = MIX.map(([kind]) => {
    const ms = samples.filter((s) => s.kind === kind).map((s) => s.ms).sort((a, b) => a - b);
    return { kind, n: ms.length, p50: pct(ms, 50), p99: pct(ms, 99) };
  });
  return { row, kinds, errors };
}

const rows = [];
const failures = [];
const dbName = `portcullis_load_${randomUUID().replaceAll('-', '')}`;
const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-load-'));
const instances = [];
let created = false;
const cleanUp = async () => {
  for (const i of instances.splice(0)) await i.stop().catch(() => undefined);
  for (const a of agents.values()) a.destroy();
  if (created) await adminQuery(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch((e) => console.error(`could not drop ${dbName}: ${e.message}`));
  rmSync(dataDir, { recursive: true, force: true });
};
process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)));

try {
  await adminQuery(`CREATE DATABASE ${dbName}`);
  created = true;
  const url = new URL(PG_BASE);
  url.pathname = `/${dbName}`;
  const env = {
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: url.toString(),
    REDIS_URL: REDIS,
    REDIS_KEY_PREFIX: `portcullis-load-${randomUUID()}:`,
    SECRET_KEY: randomBytes(32).toString('base64'),
    DATA_DIR: dataDir,
    STORAGE_DIR: join(dataDir, 'storage'),
    BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
    LOG_LEVEL: 'warn',
  };
  // One after the other: the first applies the migrations.
  for (let n = 0; n < Math.max(...INSTANCES); n++) instances.push(await startInstance(env));
  const creds = await setUp(instances[0].url);

  let offset = 0;
  for (const rate of RATES) {
    for (const n of INSTANCES) {
      const urls = instances.slice(0, n).map((i) => i.url);
      const warm = await drive(urls, creds, rate, WARMUP, offset);
      failures.push(...warm.samples.filter((s) => s.error));
      offset += Math.round(rate * WARMUP);
      const result = summarise(`${rate} req/s, ${n} instance${n > 1 ? 's' : ''}`, await drive(urls, creds, rate, SECONDS, offset));
      offset += Math.round(rate * SECONDS);
      rows.push(result);
      failures.push(...result.errors);
    }
  }
} finally {
  await cleanUp();
}

console.log(`\nMixed traffic, open loop, ${SECONDS} s per run (after ${WARMUP} s warm-up), PostgreSQL + Redis, Node ${process.version}\n`);
console.log('| offered load | requests | throughput req/s | p50 ms | p99 ms | max ms | errors |');
console.log('|---|---|---|---|---|---|---|');
for (const { row } of rows) console.log(`| ${row.label} | ${row.requests} | ${row.throughput.toFixed(1)} | ${row.p50.toFixed(1)} | ${row.p99.toFixed(1)} | ${row.max.toFixed(0)} | ${row.errors} |`);
console.log(`\n| request (p50 / p99 ms) | ${rows.map(({ row }) => row.label).join(' | ')} |`);
console.log(`|---|${rows.map(() => '---').join('|')}|`);
for (let k = 0; k < MIX.length; k++) {
  console.log(`| ${MIX[k][0]} (${MIX[k][1]}%) | ${rows.map(({ kinds }) => `${kinds[k].p50.toFixed(1)} / ${kinds[k].p99.toFixed(1)}`).join(' | ')} |`);
}
if (failures.length) {
  console.error(`\n${failures.length} failed requests, e.g.:\n${[...new Set(failures.map((f) => f.error))].slice(0, 5).join('\n')}`);
  process.exit(1);
}
