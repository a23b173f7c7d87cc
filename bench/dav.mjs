// npm run bench:dav: WebDAV of Portcullis `/dav/` beside Apache mod_dav_fs, on the same machine,
// the same filesystem and the same files, in the same run (contract §7, issues 6 and 18).
//
// Installs nothing: needs `apache2`, `wrk` and `rclone` (Debian: `apt-get install -y apache2 wrk
// rclone`) and a built service (`npm run build`, or BENCH_DIST=<a dist/ folder>). Apache runs from
// a loopback config written into a temp folder (mod_dav + mod_dav_fs, no auth, its own pid, lock
// and log files, a random high port), started with `apache2 -f <conf> -DFOREGROUND`; nothing
// under /etc/apache2 is used or changed.
//
// Parts (DAV_BENCH_PARTS, default "large,small,rclone"):
//   large  — PUT and GET of one large file (DAV_BENCH_MB, default 256; 1024 for the issue's 1 GiB),
//            the Portcullis process's RSS growth during them, PROPFIND Depth 1 of a folder of
//            10,000 files (DAV_BENCH_ENTRIES); medians of DAV_BENCH_REPS (3), servers alternating.
//   small  — small-file workloads driven by wrk (bench/wrk/dav.lua, DAV_BENCH_CONNECTIONS = 16
//            connections): GET of a 4 KiB file, PROPFIND Depth 0 of a file and Depth 1 of a 50-file
//            folder, PUT 4 KiB over an existing file, MKCOL + DELETE of a folder and PUT + DELETE
//            of a new file (pairs on one connection each), and GETs on a single connection for
//            latency. Every round runs every workload on every server for one slice
//            (DAV_BENCH_SLICE_SECONDS, 1), the servers' order reversed every other round;
//            DAV_BENCH_ROUNDS (5) rounds.
//   rclone — `rclone sync` of DAV_BENCH_SYNC_FILES (2,000) files of 1–64 KiB in 20 folders into a
//            fresh folder of each server, DAV_BENCH_SYNC_REPS (3) times, servers alternating.
// Portcullis is reached with Basic (a legacy account; the verified credential is cached). Besides
// the service as it runs (every upload fsynced, file and folder, before it is acknowledged), the
// small and rclone parts measure a second instance with fsync/fdatasync made no-ops by a preload
// (bench/no-fsync.mjs; the service has no switch for it), to show what durability costs;
// DAV_BENCH_NO_FSYNC=0 leaves it out.
// BENCH_BASELINE_DIST=<another build's dist/> (as in bench/run.mjs) runs every Portcullis instance a
// second time from that build, each right after its own in every round and rep: a before/after in
// one run, on the same load.
import { execFileSync, spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { once } from 'node:events';
import { chmodSync, chownSync, closeSync, createReadStream, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import http from 'node:http';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './server-process.mjs';

const PARTS = new Set((process.env.DAV_BENCH_PARTS ?? 'large,small,rclone').split(',').map((p) => p.trim()));
const MB = Number(process.env.DAV_BENCH_MB ?? 256);
const ENTRIES = Number(process.env.DAV_BENCH_ENTRIES ?? 10_000);
const REPS = Number(process.env.DAV_BENCH_REPS ?? 3);
const ROUNDS = Number(process.env.DAV_BENCH_ROUNDS ?? 5);
const SLICE = Math.max(1, Math.round(Number(process.env.DAV_BENCH_SLICE_SECONDS ?? 1))); // wrk takes whole seconds
const CONNECTIONS = Number(process.env.DAV_BENCH_CONNECTIONS ?? 16);
const SYNC_FILES = Number(process.env.DAV_BENCH_SYNC_FILES ?? 2000);
const SYNC_REPS = Number(process.env.DAV_BENCH_SYNC_REPS ?? 3);
const BASELINE_DIST = process.env.BENCH_BASELINE_DIST;
const NO_FSYNC = process.env.DAV_BENCH_NO_FSYNC !== '0' && (PARTS.has('small') || PARTS.has('rclone'));
const MODULES = process.env.APACHE_MODULES_DIR ?? '/usr/lib/apache2/modules';
const APACHE = process.env.APACHE_BIN ?? (existsSync('/usr/sbin/apache2') ? '/usr/sbin/apache2' : 'apache2');
const WRK = process.env.WRK_BIN ?? 'wrk';
const RCLONE = process.env.RCLONE_BIN ?? 'rclone';
const SIZE = MB * 1024 * 1024;
const basic = `Basic ${Buffer.from('bench:bench-password').toString('base64')}`;
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
// /proc/<pid>/stat counts CPU time in USER_HZ ticks, 100 a second on Linux.
const CLOCK_TICKS = 100;

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
      if (r.status < 500) return { key: 'apache', name: 'Apache mod_dav_fs', url, headers: {}, auth: '-', cpuPid: child.pid, dir: join(www, 'dav') };
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`apache2 did not answer: ${readIf(join(root, 'error.log'))}`);
}

/**
 * The built service on a data folder of its own under `work`; `noFsync` preloads bench/no-fsync.mjs;
 * `dist` loads another build (BENCH_DIST of that process).
 */
async function startPortcullis({ key, name, noFsync = false, dist }) {
  const dataDir = join(work, key);
  const server = await startServer({ DATA_DIR: dataDir, ...(dist ? { BENCH_DIST: dist } : {}) }, { nodeArgs: noFsync ? ['--import', here('./no-fsync.mjs')] : [] });
  cleanups.push(server.stop);
  return { key, name, url: server.url, headers: { authorization: basic }, auth: basic, pid: server.pid, cpuPid: server.pid, dataDir };
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

const PROPFIND_BODY = '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>';
const countResponses = (xml) => (xml.match(/<([A-Za-z][\w.-]*:)?response[\s>]/g) ?? []).length;

function propfindOf(s, path, depth) {
  return request(s.url, 'PROPFIND', path, { headers: { ...s.headers, depth: String(depth), 'content-type': 'application/xml; charset=utf-8' }, body: PROPFIND_BODY, keep: true });
}

// --- CPU and RSS ---------------------------------------------------------------------------

/** CPU time (user + system, µs) of `pid` and its descendants (Apache's workers), from /proc. */
function treeCpu(pid) {
  let total = 0;
  const pending = [pid];
  for (let p = pending.pop(); p !== undefined; p = pending.pop()) {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      total += ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
      for (const task of readdirSync(`/proc/${p}/task`)) {
        for (const child of readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').split(' ').filter(Boolean)) pending.push(Number(child));
      }
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

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

// --- large files ---------------------------------------------------------------------------

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

async function propfindMany(s) {
  const { ms, r } = await timed(async () => expectStatus(await propfindOf(s, '/dav/many/', 1), [207], `PROPFIND on ${s.name}`));
  const responses = countResponses(r.text);
  if (responses !== ENTRIES + 1) throw new Error(`PROPFIND on ${s.name}: ${responses} responses, expected ${ENTRIES + 1}`);
  return { ms, bytes: r.bytes };
}

/** ENTRIES small files in `dir` (the folder already exists and holds `marker`). */
function fillFolder(dir) {
  const body = Buffer.alloc(100, 'x');
  for (let i = 1; i < ENTRIES; i++) writeFileSync(join(dir, `file-${String(i).padStart(5, '0')}.txt`), body);
}

/** The on-disk folder Portcullis stores `/dav/<name>/` in: found by a marker file PUT through WebDAV. */
function findMarkerDir(root, name = 'many') {
  const pending = [root];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const p = join(dir, e.name);
      if (e.name === name && existsSync(join(p, 'marker'))) return p;
      pending.push(p);
    }
  }
  throw new Error(`no folder "${name}" with the marker under ${root}`);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mbps = (ms) => SIZE / 1024 / 1024 / (ms / 1000);
const mib = (b) => (b === undefined ? '–' : (b / 1024 / 1024).toFixed(1));
const ratio = (x, y) => (x / y).toFixed(2);
const int = (x) => Math.round(x).toLocaleString('en');

async function largeFiles(servers) {
  const [apache, ...others] = servers;
  // The file both servers receive: incompressible bytes, written once.
  const file = join(work, 'big.bin');
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(4 * 1024 * 1024);
  for (let left = SIZE; left > 0; left -= block.length) writeSync(fd, randomFillSync(block), 0, Math.min(block.length, left));
  closeSync(fd);
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
  rmSync(file);

  // PROPFIND Depth 1 of ENTRIES members: the folder made through WebDAV, filled on disk.
  for (const s of servers) {
    expectStatus(await request(s.url, 'MKCOL', '/dav/many/', { headers: s.headers }), [201], `MKCOL on ${s.name}`);
    expectStatus(await request(s.url, 'PUT', '/dav/many/marker', { headers: s.headers, body: 'marker' }), [201, 204], `PUT marker on ${s.name}`);
    fillFolder(s.dir ? join(s.dir, 'many') : findMarkerDir(s.dataDir));
    await propfindMany(s); // warm-up: dentries and inodes in cache for both
  }
  for (let rep = 0; rep < REPS; rep++) {
    for (const s of servers) results.get(s).propfind.push((await propfindMany(s)).ms);
  }

  const a = results.get(apache);
  const maxOf = (xs) => (xs.length ? mib(Math.max(...xs)) : '–');
  const row = (s, r) => `| ${s.name} | ${mbps(median(r.put)).toFixed(0)} | ${mbps(median(r.get)).toFixed(0)} | ${(median(r.propfind) / 1000).toFixed(3)} s | ${maxOf(r.putRss)} | ${maxOf(r.getRss)} |`;
  console.log(`\n${MB} MiB file, PROPFIND Depth 1 of ${ENTRIES.toLocaleString('en')} entries, median of ${REPS}, Node ${process.version}, ${apacheVersion()}\n`);
  console.log('| server | PUT MB/s | GET MB/s | PROPFIND Depth 1 | RSS growth during PUT, MiB (max) | during GET |');
  console.log('|---|---|---|---|---|---|');
  for (const s of servers) console.log(row(s, results.get(s)));
  for (const s of others) {
    const p = results.get(s);
    console.log(
      `| **${s.name} / Apache** | ${ratio(median(a.put), median(p.put))} (target ≥ 0.80) | ${ratio(median(a.get), median(p.get))} (target ≥ 0.80) | ${ratio(median(p.propfind), median(a.propfind))}× (target ≤ 1.5×) | target < 64 | target < 64 |`,
    );
  }
}

// --- small files ---------------------------------------------------------------------------

const SMALL_BODY = randomFillSync(Buffer.alloc(4096));
const WORKLOADS = [
  { key: 'get', name: 'GET of a 4 KiB file', op: 'get', path: '/dav/s/4k.bin', target: '≥ 0.6' },
  { key: 'propfind0', name: 'PROPFIND Depth 0 of a file', op: 'propfind0', path: '/dav/s/4k.bin', target: '≥ 0.6' },
  { key: 'propfind1', name: 'PROPFIND Depth 1 of a 50-file folder', op: 'propfind1', path: '/dav/s/f50/', target: '≥ 0.8' },
  { key: 'put', name: 'PUT 4 KiB (overwrite)', op: 'put', path: '/dav/s/put/', target: '≥ 0.6 (fsyncs on)' },
  // One connection per wrk thread: a thread's requests then go out in order, so a DELETE always follows its MKCOL or PUT.
  { key: 'mkcol', name: 'MKCOL of a folder, then DELETE of it (requests/s)', op: 'mkcol-delete', path: '/dav/s/mk/', threads: CONNECTIONS },
  { key: 'putdel', name: 'PUT of a new 4 KiB file, then DELETE of it (requests/s)', op: 'put-delete', path: '/dav/s/pd/', threads: CONNECTIONS },
  { key: 'single', name: 'GET of a 4 KiB file, one connection', op: 'get', path: '/dav/s/4k.bin', connections: 1, threads: 1, target: 'p99 ≤ 5 ms' },
];

/** The same members on every server, made through WebDAV: a 4 KiB file, a 50-file folder, 64 files to overwrite, two empty folders. */
async function smallFixture(s) {
  const ok = async (method, path, body, codes = [201, 204]) => expectStatus(await request(s.url, method, path, { headers: s.headers, body, keep: true }), codes, `${method} ${path} on ${s.name}`);
  for (const dir of ['/dav/s/', '/dav/s/f50/', '/dav/s/put/', '/dav/s/mk/', '/dav/s/pd/']) await ok('MKCOL', dir, undefined, [201]);
  await ok('PUT', '/dav/s/4k.bin', SMALL_BODY);
  for (let i = 0; i < 50; i++) await ok('PUT', `/dav/s/f50/file-${String(i).padStart(2, '0')}.txt`, SMALL_BODY.subarray(0, 1024));
  for (let i = 0; i < 64; i++) await ok('PUT', `/dav/s/put/f${String(i).padStart(2, '0')}.bin`, SMALL_BODY);
  // What each workload sends, once, with its answer checked (wrk counts statuses ≥ 400 only).
  const got = expectStatus(await request(s.url, 'GET', '/dav/s/4k.bin', { headers: s.headers }), [200], `GET on ${s.name}`);
  if (got.bytes !== 4096) throw new Error(`GET on ${s.name}: ${got.bytes} bytes`);
  for (const [path, depth, n] of [['/dav/s/4k.bin', 0, 1], ['/dav/s/f50/', 1, 51]]) {
    const r = expectStatus(await propfindOf(s, path, depth), [207], `PROPFIND on ${s.name}`);
    if (countResponses(r.text) !== n) throw new Error(`PROPFIND Depth ${depth} ${path} on ${s.name}: ${countResponses(r.text)} responses, expected ${n}`);
  }
  await ok('PUT', '/dav/s/put/f00.bin', SMALL_BODY, [200, 204]);
  await ok('MKCOL', '/dav/s/mk/check/', undefined, [201]);
  await ok('DELETE', '/dav/s/mk/check/', undefined, [204]);
  await ok('PUT', '/dav/s/pd/check.bin', SMALL_BODY, [201]);
  await ok('DELETE', '/dav/s/pd/check.bin', undefined, [204]);
}

/** One wrk run of SLICE seconds; returns its counts with the server's CPU time. */
async function wrk(s, w, tag) {
  const connections = w.connections ?? CONNECTIONS;
  const threads = w.threads ?? 2;
  const args = [`-t${threads}`, `-c${connections}`, `-d${SLICE}s`, '--timeout', '10s', '-s', here('./wrk/dav.lua'), s.url, '--', w.op, w.path, s.auth, tag];
  const cpuBefore = treeCpu(s.cpuPid);
  const child = spawn(WRK, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  const [code] = await once(child, 'exit');
  const cpu = treeCpu(s.cpuPid) - cpuBefore;
  const line = out.split('\n').find((l) => l.startsWith('WRKJSON '));
  if (code !== 0 || !line) throw new Error(`wrk ${w.key} on ${s.name} (exit ${code}): ${out}`);
  const r = JSON.parse(line.slice('WRKJSON '.length));
  const bad = r.connect + r.read + r.write + r.status + r.timeout;
  if (bad > 0) throw new Error(`wrk ${w.key} on ${s.name}: ${bad} failed requests ${line}`);
  return { requests: r.requests, seconds: r.duration_us / 1e6, cpu, p50: r.p50_us / 1000, p99: r.p99_us / 1000 };
}

async function smallFiles(servers) {
  for (const s of servers) await smallFixture(s);
  const results = new Map(WORKLOADS.map((w) => [w, new Map(servers.map((s) => [s, []]))]));
  for (const w of WORKLOADS) for (const s of servers) await wrk(s, w, `w${w.key}`); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const w of WORKLOADS) {
      for (const s of round % 2 ? [...servers].reverse() : servers) results.get(w).get(s).push(await wrk(s, w, `r${round}`));
    }
    process.stderr.write(`  small files: round ${round + 1}/${ROUNDS} done\n`);
  }

  const [apache, ...others] = servers;
  const sum = (rs, key) => rs.reduce((n, r) => n + r[key], 0);
  const rates = (rs) => rs.map((r) => r.requests / r.seconds);
  const cpu = (rs) => sum(rs, 'cpu') / sum(rs, 'requests');
  console.log(`\nSmall files: wrk, ${CONNECTIONS} connections (unless noted), ${ROUNDS} rounds of one ${SLICE} s slice per workload and server after a warm-up slice, servers alternating; medians of the rounds; Node ${process.version}, ${apacheVersion()}; load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
  const keys = servers.map((s) => s.key).join(' / ');
  const head = ['operation', `${apache.name} ops/s`, ...others.flatMap((s) => [`${s.name} ops/s`, '÷ Apache (rounds)']), `server CPU µs/op (${keys})`, `p99 ms (${keys})`, 'target (÷ Apache)'];
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map(() => '---').join('|')}|`);
  for (const w of WORKLOADS) {
    const byServer = results.get(w);
    const a = byServer.get(apache);
    const cells = [w.name + (w.connections === 1 ? '' : w.threads ? ` (${w.threads} threads)` : ''), int(median(rates(a)))];
    for (const s of others) {
      const rs = byServer.get(s);
      const perRound = rates(rs).map((x, i) => x / rates(a)[i]);
      cells.push(int(median(rates(rs))), `**${median(perRound).toFixed(2)}** (${Math.min(...perRound).toFixed(2)}–${Math.max(...perRound).toFixed(2)})`);
    }
    cells.push(servers.map((s) => int(cpu(byServer.get(s)))).join(' / '));
    cells.push(servers.map((s) => median(byServer.get(s).map((r) => r.p99)).toFixed(1)).join(' / '));
    cells.push(w.target ?? '');
    console.log(`| ${cells.join(' | ')} |`);
  }
}

// --- rclone sync ---------------------------------------------------------------------------

/** SYNC_FILES files of 1–64 KiB (sizes from a fixed seed) in 20 folders of random bytes. */
function syncSource() {
  const src = join(work, 'sync-src');
  let seed = 18;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pool = randomFillSync(Buffer.alloc(128 * 1024));
  let bytes = 0;
  for (let i = 0; i < SYNC_FILES; i++) {
    const dir = join(src, `d${String(i % 20).padStart(2, '0')}`);
    if (i < 20) mkdirSync(dir, { recursive: true });
    const size = 1024 + Math.floor(next() * 63 * 1024);
    const offset = Math.floor(next() * 64 * 1024);
    writeFileSync(join(dir, `f${String(i).padStart(4, '0')}.bin`), pool.subarray(offset, offset + size));
    bytes += size;
  }
  return { src, bytes };
}

/** rclone's environment for a webdav remote named REMOTE on `s` (no config file is read). */
function rcloneEnv(s) {
  const env = { ...process.env, RCLONE_CONFIG: join(work, 'rclone.conf'), RCLONE_CONFIG_REMOTE_TYPE: 'webdav', RCLONE_CONFIG_REMOTE_URL: `${s.url}/dav/`, RCLONE_CONFIG_REMOTE_VENDOR: 'other' };
  if (s.auth !== '-') {
    env.RCLONE_CONFIG_REMOTE_USER = 'bench';
    env.RCLONE_CONFIG_REMOTE_PASS = rclonePass ??= execFileSync(RCLONE, ['obscure', 'bench-password'], { encoding: 'utf8' }).trim();
  }
  return env;
}
let rclonePass;

async function rclone(s, args) {
  const child = spawn(RCLONE, args, { env: rcloneEnv(s), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`rclone ${args.join(' ')} on ${s.name} (exit ${code}): ${out.slice(-2000)}`);
  return out;
}

async function rcloneSync(servers) {
  writeFileSync(join(work, 'rclone.conf'), '');
  const { src, bytes } = syncSource();
  const flags = (process.env.DAV_BENCH_RCLONE_FLAGS ?? '').split(' ').filter(Boolean);
  const results = new Map(servers.map((s) => [s, { ms: [], cpu: [] }]));
  for (let rep = 0; rep < SYNC_REPS; rep++) {
    for (const s of rep % 2 ? [...servers].reverse() : servers) {
      const cpuBefore = treeCpu(s.cpuPid);
      const t = performance.now();
      await rclone(s, ['sync', src, `remote:sync-${rep}`, ...flags]);
      const ms = performance.now() - t;
      const cpu = treeCpu(s.cpuPid) - cpuBefore;
      const size = JSON.parse(await rclone(s, ['size', '--json', `remote:sync-${rep}`]));
      if (size.count !== SYNC_FILES || size.bytes !== bytes) throw new Error(`rclone sync to ${s.name}: ${size.count} files, ${size.bytes} bytes; expected ${SYNC_FILES}, ${bytes}`);
      results.get(s).ms.push(ms);
      results.get(s).cpu.push(cpu);
      process.stderr.write(`  rclone sync to ${s.name}: ${(ms / 1000).toFixed(1)} s\n`);
    }
  }
  const apache = servers[0];
  const a = median(results.get(apache).ms);
  console.log(`\nrclone sync of ${SYNC_FILES.toLocaleString('en')} files of 1–64 KiB (${(bytes / 1024 / 1024).toFixed(0)} MiB in 20 folders) into an empty folder, ${execFileSync(RCLONE, ['version'], { encoding: 'utf8' }).split('\n')[0]}${flags.length ? ` ${flags.join(' ')}` : ' (default flags: 4 transfers, 8 checkers)'}, median of ${SYNC_REPS}, servers alternating\n`);
  console.log('| server | time s | each rep, s | ÷ Apache\'s time | server CPU ms per file | target |');
  console.log('|---|---|---|---|---|---|');
  for (const s of servers) {
    const r = results.get(s);
    console.log(`| ${s.name} | ${(median(r.ms) / 1000).toFixed(2)} | ${r.ms.map((ms) => (ms / 1000).toFixed(1)).join(', ')} | ${s === apache ? '1.00' : `**${(median(r.ms) / a).toFixed(2)}×**`} | ${(median(r.cpu) / 1000 / SYNC_FILES).toFixed(2)} | ${s === apache ? '' : '≤ 1.5× (fsyncs on)'} |`);
  }
}

// --- the run -------------------------------------------------------------------------------

function apacheVersion() {
  return execFileSync(APACHE, ['-v'], { encoding: 'utf8' }).split('\n')[0].replace('Server version: ', '');
}

try {
  const started = performance.now();
  const apache = await startApache();
  const portcullis = await startPortcullis({ key: 'portcullis', name: 'Portcullis /dav/ (Basic, cached)' });
  const noFsync = NO_FSYNC ? await startPortcullis({ key: 'nofsync', name: 'Portcullis, fsyncs off (bench preload)', noFsync: true }) : undefined;
  // Each instance's baseline twin right after it: the rounds reverse the order, so twins stay adjacent.
  const twin = async (s) => (BASELINE_DIST ? [s, await startPortcullis({ key: `${s.key}-baseline`, name: `${s.name} [baseline build]`, noFsync: s === noFsync, dist: BASELINE_DIST })] : [s]);
  const portcullises = await twin(portcullis);
  const all = [apache, ...portcullises, ...(noFsync ? await twin(noFsync) : [])];
  if (PARTS.has('large')) {
    const t = performance.now();
    await largeFiles([apache, ...portcullises]);
    process.stderr.write(`large files: ${((performance.now() - t) / 1000).toFixed(0)} s\n`);
  }
  if (PARTS.has('small')) {
    const t = performance.now();
    await smallFiles(all);
    process.stderr.write(`small files: ${((performance.now() - t) / 1000).toFixed(0)} s\n`);
  }
  if (PARTS.has('rclone')) {
    const t = performance.now();
    await rcloneSync(all);
    process.stderr.write(`rclone sync: ${((performance.now() - t) / 1000).toFixed(0)} s\n`);
  }
  process.stderr.write(`bench:dav: ${((performance.now() - started) / 1000).toFixed(0)} s in all\n`);
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
