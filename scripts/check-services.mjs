// Fails (exit 1) with one clear line when PostgreSQL or Redis is unreachable: CI must not
// pass by silently skipping the suites that need them.
import { createConnection } from 'node:net';

const targets = [
  ['PostgreSQL', process.env.PORTCULLIS_TEST_POSTGRES],
  ['Redis', process.env.PORTCULLIS_TEST_REDIS],
];
for (const [name, url] of targets) {
  if (!url) {
    console.error(`${name}: no URL configured`);
    process.exit(1);
  }
  const { hostname, port } = new URL(url);
  await new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port) }, () => {
      socket.end();
      console.log(`${name} reachable at ${hostname}:${port}`);
      resolve();
    });
    socket.setTimeout(5000, () => socket.destroy(new Error('timeout')));
    socket.on('error', (err) => {
      console.error(`${name} unreachable at ${hostname}:${port}: ${err.message}`);
      process.exit(1);
    });
  });
}
