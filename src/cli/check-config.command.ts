import { access, constants, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/config.js';
import { dataSourceOptions } from '../database/data-source-options.js';
import { describeTarget } from '../database/wait-for-database.js';
import { SCHEMA } from '../schema.js';
import type { CliBase } from './cli-command.js';
import { runOf } from './cli-command.js';
import { CliError, configOf, emit, EXIT, oneLine, pendingMigrations, reachDatabase, table } from './cli-context.js';

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/**
 * `portcullis check-config`: the environment as the service would read it, then each dependency
 * reached once. Changes nothing (no database file is created, no secret key generated).
 */
export function checkConfigCommand(base: CliBase): Command {
  return new Command('check-config')
    .description('Validate the environment as the service reads it (LOG_LEVEL, DATABASE_URL…), then reach the database and Redis (when REDIS_URL is set): one line each, ok or fail. Exit 0 when all are ok, 3 otherwise. Changes nothing.')
    .action(async (_o: unknown, command: Command) => {
      const run = runOf(base, command);
      const checks: Check[] = [];
      let config: AppConfig | undefined;
      try {
        config = configOf(run.env);
        checks.push({ name: 'config', ok: true, detail: 'environment valid' });
      } catch (err) {
        if (!(err instanceof CliError)) throw err;
        checks.push({ name: 'config', ok: false, detail: err.message });
      }
      if (config) {
        checks.push(await secretKeyCheck(config));
        checks.push(await databaseCheck(config));
        checks.push(await redisCheck(config));
        if (config.tlsCertFile && config.tlsKeyFile) checks.push(await filesCheck('tls', [config.tlsCertFile, config.tlsKeyFile]));
      }
      const ok = checks.every((c) => c.ok);
      emit(run, { ok, checks }, () => table(['CHECK', 'RESULT', 'DETAIL'], checks.map((c) => [c.name, c.ok ? 'ok' : 'fail', c.detail])));
      if (!ok) base.exit(EXIT.unavailable);
    });
}

async function secretKeyCheck(config: AppConfig): Promise<Check> {
  if (config.secretKey) return { name: 'secret-key', ok: true, detail: 'from SECRET_KEY' };
  const file = join(config.dataDir, 'secret.key');
  try {
    const key = Buffer.from((await readFile(file, 'utf8')).trim(), 'base64');
    return key.length === 32 ? { name: 'secret-key', ok: true, detail: `from ${file}` } : { name: 'secret-key', ok: false, detail: `${file} does not hold 32 base64 bytes` };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return { name: 'secret-key', ok: false, detail: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code}` };
    return { name: 'secret-key', ok: true, detail: `${file} does not exist yet: generated at the first start (every instance must share it)` };
  }
}

async function databaseCheck(config: AppConfig): Promise<Check> {
  const target = describeTarget(config.databaseUrl);
  const fail = (detail: string): Check => ({ name: 'database', ok: false, detail });
  if (config.databaseUrl.startsWith('sqlite:')) {
    const file = resolve(config.databaseUrl.slice('sqlite:'.length));
    const exists = await stat(file).then(
      () => true,
      () => false,
    );
    if (!exists) {
      const dir = await nearestDirectory(dirname(file));
      return (await writable(dir))
        ? { name: 'database', ok: true, detail: `${target} does not exist yet: created by \`portcullis migrate\` or the first start` }
        : fail(`${target} does not exist, and ${dir} is not writable`);
    }
    if (!(await writable(file))) return fail(`${target} is not writable`);
  } else {
    try {
      await reachDatabase(config);
    } catch (err) {
      return fail((err as Error).message);
    }
  }
  const dataSource = new DataSource(dataSourceOptions(config.databaseUrl, SCHEMA));
  try {
    await dataSource.initialize();
    const pending = await pendingMigrations(dataSource);
    return { name: 'database', ok: true, detail: `${target} reachable; ${pending.length ? `${pending.length} migration${pending.length > 1 ? 's' : ''} pending (run \`portcullis migrate\`)` : 'schema up to date'}` };
  } catch (err) {
    return fail(`${target}: ${oneLine(err)}`);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
  }
}

async function redisCheck(config: AppConfig): Promise<Check> {
  if (!config.redisUrl) return { name: 'redis', ok: true, detail: 'not configured: in-process state (one instance only)' };
  const redis = new Redis(config.redisUrl, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 5_000 });
  redis.on('error', () => undefined);
  const where = redactedRedis(config.redisUrl);
  try {
    await redis.connect();
    const pong = await redis.ping();
    return { name: 'redis', ok: pong === 'PONG', detail: `${where} answers ${pong} (key prefix ${config.redisKeyPrefix})` };
  } catch (err) {
    return { name: 'redis', ok: false, detail: `${where} is unreachable (${oneLine(err)})` };
  } finally {
    redis.disconnect();
  }
}

async function filesCheck(name: string, files: string[]): Promise<Check> {
  for (const f of files) {
    try {
      await access(f, constants.R_OK);
    } catch (err) {
      return { name, ok: false, detail: `cannot read ${f}: ${(err as NodeJS.ErrnoException).code}` };
    }
  }
  return { name, ok: true, detail: `${files.join(', ')} readable` };
}

function redactedRedis(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return 'REDIS_URL';
  }
}

async function nearestDirectory(dir: string): Promise<string> {
  for (let d = dir; ; d = dirname(d)) {
    if (await stat(d).then((s) => s.isDirectory(), () => false)) return d;
    if (dirname(d) === d) return d;
  }
}

async function writable(path: string): Promise<boolean> {
  return access(path, constants.W_OK).then(
    () => true,
    () => false,
  );
}
