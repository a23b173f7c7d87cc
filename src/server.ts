// The service itself: main.ts imports it once the Node.js version is known to be new enough.
import { AccountsService } from './accounts/accounts.service.js';
import { ensureBootstrapAdmin } from './accounts/bootstrap-admin.js';
import { createApp } from './app.factory.js';
import { ConfigError, loadConfig } from './config/config.js';
import { DatabaseUnreachableError, DEFAULT_WAIT, waitForDatabase } from './database/wait-for-database.js';

/** How long requests in flight may run on after SIGTERM before their connections are cut. */
const SHUTDOWN_GRACE_MS = 20_000;

async function main(): Promise<void> {
  const started = performance.now();
  const config = loadConfig(process.env);
  // PostgreSQL may come up after us (compose, Kubernetes): wait for it with backoff, one line a try.
  await waitForDatabase(config.databaseUrl, { ...DEFAULT_WAIT, log: (line) => process.stderr.write(`${line}\n`) });
  const app = await createApp(config);
  // SIGTERM (enableShutdownHooks) closes the app: no new connections, requests in flight are
  // answered, then statistics and audit are flushed. A request still running after the grace
  // period (a slow upload) has its connection cut, so its upload is discarded cleanly (no partial
  // file) and the flush still happens before a supervisor's SIGKILL (Kubernetes: 30 s).
  process.once('SIGTERM', () => setTimeout(() => app.getHttpServer().closeAllConnections(), SHUTDOWN_GRACE_MS).unref());
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
  else if (err instanceof DatabaseUnreachableError) process.stderr.write(`Portcullis failed to start: ${err.message}\n`);
  else process.stderr.write(`Portcullis failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
