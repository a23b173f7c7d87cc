import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

export interface WaitOptions {
  /** Connection attempts before giving up (the first one included). */
  attempts: number;
  /** Delay before the second attempt; doubled after each failure, up to `maxDelayMs`. */
  firstDelayMs: number;
  maxDelayMs: number;
  /** One line per failed attempt. */
  log: (line: string) => void;
}

/** 6 attempts, 0.5 + 1 + 2 + 4 + 8 s apart: a database that restarts with us has ~15 s to come up. */
export const DEFAULT_WAIT: Omit<WaitOptions, 'log'> = { attempts: 6, firstDelayMs: 500, maxDelayMs: 8_000 };

export class DatabaseUnreachableError extends Error {
  constructor(
    readonly target: string,
    readonly attempts: number,
    readonly reason: string,
  ) {
    super(`the database at ${target} is unreachable after ${attempts} attempts (${reason})`);
    this.name = 'DatabaseUnreachableError';
  }
}

/**
 * At start, before anything else touches the database: waits for a PostgreSQL DATABASE_URL to
 * accept a connection, retrying with exponential backoff, one line per failure and no stack
 * trace; throws DatabaseUnreachableError after the last attempt (main.ts exits non-zero, and a
 * supervisor such as Kubernetes restarts it with its own backoff). TypeORM's own retries then
 * only cover a database that goes away in the instant between this check and its connect.
 * A SQLite file needs no waiting: it is opened, or the start fails with its own error.
 */
export async function waitForDatabase(databaseUrl: string, opts: WaitOptions): Promise<void> {
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) return;
  const target = describeTarget(databaseUrl);
  let delay = opts.firstDelayMs;
  for (let attempt = 1; ; attempt++) {
    const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (err) {
      const reason = oneLine(err);
      if (attempt >= opts.attempts) throw new DatabaseUnreachableError(target, attempt, reason);
      opts.log(`Database at ${target} unreachable (${reason}); retrying in ${formatSeconds(delay)} (attempt ${attempt + 1} of ${opts.attempts})`);
      await sleep(delay);
      delay = Math.min(delay * 2, opts.maxDelayMs);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

/** `postgres://user@host:port/db` without the password, for messages. */
export function describeTarget(databaseUrl: string): string {
  try {
    const u = new URL(databaseUrl);
    return `${u.protocol}//${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname}`;
  } catch {
    return 'DATABASE_URL';
  }
}

function oneLine(err: unknown): string {
  // Node answers a refused connection to a name with two addresses with an AggregateError whose
  // own message is empty: the first inner error says it.
  const e = (err instanceof AggregateError && !err.message ? err.errors[0] : err) as { code?: string; message?: string };
  const text = (e?.message || e?.code || String(err)).split('\n')[0]!.trim();
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${ms / 1000} s`;
}
