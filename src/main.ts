import { AccountsService } from './accounts/accounts.service.js';
import { ensureBootstrapAdmin } from './accounts/bootstrap-admin.js';
import { createApp } from './app.factory.js';
import { ConfigError, loadConfig } from './config/config.js';

async function main(): Promise<void> {
  const started = performance.now();
  const config = loadConfig(process.env);
  const app = await createApp(config);
  const admin = await ensureBootstrapAdmin(app.get(AccountsService), config);
  await app.listen({ host: config.host, port: config.port });
  // With PORT=0 the system picks the port: show the one actually bound unless PUBLIC_URL says otherwise.
  const address = app.getHttpServer().address();
  const url = !process.env.PUBLIC_URL && address && typeof address === 'object' ? config.publicUrl.replace(/:\d+$/, `:${address.port}`) : config.publicUrl;

  const lines = [
    `Portcullis listening on ${url} (started in ${Math.round(performance.now() - started)} ms)`,
    `API docs: ${url}/docs`,
    `Operator login: ${admin.login}`,
  ];
  if (admin.generatedPassword) lines.push(`Operator password (shown once, change it after signing in): ${admin.generatedPassword}`);
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((err: unknown) => {
  // A configuration mistake is one clear line, not a stack trace.
  if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
  else process.stderr.write(`Portcullis failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
