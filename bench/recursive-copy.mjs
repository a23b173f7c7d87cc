// A recursive copy of 1,000 small files through the file API, by a sublogin with 10 and with
// 10,000 rules (none of them beneath the copied folder), and by the full login for reference:
// every member of a copy is decided, and a tree under which no rule could deny must cost the
// same whatever the number of rules (the trie answers "is a deny rule beneath?" in the path's depth).
import { startServer } from './server-process.mjs';
import { Client, setupTarget } from './setup.mjs';

const FILES = 1000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

/** `n` rules: the class allowed, the rest denying copies elsewhere. */
function rules(n) {
  const out = [{ path: '/file/', effect: 'allow' }];
  for (let i = 1; i < n; i++) out.push({ path: `/file/copy/elsewhere/d${i % 100}/f${i}`, effect: 'deny' });
  return out;
}

export async function recursiveCopyBench() {
  const server = await startServer();
  try {
    const { apiKey } = await setupTarget(server.url);
    const owner = new Client(server.url);
    await owner.login('bench', 'bench-password');
    for (const [name, n] of [['rules10', 10], ['rules10k', 10_000]]) await owner.req('POST', '/api/sublogin/create', { name, password: `${name}-password`, rules: rules(n) });
    const body = 'x'.repeat(1024);
    const paths = Array.from({ length: FILES }, (_, i) => `/src/d${i % 10}/f${i}.txt`);
    for (let i = 0; i < paths.length; i += 16) {
      await Promise.all(paths.slice(i, i + 16).map(async (p) => {
        const res = await fetch(`${server.url}/api/file/upload?path=${encodeURIComponent(p)}`, { method: 'PUT', headers: { authorization: `Basic ${Buffer.from('bench:bench-password').toString('base64')}`, 'x-api-key': apiKey }, body });
        if (!res.ok) throw new Error(`upload ${p}: ${res.status} ${await res.text()}`);
      }));
    }
    const as = {
      owner: { authorization: `Basic ${Buffer.from('bench:bench-password').toString('base64')}` },
      small: { authorization: `Basic ${Buffer.from('bench-rules10:rules10-password').toString('base64')}` },
      large: { authorization: `Basic ${Buffer.from('bench-rules10k:rules10k-password').toString('base64')}` },
    };
    let n = 0;
    const copy = async (headers) => {
      const to = `/dst${n++}`;
      const start = performance.now();
      const res = await fetch(`${server.url}/api/file/copy`, { method: 'POST', headers: { ...headers, 'x-api-key': apiKey, 'content-type': 'application/json' }, body: JSON.stringify({ from: '/src', to }) });
      const ms = performance.now() - start;
      if (res.status !== 200) throw new Error(`copy: ${res.status} ${await res.text()}`);
      await owner.req('POST', '/api/file/delete', { path: to });
      return ms;
    };
    const times = { owner: [], small: [], large: [] };
    await copy(as.owner); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      // Rotated each round, so no one of them always runs first after a delete.
      const order = ['owner', 'small', 'large'];
      for (let k = 0; k < round % 3; k++) order.push(order.shift());
      for (const who of order) times[who].push(await copy(as[who]));
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    return { files: FILES, rounds: ROUNDS, owner: median(times.owner), small: median(times.small), large: median(times.large), times };
  } finally {
    await server.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await recursiveCopyBench();
  console.log(JSON.stringify(r, null, 1));
}
