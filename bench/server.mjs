// A benchmark target: the built service (dist/) on a loopback port with a fresh SQLite state and
// a legacy account `bench` (Basic with its login password). Prints "READY <url>" when listening.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, Get, Module } from '@nestjs/common';
import { fromDist } from './dist.mjs';

const { AccountsService } = await fromDist('src/accounts/accounts.service.js');
const { Acl } = await fromDist('src/acl/acl.decorators.js');
const { aclSpecificOf } = await fromDist('src/acl/acl-specific.js');
const { ApiKeyPolicy } = await fromDist('src/api-keys/api-key-policy.decorator.js');
const { Auth, CurrentPrincipal, Public } = await fromDist('src/auth/auth.decorators.js');
const { WhoamiController } = await fromDist('src/access/whoami.controller.js', 'src/auth/whoami.controller.js');
const { ensureBootstrapAdmin } = await fromDist('src/accounts/bootstrap-admin.js');
const { createApp } = await fromDist('src/app.factory.js');
const { loadConfig } = await fromDist('src/config/config.js');

const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
const config = loadConfig({
  DATA_DIR: dir,
  SECRET_KEY: randomBytes(32).toString('base64'),
  LOG_LEVEL: 'silent',
  BOOTSTRAP_ADMIN_PASSWORD: 'bench-operator-password',
  ...process.env,
  PORT: '0',
});
// The baseline, "GET /api/whoami unguarded": a Nest route with whoami's answer (the same
// bytes as the guarded one answers for `bench`) and no credential to check. Beside it, whoami's
// handler behind the checks of `GET /api/file/info` (Basic/Bearer/OTP, API key required, ACL
// /file/info/<path>): the three checks of issue 5 without a file route's own work. Decorators
// applied by hand: this file is plain JavaScript.
class BenchRoutes {
  whoami() {
    return { login: 'bench', account: 'bench', sublogin: null, method: 'basic', application: null, scopes: null };
  }
  guardedWhoami(principal) {
    return WhoamiController.prototype.whoami(principal);
  }
}
const route = (name, ...decorators) => {
  const descriptor = Object.getOwnPropertyDescriptor(BenchRoutes.prototype, name);
  for (const decorate of decorators) decorate(BenchRoutes.prototype, name, descriptor);
};
route('whoami', Get('whoami'), Public());
route('guardedWhoami', Get('guarded-whoami'), Auth('basic', 'bearer', 'otp', 'session'), ApiKeyPolicy('required'), Acl('file', 'info', { specific: (req) => aclSpecificOf(req.query?.path) }));
CurrentPrincipal()(BenchRoutes.prototype, 'guardedWhoami', 0);
Controller('bench')(BenchRoutes);
class BenchRoutesModule {}
Module({ controllers: [BenchRoutes] })(BenchRoutesModule);

const app = await createApp(config, { extraModules: [BenchRoutesModule] });
await ensureBootstrapAdmin(app.get(AccountsService), config);
await app.get(AccountsService).create({ login: 'bench', password: 'bench-password', email: 'bench@example.com', registeredAt: new Date('2020-01-01T00:00:00Z') });
await app.listen({ host: '127.0.0.1', port: 0 });
console.log(`READY http://127.0.0.1:${app.getHttpServer().address().port}`);
process.on('SIGTERM', async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
});
