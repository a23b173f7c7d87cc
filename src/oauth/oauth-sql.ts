import { createHash } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';

export type SqlValue = string | number | null;

interface Pending {
  sql: string;
  params: readonly SqlValue[];
  resolve: (changes: number) => void;
  reject: (err: unknown) => void;
}

/**
 * Fixed SQL statements for the token endpoint's hot path, written with `?` placeholders and run
 * as prepared statements: TypeORM's query builders cost more than the queries (~0.8 ms of CPU
 * a refresh grant went to building them), and a value inlined in a statement's text (as the
 * builder did with dates) made every statement new to SQLite's statement cache.
 *
 * SQLite: better-sqlite3 statements prepared once per connection; TypeORM uses the same single
 * connection, so a statement waits while a TypeORM transaction is open across an await, as
 * bulkInsert does (it would otherwise join that transaction). PostgreSQL: the same text with
 * `$n` placeholders as a named prepared statement, on the pool TypeORM opened (each connection
 * parses and plans a statement once, where an unnamed query is parsed and planned on every call,
 * and a TypeORM query runner per statement added its own acquire, events and logging).
 */
export class OAuthSql {
  private readonly sqlite: Database | undefined;
  private readonly statements = new Map<string, Statement<SqlValue[]>>();
  private readonly pgStatements = new Map<string, { name: string; text: string }>();

  constructor(private readonly dataSource: DataSource) {
    this.sqlite = dataSource.driver.options.type === 'better-sqlite3' ? (dataSource.driver as unknown as { databaseConnection: Database }).databaseConnection : undefined;
  }

  /**
   * Like `run`, but on SQLite the statement is group-committed: statements issued in the same
   * turn of the event loop (by concurrent requests) go in one transaction, and each caller's
   * promise settles after that commit (as OTP claims do): the commit is what costs, its share
   * falls with the batch. Each statement's own result is kept (a conditional UPDATE still tells
   * its caller whether it won). If the batch fails, its statements are run again one by one, so
   * one failing statement fails only its caller.
   */
  runCommitted(sql: string, params: readonly SqlValue[]): Promise<number> {
    if (!this.sqlite) return this.run(sql, params);
    return new Promise<number>((resolve, reject) => {
      this.batch.push({ sql, params, resolve, reject });
      if (this.batch.length === 1) setImmediate(() => void this.flush(this.sqlite!));
    });
  }

  private batch: Pending[] = [];

  private async flush(db: Database): Promise<void> {
    await this.outsideTransactions(db);
    const batch = this.batch;
    this.batch = [];
    let changes: number[];
    try {
      changes = db.transaction(() => batch.map((p) => this.statement(db, p.sql).run(...p.params).changes))();
    } catch {
      for (const p of batch) {
        try {
          p.resolve(this.statement(db, p.sql).run(...p.params).changes);
        } catch (err) {
          p.reject(err);
        }
      }
      return;
    }
    batch.forEach((p, i) => p.resolve(changes[i]));
  }

  /** Rows changed by an INSERT, UPDATE or DELETE. */
  async run(sql: string, params: readonly SqlValue[]): Promise<number> {
    if (this.sqlite) {
      await this.outsideTransactions(this.sqlite);
      return this.statement(this.sqlite, sql).run(...params).changes;
    }
    const result = await this.pg(sql, params);
    return result.affected ?? 0;
  }

  /** The first row of a SELECT, or undefined. */
  async get<T>(sql: string, params: readonly SqlValue[]): Promise<T | undefined> {
    if (this.sqlite) {
      await this.outsideTransactions(this.sqlite);
      return this.statement(this.sqlite, sql).get(...params) as T | undefined;
    }
    const result = await this.pg(sql, params);
    return (result.records as T[])[0];
  }

  private statement(db: Database, sql: string): Statement<SqlValue[]> {
    let stmt = this.statements.get(sql);
    if (!stmt) this.statements.set(sql, (stmt = db.prepare<SqlValue[]>(sql)));
    return stmt;
  }

  private async outsideTransactions(db: Database): Promise<void> {
    while (db.inTransaction) await new Promise((resolve) => setImmediate(resolve));
  }

  private async pg(sql: string, params: readonly SqlValue[]): Promise<{ affected?: number; records: unknown[] }> {
    let statement = this.pgStatements.get(sql);
    if (statement === undefined) {
      let n = 0;
      const text = sql.replace(/\?/g, () => `$${++n}`);
      // Named after the text: a connection prepares each name once, and one name never means two texts.
      this.pgStatements.set(sql, (statement = { name: `oauth_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`, text }));
    }
    const pool = (this.dataSource.driver as unknown as { master: Pool }).master;
    const result = await pool.query({ name: statement.name, text: statement.text, values: [...params] });
    return { affected: result.rowCount ?? 0, records: result.rows };
  }
}
