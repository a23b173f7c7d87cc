// A benchmark target: the built service (dist/) on a loopback port with a fresh SQLite state and
// a legacy account `bench` (Basic with its login password). Prints "READY <url>" when listening.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccountsService } from '../dist/src/accounts/accounts.service.js';
import { ensureBootstrapAdmin } from '../dist/src/accounts/bootstrap-admin.js';
import { createApp } from '../dist/src/app.factory.js';
import { loadConfig } from '../dist/src/config/config.js';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
const config = loadConfig({
  DATA_DIR: dir,
  SECRET_KEY: randomBytes(32).toString('base64'),
  LOG_LEVEL: 'silent',
  BOOTSTRAP_ADMIN_PASSWORD: 'bench-operator-password',
  ...process.env,
  PORT: '0',
});
const app = await createApp(config);
await ensureBootstrapAdmin(app.get(AccountsService), config);
await app.get(AccountsService).create({ login: 'bench', password: 'bench-password', email: 'bench@example.com', registeredAt: new Date('2020-01-01T00:00:00Z') });
await app.listen({ host: '127.0.0.1', port: 0 });
console.log(`READY http://127.0.0.1:${app.getHttpServer().address().port}`);
process.on('SIGTERM', async () => {
  await app.close();
  process.exit(0);
});
