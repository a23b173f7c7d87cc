import 'reflect-metadata';
import { userInfo } from 'node:os';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type Logger, pino } from 'pino';
import { DataSource, MigrationExecutor } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { type AppConfig, ConfigError, loadConfig } from '../config/config.js';
import { isDatabaseUnavailable } from '../errors/database-errors.js';
import { DatabaseUnreachableError, describeTarget, waitForDatabase } from '../database/wait-for-database.js';
import { DomainError } from '../errors/domain-error.js';
import { PinoNestLogger } from '../logging/logger.js';
import { CliModule } from './cli.module.js';

/** Exit codes scripts can rely on (README "Operator CLI"). */
export const EXIT = {
  ok: 0,
  /** The command ran and was refused or failed: not found, conflict, rows refused, nothing imported. */
  failed: 1,
  /** The command line is wrong: unknown command or option, a missing or invalid argument. */
  usage: 2,
  /** The configuration is invalid, or the database or Redis cannot be reached (or the schema is behind). */
  unavailable: 3,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Where a run reads and writes: the process's streams in main.ts, buffers in tests. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** All of standard input (for `--password-stdin`). */
  readStdin(): Promise<string>;
  /** Relative file names are resolved against it. */
  cwd: string;
  /** Who runs the command, for the audit log's actor (`cli:<user>`); the OS user by default. */
  user?: string;
}

/** A refusal with its exit code and a stable code for `--json`. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string): CliError => new CliError(EXIT.usage, 'usage', message);

/** What every command gets: the environment, the output mode and the actor. */
export interface CliRun {
  env: Readonly<Record<string, string | undefined>>;
  io: CliIo;
  json: boolean;
}

/** `cli:<OS user>`: how changes made here are attributed in the audit log (the `actor` column). */
export function cliActor(io: CliIo, env: CliRun['env']): string {
  let user = io.user;
  if (!user) {
    try {
      user = userInfo().username;
    } catch {
      // A container user without a passwd entry.
      user = env.USER ?? env.LOGNAME ?? `uid-${process.getuid?.() ?? 'unknown'}`;
    }
  }
  return `cli:${user}`.slice(0, 100);
}

export function configOf(env: CliRun['env']): AppConfig {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(EXIT.unavailable, 'config_invalid', err.message);
    throw err;
  }
}

/** Nest's and the services' own log lines go to stderr (stdout is the command's output), warnings and worse unless LOG_LEVEL asks for more. */
export function cliLogger(config: AppConfig): Logger {
  const level = ['debug', 'trace', 'silent'].includes(config.logLevel) ? config.logLevel : 'warn';
  return pino({ level, base: undefined }, pino.destination(2));
}

/** One quick attempt (no start-up backoff: an operator at a prompt wants the answer now). */
export async function reachDatabase(config: AppConfig): Promise<void> {
  try {
    await waitForDatabase(config.databaseUrl, { attempts: 1, firstDelayMs: 0, maxDelayMs: 0, log: () => undefined });
  } catch (err) {
    if (err instanceof DatabaseUnreachableError) throw new CliError(EXIT.unavailable, 'database_unreachable', `the database at ${err.target} is unreachable (${err.reason})`);
    throw err;
  }
}

/** Names of the service's migrations not yet applied to the database. */
export async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  return (await new MigrationExecutor(dataSource).getPendingMigrations()).map((m) => m.name);
}

/**
 * Runs `fn` on the service's providers (CliModule in an application context, no HTTP server),
 * then writes the audit events the command recorded and closes everything, so the process exits.
 * The database must be reachable (exit 3 otherwise) and its schema current: a command other than
 * `migrate` never changes the schema, and stops (exit 3) when migrations are pending.
 */
export async function withServices<T>(run: CliRun, fn: (app: INestApplicationContext, config: AppConfig) => Promise<T>): Promise<T> {
  const config = configOf(run.env);
  await reachDatabase(config);
  let app: INestApplicationContext;
  try {
    app = await NestFactory.createApplicationContext(CliModule.forRoot(config), { logger: new PinoNestLogger(cliLogger(config)), abortOnError: false });
  } catch (err) {
    throw new CliError(EXIT.unavailable, 'startup_failed', `cannot reach the service's dependencies (database ${describeTarget(config.databaseUrl)}${config.redisUrl ? ', Redis' : ''}): ${oneLine(err)}`);
  }
  try {
    const pending = await pendingMigrations(app.get(DataSource));
    if (pending.length) {
      throw new CliError(EXIT.unavailable, 'schema_outdated', `the database schema is behind this version (${pending.length} migration${pending.length > 1 ? 's' : ''} pending): run \`portcullis migrate\` first`);
    }
    return await fn(app, config);
  } catch (err) {
    throw asCliError(err);
  } finally {
    // The audit log is written in batches; the app's last batch is its Fastify onClose, which a
    // context has not: written here, while the database is still open.
    await app.get(AuditService).flush();
    await app.close();
  }
}

/** Service errors as exit codes: refusals 1, an unreachable database 3. */
export function asCliError(err: unknown): unknown {
  if (err instanceof CliError) return err;
  if (err instanceof DomainError) {
    return new CliError(err.code === 'service_unavailable' ? EXIT.unavailable : EXIT.failed, err.code, err.message);
  }
  if (isDatabaseUnavailable(err)) return new CliError(EXIT.unavailable, 'database_unreachable', `the database is unreachable: ${oneLine(err)}`);
  return err;
}

export function oneLine(err: unknown): string {
  const e = (err instanceof AggregateError && !err.message ? err.errors[0] : err) as { message?: string; code?: string };
  const text = (e?.message || e?.code || String(err)).split('\n')[0]!.trim();
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** The command's result: one JSON document with `--json`, else the text. */
export function emit(run: CliRun, data: unknown, text: () => string): void {
  if (run.json) run.io.out(`${JSON.stringify(data, null, 2)}\n`);
  else {
    const t = text();
    if (t) run.io.out(t.endsWith('\n') ? t : `${t}\n`);
  }
}

/** Diagnostics that are not the result: always stderr, so `--json` output stays one document. */
export function warn(run: CliRun, message: string): void {
  run.io.err(`warning: ${message}\n`);
}

/**
 * Without Redis the CLI cannot reach running instances' caches: a change is in the database at
 * once, but what an instance verified recently keeps working there until its cache entry expires.
 */
export function warnIfNotBroadcast(run: CliRun, config: AppConfig, what: string): void {
  if (config.redisUrl) return;
  warn(
    run,
    `REDIS_URL is not set, so running instances are not told of this change: ${what} they verified in the last ${config.verifyCacheTtlSeconds} s (VERIFY_CACHE_TTL) keep working there until their cache entries expire. Use the admin API for changes that must hold at once on an instance without Redis.`,
  );
}

/** Aligned columns for text output. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** `--limit` and `--offset` on a listing command (1 to 1000, default 100; from 0). */
export function withPaging<C extends { option(flags: string, description: string, parse: (raw: string) => number, fallback: number): C }>(command: C): C {
  return command
    .option('--limit <n>', 'at most this many (1 to 1000)', intOption('--limit', 1, 1000), 100)
    .option('--offset <n>', 'skip this many', intOption('--offset', 0, Number.MAX_SAFE_INTEGER), 0);
}

/** Whole numbers for --limit / --offset. */
export function intOption(name: string, min: number, max: number): (raw: string) => number {
  return (raw) => {
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw usageError(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
    return Number(raw);
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
export function isUuid(s: string): boolean {
  return UUID.test(s);
}
