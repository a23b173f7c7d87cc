// node bench/compression.mjs (after npm run build): what compressing a JSON listing costs and
// saves. One server (bench/server.mjs); GET /api/file/list of a folder of 200 files (about 36 KB
// of JSON) with a session, requested plain, with `Accept-Encoding: *,gzip` (the CDN's) and with
// `br`, in alternating slices (these machines are shared: a burst of other work meets all three).
// Reports requests/s, p50/p99 latency, bytes per answer on the wire and the server's CPU per request.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { Client } from './setup.mjs';
import { startServer } from './server-process.mjs';

const SLICE_SECONDS = Number(process.env.BENCH_SLICE_SECONDS ?? 1);
const SLICES = Number(process.env.BENCH_SLICES ?? 6);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const FILES = 200;

function cpuMicros(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
}

const server = await startServer();
try {
  const customer = new Client(server.url);
  await customer.login('bench', 'bench-password');
  await customer.req('POST', '/api/file/mkdir', { path: '/many' });
  const cookie = [...customer.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  for (let i = 0; i < FILES; i++) {
    const res = await fetch(`${server.url}/api/file/upload?path=/many/report-${String(i).padStart(3, '0')}.pdf`, {
      method: 'PUT',
      headers: { cookie, 'x-csrf-token': customer.csrf, 'content-type': 'application/octet-stream' },
      body: `file ${i}`,
    });
    if (res.status !== 201) throw new Error(`upload: ${res.status}`);
  }
  // BENCH_PATH=/docs-json measures the OpenAPI document instead (cheap to produce: compression's own cost shows).
  const path = process.env.BENCH_PATH ?? '/api/file/list?path=/many';
  const variants = [
    { name: 'identity (no Accept-Encoding)', headers: { cookie } },
    { name: 'gzip (Accept-Encoding: *,gzip)', headers: { cookie, 'accept-encoding': '*,gzip' } },
    { name: 'br (Accept-Encoding: br)', headers: { cookie, 'accept-encoding': 'br' } },
  ];
  const totals = variants.map(() => ({ requests: 0, bytes: 0, cpu: 0, p50: [], p99: [] }));
  const run = async (v, seconds) => {
    const before = cpuMicros(server.pid);
    const r = await autocannon({ url: server.url + path, headers: v.headers, connections: CONNECTIONS, duration: seconds });
    if (r.non2xx + r.errors + r.timeouts > 0) throw new Error(`${v.name}: failed requests`);
    return { r, cpu: cpuMicros(server.pid) - before };
  };
  for (const v of variants) await run(v, 1); // warm-up
  for (let s = 0; s < SLICES; s++) {
    // A B C, C B A, …: each meets the machine early and late alike.
    const order = s % 2 === 0 ? [0, 1, 2] : [2, 1, 0];
    for (const i of order) {
      const { r, cpu } = await run(variants[i], SLICE_SECONDS);
      const t = totals[i];
      t.requests += r.requests.total;
      t.bytes += r.throughput.total;
      t.cpu += cpu;
      t.p50.push(r.latency.p50);
      t.p99.push(r.latency.p99);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const base = totals[0];
  console.log(`GET ${path}, ${CONNECTIONS} connections, ${SLICES} slices of ${SLICE_SECONDS} s per variant, Node ${process.versions.node}`);
  console.log('variant | req/s | vs identity | p50 ms | p99 ms | bytes/answer (headers included) | server CPU µs/req');
  for (const [i, v] of variants.entries()) {
    const t = totals[i];
    const seconds = SLICES * SLICE_SECONDS;
    console.log(
      [
        v.name,
        (t.requests / seconds).toFixed(0),
        (t.requests / base.requests).toFixed(2),
        median(t.p50),
        median(t.p99),
        Math.round(t.bytes / t.requests),
        Math.round(t.cpu / t.requests),
      ].join(' | '),
    );
  }
} finally {
  await server.stop();
}
