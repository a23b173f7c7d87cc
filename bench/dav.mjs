// npm run bench:dav: WebDAV throughput of Portcullis `/dav/` beside Apache mod_dav_fs, on the same
// machine, the same filesystem and the same files, in the same run (contract §7, issue 6).
//
// Installs nothing: needs `apache2` (Debian: `apt-get install -y apache2`) and a built service
// (`npm run build`). Apache runs from a loopback config written into a temp folder (mod_dav +
// mod_dav_fs, no auth, its own pid, lock and log files, a random high port), started with
// `apache2 -f <conf> -DFOREGROUND`; nothing under /etc/apache2 is used or changed.
//
// Measures, each repetition alternating the two servers:
//   - PUT and GET of one large file (DAV_BENCH_MB, default 256; 1024 for the issue's 1 GiB);
//   - RSS growth of the Portcullis process during its transfers (peak VmRSS minus VmRSS before);
//   - PROPFIND Depth 1 of a folder of 10,000 files (DAV_BENCH_ENTRIES), whole response read.
// Portcullis is reached with Basic (a legacy account; the verified credential is cached).
// Prints medians of DAV_BENCH_REPS (default 3) repetitions and the ratios to Apache.
import { execFileSync, spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { once } from 'node:events';
import { chmodSync, chownSync, closeSync, createReadStream, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVICE_NODE_FLAGS } from './node-flags.mjs';

const MB = Number(process.env.DAV_BENCH_MB ?? 256);
const ENTRIES = Number(process.env.DAV_BENCH_ENTRIES ?? 10_000);
const REPS = Number(process.env.DAV_BENCH_REPS ?? 3);
const MODULES = process.env.APACHE_MODULES_DIR ?? '/usr/lib/apache2/modules';
const APACHE = process.env.APACHE_BIN ?? (existsSync('/usr/sbin/apache2') ? '/usr/sbin/apache2' : 'apache2');
const SIZE = MB * 1024 * 1024;
const basic = `Basic ${Buffer.from('bench:bench-password').toString('base64')}`;

const work = mkdtempSync(join(tmpdir(), 'portcullis-davbench-'));
chmodSync(work, 0o755); // Apache's workers (www-data when we are root) must reach their folder
const cleanups = [];
const cleanup = async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
};
process.on('SIGINT', () => cleanup().then(() => process.exit(130)));

// --- the servers ---------------------------------------------------------------------------

async function startApache() {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const root = join(work, 'apache');
  const www = join(root, 'www');
  mkdirSync(join(www, 'dav'), { recursive: true });
  mkdirSync(join(root, 'lock'));
  const asRoot = process.getuid?.() === 0;
  const runAs = asRoot ? (process.env.APACHE_USER ?? 'www-data') : undefined;
  if (runAs) {
    const uid = Number(execFileSync('id', ['-u', runAs], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', runAs], { encoding: 'utf8' }));
    for (const p of [root, www, join(www, 'dav'), join(root, 'lock')]) chownSync(p, uid, gid);
  }
  const conf = join(root, 'httpd.conf');
  writeFileSync(
    conf,
    `# Loopback Apache for bench/dav.mjs: mod_dav_fs on ${www}/dav, no auth.
ServerRoot "${root}"
ServerName 127.0.0.1
Listen 127.0.0.1:${port}
LoadModule mpm_event_module ${MODULES}/mod_mpm_event.so
LoadModule authz_core_module ${MODULES}/mod_authz_core.so
LoadModule dav_module ${MODULES}/mod_dav.so
LoadModule dav_fs_module ${MODULES}/mod_dav_fs.so
${runAs ? `User ${runAs}\nGroup #${execFileSync('id', ['-g', runAs], { encoding: 'utf8' }).trim()}` : ''}
PidFile "${root}/httpd.pid"
DefaultRuntimeDir "${root}"
Mutex file:${root} default
ErrorLog "${root}/error.log"
LogLevel warn
Timeout 600
KeepAlive On
MaxKeepAliveRequests 0
LimitRequestBody 0
DavLockDB "${root}/lock/DavLock"
DocumentRoot "${www}"
<Directory "${www}">
  Dav On
  Require all granted
  AllowOverride None
</Directory>
`,
  );
  const child = spawn(APACHE, ['-f', conf, '-DFOREGROUND'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = once(child, 'exit');
  cleanups.push(async () => {
    child.kill('SIGTERM');
    await exited;
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`apache2 exited (${child.exitCode}): ${readIf(join(root, 'error.log'))}`);
    try {
      const r = await request(url, 'OPTIONS', '/dav/');
      if (r.status < 500) return { name: 'Apache mod_dav_fs', url, headers: {}, dir: join(www, 'dav') };
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`apache2 did not answer: ${readIf(join(root, 'error.log'))}`);
}

async function startPortcullis() {
  const dataDir = join(work, 'portcullis');
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, 'bench/server.mjs'], { env: { ...process.env, DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  cleanups.push(async () => {
    child.kill('SIGTERM');
    await exited;
  });
  let out = '';
  for await (const chunk of child.stdout) {
    out += chunk;
    const m = out.match(/READY (\S+)/);
    if (m) return { name: 'Portcullis /dav/ (Basic, cached)', url: m[1], headers: { authorization: basic }, pid: child.pid, dataDir };
  }
  throw new Error(`server did not start: ${out}`);
}

// --- HTTP ----------------------------------------------------------------------------------

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** One request; `body` is a Buffer, a string or a file path ({ file }); the response is counted, or kept when `keep`. */
function request(base, method, path, { headers = {}, body, keep = false } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(path, base);
    const h = { ...headers };
    if (body?.file) h['content-length'] = String(SIZE);
    else if (body !== undefined) h['content-length'] = String(Buffer.byteLength(body));
    const req = http.request({ host: u.hostname, port: u.port, method, path: u.pathname, headers: h, agent }, (res) => {
      let bytes = 0;
      const parts = [];
      res.on('data', (c) => {
        bytes += c.length;
        if (keep) parts.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode, bytes, text: keep ? Buffer.concat(parts).toString('utf8') : '' }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body?.file) createReadStream(body.file, { highWaterMark: 1024 * 1024 }).pipe(req);
    else req.end(body);
  });
}

function expectStatus(r, ok, what) {
  if (!ok.includes(r.status)) throw new Error(`${what}: HTTP ${r.status} ${r.text?.slice(0, 300) ?? ''}`);
  return r;
}

// --- RSS -----------------------------------------------------------------------------------

function rss(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Runs `fn` while sampling the process's RSS every 10 ms; returns fn's result and the peak growth. */
async function withRss(pid, fn) {
  if (!pid) return { result: await fn(), growth: undefined };
  const before = rss(pid);
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, rss(pid));
  }, 10);
  try {
    const result = await fn();
    peak = Math.max(peak, rss(pid));
    return { result, growth: peak - before };
  } finally {
    clearInterval(timer);
  }
}

// --- the scenarios -------------------------------------------------------------------------

async function timed(fn) {
  const t = performance.now();
  const r = await fn();
  return { ms: performance.now() - t, r };
}

async function put(s, file) {
  return withRss(s.pid, () => timed(async () => expectStatus(await request(s.url, 'PUT', '/dav/big.bin', { headers: { ...s.headers, 'content-type': 'application/octet-stream' }, body: { file } }), [200, 201, 204], `PUT on ${s.name}`)));
}

async function get(s) {
  return withRss(s.pid, () =>
    timed(async () => {
      const r = expectStatus(await request(s.url, 'GET', '/dav/big.bin', { headers: s.headers }), [200], `GET on ${s.name}`);
      if (r.bytes !== SIZE) throw new Error(`GET on ${s.name}: ${r.bytes} bytes, expected ${SIZE}`);
      return r;
    }),
  );
}

const PROPFIND_BODY = '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>';

async function propfind(s) {
  const { ms, r } = await timed(async () =>
    expectStatus(await request(s.url, 'PROPFIND', '/dav/many/', { headers: { ...s.headers, depth: '1', 'content-type': 'application/xml; charset=utf-8' }, body: PROPFIND_BODY, keep: true }), [207], `PROPFIND on ${s.name}`),
  );
  const responses = (r.text.match(/<([A-Za-z][\w.-]*:)?response[\s>]/g) ?? []).length;
  if (responses !== ENTRIES + 1) throw new Error(`PROPFIND on ${s.name}: ${responses} responses, expected ${ENTRIES + 1}`);
  return { ms, bytes: r.bytes };
}

/** ENTRIES small files in `dir` (the folder already exists and holds `marker`). */
function fillFolder(dir) {
  const body = Buffer.alloc(100, 'x');
  for (let i = 1; i < ENTRIES; i++) writeFileSync(join(dir, `file-${String(i).padStart(5, '0')}.txt`), body);
}

/** The on-disk folder Portcullis stores `/dav/many/` in: found by the marker PUT through WebDAV. */
function findMarkerDir(root) {
  const pending = [root];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const p = join(dir, e.name);
      if (e.name === 'many' && existsSync(join(p, 'marker'))) return p;
      pending.push(p);
    }
  }
  throw new Error(`no folder "many" with the marker under ${root}`);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mbps = (ms) => SIZE / 1024 / 1024 / (ms / 1000);
const mib = (b) => (b === undefined ? '–' : (b / 1024 / 1024).toFixed(1));

try {
  // The file both servers receive: incompressible bytes, written once.
  const file = join(work, 'big.bin');
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(4 * 1024 * 1024);
  for (let left = SIZE; left > 0; left -= block.length) writeSync(fd, randomFillSync(block), 0, Math.min(block.length, left));
  closeSync(fd);

  const apache = await startApache();
  const portcullis = await startPortcullis();
  const servers = [apache, portcullis];
  const results = new Map(servers.map((s) => [s, { put: [], get: [], putRss: [], getRss: [], propfind: [] }]));

  // Warm-up: the credential cache, the connection, the JIT.
  for (const s of servers) {
    expectStatus(await request(s.url, 'PUT', '/dav/warm.txt', { headers: s.headers, body: 'warm' }), [200, 201, 204], `warm-up PUT on ${s.name}`);
    expectStatus(await request(s.url, 'GET', '/dav/warm.txt', { headers: s.headers }), [200], `warm-up GET on ${s.name}`);
  }

  for (let rep = 0; rep < REPS; rep++) {
    for (const s of rep % 2 ? [...servers].reverse() : servers) {
      const p = await put(s, file);
      const g = await get(s);
      const r = results.get(s);
      r.put.push(p.result.ms);
      r.get.push(g.result.ms);
      if (p.growth !== undefined) r.putRss.push(p.growth);
      if (g.growth !== undefined) r.getRss.push(g.growth);
      process.stderr.write(`  ${s.name}: PUT ${mbps(p.result.ms).toFixed(0)} MB/s, GET ${mbps(g.result.ms).toFixed(0)} MB/s\n`);
    }
  }

  // PROPFIND Depth 1 of ENTRIES members: the folder made through WebDAV, filled on disk.
  for (const s of servers) {
    expectStatus(await request(s.url, 'MKCOL', '/dav/many/', { headers: s.headers }), [201], `MKCOL on ${s.name}`);
    expectStatus(await request(s.url, 'PUT', '/dav/many/marker', { headers: s.headers, body: 'marker' }), [201, 204], `PUT marker on ${s.name}`);
    fillFolder(s.dir ? join(s.dir, 'many') : findMarkerDir(s.dataDir));
    await propfind(s); // warm-up: dentries and inodes in cache for both
  }
  for (let rep = 0; rep < REPS; rep++) {
    for (const s of servers) results.get(s).propfind.push((await propfind(s)).ms);
  }

  const a = results.get(apache);
  const p = results.get(portcullis);
  const maxOf = (xs) => (xs.length ? mib(Math.max(...xs)) : '–');
  const row = (s, r) => `| ${s.name} | ${mbps(median(r.put)).toFixed(0)} | ${mbps(median(r.get)).toFixed(0)} | ${(median(r.propfind) / 1000).toFixed(3)} s | ${maxOf(r.putRss)} | ${maxOf(r.getRss)} |`;
  console.log(`\n${MB} MiB file, PROPFIND Depth 1 of ${ENTRIES.toLocaleString('en')} entries, median of ${REPS}, Node ${process.version}, ${execFileSync(APACHE, ['-v'], { encoding: 'utf8' }).split('\n')[0].replace('Server version: ', '')}\n`);
  console.log('| server | PUT MB/s | GET MB/s | PROPFIND Depth 1 | RSS growth during PUT, MiB (max) | during GET |');
  console.log('|---|---|---|---|---|---|');
  console.log(row(apache, a));
  console.log(row(portcullis, p));
  const ratio = (x, y) => (x / y).toFixed(2);
  console.log(
    `| **Portcullis / Apache** | ${ratio(median(a.put), median(p.put))} (target ≥ 0.80) | ${ratio(median(a.get), median(p.get))} (target ≥ 0.80) | ${ratio(median(p.propfind), median(a.propfind))}× (target ≤ 1.5×) | target < 64 | target < 64 |`,
  );
} finally {
  await cleanup();
  agent.destroy();
}

function readIf(p) {
  try {
    return readFileSync(p, 'utf8').slice(-2000);
  } catch {
    return '';
  }
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
