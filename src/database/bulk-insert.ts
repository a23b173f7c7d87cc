import type { Database, Statement } from 'better-sqlite3';
import type { DataSource } from 'typeorm';

export type SqlValue = string | number | null;

export interface BulkInsert {
  table: string;
  columns: readonly string[];
  rows: readonly (readonly SqlValue[])[];
  /**
   * Rows that would break a unique key (a row already there has the same key) are skipped, not
   * an error; this column's values, distinct among `rows`, tell which rows went in.
   */
  skipExisting?: string;
}

// PostgreSQL allows 65,535 parameters a statement.
const MAX_PARAMETERS = 30_000;

const sqliteStatements = new WeakMap<Database, Map<string, Statement<SqlValue[]>>>();

/**
 * A multi-row INSERT as plain SQL, for the tables written on hot paths (audit events, OTP
 * claims): TypeORM's insert builder cost grows with the square of a statement's parameters and
 * came to several times the insert itself. Answers the indexes (into `rows`) of the rows
 * inserted: all of them, unless `skipExisting` skipped some.
 *
 * SQLite: one transaction, a statement prepared once per connection. PostgreSQL: one multi-row
 * statement per 30,000 parameters (several statements are not one transaction; callers that
 * need all-or-nothing keep their batches below that).
 */
export async function bulkInsert(ds: DataSource, q: BulkInsert): Promise<number[]> {
  if (q.rows.length === 0) return [];
  const columns = q.columns.join(', ');
  const conflict = q.skipExisting ? ' ON CONFLICT DO NOTHING' : '';
  if (ds.driver.options.type === 'better-sqlite3') {
    const db = (ds.driver as unknown as { databaseConnection: Database }).databaseConnection;
    // TypeORM runs every query on this one connection: a transaction of its that is open across
    // an await would take these rows in, and take them away again if it rolled back.
    while (db.inTransaction) await new Promise((resolve) => setImmediate(resolve));
    const sql = `INSERT INTO ${q.table} (${columns}) VALUES (${q.columns.map(() => '?').join(', ')})${conflict}`;
    let statements = sqliteStatements.get(db);
    if (!statements) sqliteStatements.set(db, (statements = new Map()));
    let insert = statements.get(sql);
    if (!insert) statements.set(sql, (insert = db.prepare<SqlValue[]>(sql)));
    const stmt = insert;
    return db.transaction(() => q.rows.flatMap((row, i) => (stmt.run(...row).changes === 1 ? [i] : [])))();
  }
  const inserted: number[] = [];
  const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / q.columns.length));
  for (let start = 0; start < q.rows.length; start += perStatement) {
    const chunk = q.rows.slice(start, start + perStatement);
    const params: SqlValue[] = [];
    const tuples = chunk.map((row) => `(${row.map((v) => (params.push(v), `$${params.length}`)).join(', ')})`);
    const returning = q.skipExisting ? ` RETURNING ${q.skipExisting}` : '';
    const result: unknown = await ds.query(`INSERT INTO ${q.table} (${columns}) VALUES ${tuples.join(', ')}${conflict}${returning}`, params);
    const unique = q.skipExisting;
    if (unique === undefined) {
      for (let i = 0; i < chunk.length; i++) inserted.push(start + i);
      continue;
    }
    const at = q.columns.indexOf(unique);
    const added = new Set((result as Record<string, unknown>[]).map((r) => String(r[unique])));
    // A key given twice in one statement is inserted once, by its first row (as on SQLite): only
    // that row wins, or two claims of one OTP in one batch would both be accepted.
    chunk.forEach((row, i) => {
      if (added.delete(String(row[at]))) inserted.push(start + i);
    });
  }
  return inserted;
}
