// node bench/profile.mjs [workload…]: a CPU profile of the service over one measured load only
// (an inspector session started and stopped around it, so start-up and set-up are left out),
// printed as the functions with the most self time, and by package. Workloads:
//   whoami-basic  GET /api/whoami with Basic (cached verification)
//   dav-get-4k    WebDAV GET of a 4 KiB file with Basic (cached)
//   dav-put-4k    WebDAV PUT of 4 KiB over one file with Basic (cached)
//   dav-propfind-0  WebDAV PROPFIND Depth 0 (allprop) of a 4 KiB file with Basic (cached)
//   whoami-open   GET /bench/whoami (unguarded), for reference
//   download-1k-key  GET /api/file/download of a 1 KiB file with Basic (cached) + API key
//   link-get-1k      the same file through a signed link (GET /link/{token})
//   oauth-refresh    POST /oauth/token, refresh_token grant with rotation (as bench/run.mjs's row)
//   dav-propfind-1   WebDAV PROPFIND Depth 1 (allprop) of a 50-file folder with Basic (cached)
//   file-list-50     GET /api/file/list of a 50-file folder as a sublogin + API key (bench/run.mjs's row)
// PROFILE_SECONDS (10) of autocannon with BENCH_CONNECTIONS (16); PROFILE_TOP (10) rows;
// PROFILE_OUT=<dir> also writes each .cpuprofile (Chrome DevTools opens them).
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { obtainTokens } from '../scripts/oauth-token.mjs';
import { startServer } from './server-process.mjs';
import { setupTarget } from './setup.mjs';

// autocannon refuses methods outside its list; WebDAV's are plain HTTP/1.1 requests to it.
createRequire(import.meta.url)('autocannon/lib/httpMethods.js').push('PROPFIND', 'MKCOL');

const SECONDS = Number(process.env.PROFILE_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const TOP = Number(process.env.PROFILE_TOP ?? 10);
const basic = `Basic ${Buffer.from('bench:bench-password').toString('base64')}`;
const WORKLOADS = {
  'whoami-basic': { path: '/api/whoami', headers: { authorization: basic } },
  'dav-get-4k': {
    path: '/dav/profile-4k.bin',
    headers: { authorization: basic },
    prepare: async (url) => {
      const res = await fetch(`${url}/dav/profile-4k.bin`, { method: 'PUT', headers: { authorization: basic }, body: Buffer.alloc(4096, 'x') });
      if (!res.ok) throw new Error(`PUT: ${res.status}`);
    },
  },
  'dav-put-4k': { path: '/dav/profile-put.bin', method: 'PUT', headers: { authorization: basic }, body: Buffer.alloc(4096, 'y') },
  // PROPFIND Depth 0 (allprop) of the 4 KiB file dav-get-4k reads.
  'dav-propfind-0': {
    path: '/dav/profile-4k.bin',
    method: 'PROPFIND',
    headers: { authorization: basic, depth: '0' },
    prepare: (url) => WORKLOADS['dav-get-4k'].prepare(url),
  },
  'whoami-open': { path: '/bench/whoami' },
  // Issue 20: a 1 KiB file by Basic + API key, and the same file by a signed link.
  'download-1k-key': { path: '/api/file/download?path=%2Fprofile-1k.txt', headers: { authorization: basic }, prepare: (url, w) => prepareSmall(url, w, false) },
  'link-get-1k': { path: '', prepare: (url, w) => prepareSmall(url, w, true) },
  // Refresh tokens rotate: each request takes a grant's latest token from a pool and its answer
  // puts the new one back, so no token is sent twice (a reuse would revoke the grant). The
  // warm-up and the measured run each get grants of their own (a run stops with requests in flight).
  'dav-propfind-1': {
    path: '/dav/propfind50/',
    method: 'PROPFIND',
    headers: { authorization: basic, depth: '1' },
    prepare: async (url) => {
      await fetch(`${url}/dav/propfind50/`, { method: 'MKCOL', headers: { authorization: basic } });
      for (let i = 0; i < 50; i++) {
        const res = await fetch(`${url}/dav/propfind50/file-${String(i).padStart(2, '0')}.txt`, { method: 'PUT', headers: { authorization: basic }, body: 'x'.repeat(1024) });
        if (!res.ok) throw new Error(`PUT: ${res.status}`);
      }
    },
  },
  'file-list-50': { path: '/api/file/list?path=%2Flist50', prepare: prepareList },
  'oauth-refresh': { path: '/oauth/token', method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, prepare: prepareRefresh },
};

async function prepareRefresh(url, w) {
  keyed ??= await setupTarget(url);
  const sets = [];
  for (let s = 0; s < 2; s++) {
    const grants = [];
    for (let i = 0; i < CONNECTIONS + 4; i++) grants.push(await obtainTokens({ base: url, adminPassword: 'bench-operator-password', login: 'bench', password: 'bench-password', scope: 'file:read' }));
    sets.push(grants.map((g) => ({ rt: g.refresh_token, clientId: g.client_id })));
  }
  w.hooks = () => {
    const pool = sets.shift();
    return {
      setupRequest: (req, context) => {
        const g = pool.shift();
        if (!g) throw new Error('oauth-refresh: no refresh token free');
        context.clientId = g.clientId;
        return { ...req, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: g.rt, client_id: g.clientId }).toString() };
      },
      onResponse: (status, body, context) => {
        if (status === 200) pool.push({ rt: JSON.parse(body).refresh_token, clientId: context.clientId });
      },
    };
  };
}

/** The 1 KiB file, the application's key (sent by the Basic workload) and, for the link workload, its path. */
async function prepareSmall(url, w, link) {
  const res = await fetch(`${url}/dav/profile-1k.txt`, { method: 'PUT', headers: { authorization: basic }, body: Buffer.alloc(1024, 'x') });
  if (!res.ok) throw new Error(`PUT: ${res.status}`);
  keyed ??= await setupTarget(url);
  w.headers = link ? {} : { ...w.headers, 'x-api-key': keyed.apiKey };
  if (!link) return;
  const made = await fetch(`${url}/api/file/links`, { method: 'POST', headers: { authorization: basic, 'x-api-key': keyed.apiKey, 'content-type': 'application/json' }, body: JSON.stringify({ method: 'GET', path: '/profile-1k.txt', expiresIn: 86_400 }) });
  if (made.status !== 201) throw new Error(`link: ${made.status} ${await made.text()}`);
  w.path = `/link/${(await made.json()).token}`;
}
let keyed;

async function prepareList(url, w) {
  keyed ??= await setupTarget(url);
  for (let i = 0; i < 50; i++) {
    const res = await fetch(`${url}/api/file/upload?path=${encodeURIComponent(`/list50/file-${String(i).padStart(2, '0')}.txt`)}`, { method: 'PUT', headers: { authorization: basic, 'x-api-key': keyed.apiKey }, body: 'x'.repeat(1024) });
    if (!res.ok) throw new Error(`upload: ${res.status}`);
  }
  w.headers = { authorization: `Basic ${Buffer.from(keyed.sublogin.join(':')).toString('base64')}`, 'x-api-key': keyed.apiKey };
}

/** A minimal Chrome DevTools Protocol client over the inspector's WebSocket. */
async function inspector(port) {
  const [target] = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  let id = 0;
  const pending = new Map();
  ws.onmessage = (e) => {
    const msg = JSON.parse(e.data);
    if (msg.id && pending.has(msg.id)) {
      const { resolve, reject } = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) reject(new Error(msg.error.message));
      else resolve(msg.result);
    }
  };
  return {
    send: (method, params = {}) =>
      new Promise((resolve, reject) => {
        pending.set(++id, { resolve, reject });
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
}

/** Self time per function (name + location) and per package, from a V8 CPU profile. */
function selfTimes(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const deltas = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    self.set(id, (self.get(id) ?? 0) + (deltas[i + 1] ?? 0));
  }
  const functions = new Map();
  const packages = new Map();
  let total = 0;
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const key = `${functionName || '(anonymous)'} ${url ? `${url.replace(/^file:\/\//, '').replace(/^.*node_modules\//, '')}:${lineNumber + 1}` : ''}`.trim();
    functions.set(key, (functions.get(key) ?? 0) + us);
    const pkg = !url ? functionName || '(native)' : url.includes('node_modules/') ? url.replace(/^.*node_modules\/((@[^/]+\/)?[^/]+).*$/, '$1') : url.startsWith('node:') ? 'node: (core)' : url.includes('/dist/src/') ? 'the service (dist/src)' : url;
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
    total += us;
  }
  const top = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, TOP);
  return { total, functions: top(functions), packages: top(packages) };
}

const chosen = process.argv.slice(2).length ? process.argv.slice(2) : ['whoami-basic', 'dav-get-4k'];
const port = 30000 + Math.floor(Math.random() * 10000);
if (process.env.PROFILE_OUT) mkdirSync(process.env.PROFILE_OUT, { recursive: true });
const server = await startServer({}, { nodeArgs: [`--inspect=127.0.0.1:${port}`] });
let cdp;
try {
  cdp = await inspector(port);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  for (const name of chosen) {
    const w = WORKLOADS[name];
    if (!w) throw new Error(`unknown workload ${name}; one of ${Object.keys(WORKLOADS).join(', ')}`);
    await w.prepare?.(server.url, w);
    const options = { url: server.url + w.path, headers: w.headers, connections: CONNECTIONS, ...(w.method ? { method: w.method, body: w.body } : {}) };
    const hooked = () => (w.hooks ? { requests: [w.hooks()] } : {});
    await autocannon({ ...options, ...hooked(), duration: 2 }); // warm-up
    await cdp.send('Profiler.start');
    const r = await autocannon({ ...options, ...hooked(), duration: SECONDS });
    const { profile } = await cdp.send('Profiler.stop');
    if (r.non2xx + r.errors) throw new Error(`${name}: ${r.non2xx + r.errors} failed requests`);
    if (process.env.PROFILE_OUT) writeFileSync(join(process.env.PROFILE_OUT, `${name}.cpuprofile`), JSON.stringify(profile));
    const { total, functions, packages } = selfTimes(profile);
    const requests = r.requests.total;
    console.log(`\n${name}: ${requests.toLocaleString('en')} requests in ${SECONDS} s; main thread sampled ${(total / 1000).toFixed(0)} ms (${(total / requests).toFixed(1)} µs a request; idle included below as "(idle)")\n`);
    console.log('| function (self time) | µs/request | share |');
    console.log('|---|---|---|');
    for (const [fn, us] of functions) console.log(`| \`${fn}\` | ${(us / requests).toFixed(1)} | ${((100 * us) / total).toFixed(1)} % |`);
    console.log('\n| package (self time) | µs/request | share |');
    console.log('|---|---|---|');
    for (const [pkg, us] of packages) console.log(`| ${pkg} | ${(us / requests).toFixed(1)} | ${((100 * us) / total).toFixed(1)} % |`);
  }
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  cdp?.close(); // an open inspector socket would keep this process waiting
  await server.stop();
}
