import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { CannotExecuteNotConnectedError, ConnectionIsNotSetError, DataSource, QueryFailedError } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from './database-errors.js';
import { toErrorResponse } from './error-mapping.js';

// Real errors of the real drivers: node-postgres against loopback servers that refuse, hang up,
// never answer, or answer the startup with a PostgreSQL error, and SQLite's busy lock.

/** A loopback TCP server that does `onSocket` with each connection; its port. */
async function server(onSocket: (s: Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const srv: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    onSocket(s);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        srv.close(() => resolve());
      }),
  };
}

/** A port nothing listens on: one a server had a moment ago. */
async function closedPort(): Promise<number> {
  const s = await server(() => undefined);
  await s.close();
  return s.port;
}

/** PostgreSQL's ErrorResponse message ('E'), as a server sends it instead of accepting a startup. */
function pgErrorResponse(code: string, message: string): Buffer {
  const fields = Buffer.concat([
    ...[
      ['S', 'FATAL'],
      ['V', 'FATAL'],
      ['C', code],
      ['M', message],
    ].map(([k, v]) => Buffer.from(`${k}${v}\0`)),
    Buffer.from([0]),
  ]);
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeInt32BE(4 + fields.length, 1);
  return Buffer.concat([head, fields]);
}

async function pgError(port: number, opts: { pool?: boolean; timeoutMs?: number } = {}): Promise<Error> {
  const config = { host: '127.0.0.1', port, user: 'u', database: 'd', password: 'p', connectionTimeoutMillis: opts.timeoutMs ?? 2_000 };
  const client = opts.pool ? new pg.Pool(config) : new pg.Client(config);
  (client as pg.Client).on('error', () => undefined);
  try {
    if (client instanceof pg.Client) await client.connect(); // a pool connects by itself
    await client.query('SELECT 1');
  } catch (err) {
    return err as Error;
  } finally {
    await client.end().catch(() => undefined);
  }
  throw new Error('the query succeeded');
}

describe('isDatabaseUnavailable, with errors the drivers really throw', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'portcullis-dberr-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('a refused connection (ECONNREFUSED), from a client and from the pool', async () => {
    const port = await closedPort();
    const errors = [await pgError(port), await pgError(port, { pool: true })];
    for (const err of errors) {
      expect((err as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
      expect(isDatabaseUnavailable(err)).toBe(true);
    }
    // What Node answers for a name with several addresses, all refused.
    expect(isDatabaseUnavailable(new AggregateError(errors))).toBe(true);
  });

  it('a server that hangs up (Connection terminated unexpectedly), also inside a QueryFailedError', async () => {
    const s = await server((sock) => sock.destroy());
    try {
      const err = await pgError(s.port);
      expect(err.message).toMatch(/^Connection terminated unexpectedly/);
      expect(isDatabaseUnavailable(err)).toBe(true);
      // TypeORM wraps what a query's driver call throws.
      expect(isDatabaseUnavailable(new QueryFailedError('SELECT 1', [], err))).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('a server that never answers (the connect timeout)', async () => {
    const s = await server(() => undefined);
    try {
      const fromClient = await pgError(s.port, { timeoutMs: 100 });
      const fromPool = await pgError(s.port, { pool: true, timeoutMs: 100 });
      expect(fromPool.message).toMatch(/timeout/);
      expect(isDatabaseUnavailable(fromClient)).toBe(true);
      expect(isDatabaseUnavailable(fromPool)).toBe(true);
    } finally {
      await s.close();
    }
  });

  it.each([
    ['57P03', 'the database system is starting up'],
    ['57P01', 'terminating connection due to administrator command'],
    ['53300', 'sorry, too many clients already'],
    ['08006', 'connection failure'],
  ])('a server that answers the startup with SQLSTATE %s', async (code, message) => {
    const s = await server((sock) => sock.once('data', () => sock.end(pgErrorResponse(code, message))));
    try {
      const err = await pgError(s.port);
      expect(err).toMatchObject({ code, message });
      expect(isDatabaseUnavailable(err)).toBe(true);
    } finally {
      await s.close();
    }
  });

  it("TypeORM's not-connected errors, and a DataSource that cannot reach its server", async () => {
    expect(isDatabaseUnavailable(new ConnectionIsNotSetError('postgres'))).toBe(true);
    expect(isDatabaseUnavailable(new CannotExecuteNotConnectedError())).toBe(true);
    const ds = new DataSource({ type: 'postgres', host: '127.0.0.1', port: await closedPort(), username: 'u', password: 'p', database: 'd', extra: { connectionTimeoutMillis: 2_000 } });
    const err = await ds.initialize().then(
      () => new Error('connected'),
      (e: unknown) => e,
    );
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it('SQLite busy past its timeout (another connection holds the write lock)', () => {
    const file = path.join(tmp, 'busy.sqlite');
    const a = new Database(file);
    const b = new Database(file, { timeout: 0 });
    try {
      a.exec('CREATE TABLE t (x INTEGER)');
      a.exec('BEGIN EXCLUSIVE');
      let err: unknown;
      try {
        b.exec('INSERT INTO t VALUES (1)');
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: 'SQLITE_BUSY' });
      expect(isDatabaseUnavailable(err)).toBe(true);
      expect(isDatabaseUnavailable(new QueryFailedError('INSERT INTO t VALUES (1)', [], err as Error))).toBe(true);
    } finally {
      a.close();
      b.close();
    }
  });

  it('is false for errors that are the request or the code, not the database being away', () => {
    const file = path.join(tmp, 'constraint.sqlite');
    const db = new Database(file);
    let unique: unknown;
    try {
      db.exec('CREATE TABLE u (x INTEGER PRIMARY KEY)');
      db.exec('INSERT INTO u VALUES (1)');
      try {
        db.exec('INSERT INTO u VALUES (1)');
      } catch (e) {
        unique = e;
      }
    } finally {
      db.close();
    }
    expect(unique).toMatchObject({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' });
    for (const err of [unique, new QueryFailedError('INSERT', [], unique as Error), new Error('boom'), Object.assign(new Error('no file'), { code: 'ENOENT' }), null, 'text']) {
      expect(isDatabaseUnavailable(err)).toBe(false);
    }
  });
});

describe('the error map answers 503 service_unavailable for them', () => {
  it('with Retry-After, the contract shape, and no internals', async () => {
    const err = await pgError(await closedPort());
    const res = toErrorResponse(new QueryFailedError('SELECT secret FROM t', [], err));
    expect(res.status).toBe(503);
    expect(res.headers['Retry-After']).toBe('5');
    expect(res.body).toMatchObject({ statusCode: 503, code: 'service_unavailable' });
    expect(JSON.stringify(res.body)).not.toMatch(/secret|ECONNREFUSED|127\.0\.0\.1/);
    expect(toErrorResponse(new Error('boom')).status).toBe(500);
  });
});
