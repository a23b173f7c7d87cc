// The ceiling of npm run bench: a bare node:http server answering whoami's JSON for `bench` (the
// same bytes as the service's whoami) on GET /bench/whoami. Prints "READY <url>" when listening.
import http from 'node:http';
import { WHOAMI } from './whoami.mjs';

const body = JSON.stringify(WHOAMI);
const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/bench/whoami') {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  } else {
    res.writeHead(404).end();
  }
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => console.log(`READY http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)).closeAllConnections());
