#!/usr/bin/env node
// A loopback proxy that adds `Authorization: Bearer <token>` to every request and forwards it to
// a Portcullis instance, for WebDAV clients that cannot send a bearer (litmus, cadaver).
// node:http only; streams both ways (no buffering), keeps the method, path, query and every
// other header as sent. Host becomes the target's, and absolute URLs that name the proxy's own
// origin in Destination (COPY/MOVE) and in the If header's tagged lists (`<http://proxy/…>`) are
// rewritten to the target's origin, since the service checks them against its own host.
//
//   BEARER_TOKEN=… TARGET_URL=http://127.0.0.1:3000 node scripts/bearer-proxy.mjs [port]
//
// Listens on 127.0.0.1 (port 0 = any free port) and prints `LISTENING <port>` when ready.
// A client's own Authorization header (litmus sends Basic when given credentials) is replaced.
import http from 'node:http';

const token = process.env.BEARER_TOKEN;
const target = new URL(process.env.TARGET_URL ?? '');
if (!token || !/^https?:$/.test(target.protocol)) {
  console.error('bearer-proxy: set BEARER_TOKEN and TARGET_URL (http://host:port)');
  process.exit(2);
}
if (target.protocol !== 'http:') {
  console.error('bearer-proxy: only an http:// target on loopback is supported');
  process.exit(2);
}
const agent = new http.Agent({ keepAlive: true });

const server = http.createServer((req, res) => {
  const headers = { ...req.headers, host: target.host, authorization: `Bearer ${token}` };
  const own = `http://${req.headers.host}`;
  const rewrite = (v) => v.split(own).join(target.origin);
  if (req.headers.host) {
    if (typeof headers.destination === 'string' && headers.destination.startsWith(`${own}/`)) headers.destination = rewrite(headers.destination);
    if (typeof headers.if === 'string') headers.if = headers.if.replace(/<([^>]*)>/g, (m, uri) => (uri.startsWith(`${own}/`) ? `<${rewrite(uri)}>` : m));
  }
  const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent }, (upRes) => {
    res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, upRes.rawHeaders);
    upRes.pipe(res);
  });
  up.on('error', (err) => {
    if (!res.headersSent) {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`bearer-proxy: ${err.message}\n`);
    } else {
      res.destroy(err);
    }
  });
  req.on('aborted', () => up.destroy());
  req.pipe(up);
});
server.keepAliveTimeout = 30_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  console.log(`LISTENING ${server.address().port}`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)).closeAllConnections());
