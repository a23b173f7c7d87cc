import { DataSource } from 'typeorm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../test/support/test-env.js';
import { loadConfig } from '../config/config.js';
import { bulkInsert } from './bulk-insert.js';
import { SCHEMA } from '../schema.js';
import { dataSourceOptions } from './data-source-options.js';

let ds: DataSource;

beforeEach(async () => {
  ds = await new DataSource({ type: 'better-sqlite3', database: ':memory:' }).initialize();
  await ds.query('CREATE TABLE t (k VARCHAR(64) PRIMARY KEY, n BIGINT, s TEXT)');
});
afterEach(async () => {
  await ds.destroy();
});

const rows = async () => ds.query('SELECT k, n, s FROM t ORDER BY k');

describe('bulkInsert (SQLite)', () => {
  it('inserts every row with its values, nulls included', async () => {
    expect(await bulkInsert(ds, { table: 't', columns: ['k', 'n', 's'], rows: [['a', 1, 'x'], ['b', 2, null]] })).toEqual([0, 1]);
    expect(await rows()).toEqual([{ k: 'a', n: 1, s: 'x' }, { k: 'b', n: 2, s: null }]);
  });

  it('skips rows already there and says which went in', async () => {
    await bulkInsert(ds, { table: 't', columns: ['k', 'n'], rows: [['b', 1]] });
    const inserted = await bulkInsert(ds, { table: 't', columns: ['k', 'n'], rows: [['a', 2], ['b', 3], ['c', 4]], skipExisting: 'k' });
    expect(inserted).toEqual([0, 2]);
    expect((await rows()).map((r: { k: string; n: number }) => [r.k, r.n])).toEqual([['a', 2], ['b', 1], ['c', 4]]);
  });

  it('is all or nothing without skipExisting', async () => {
    await bulkInsert(ds, { table: 't', columns: ['k'], rows: [['b']] });
    await expect(bulkInsert(ds, { table: 't', columns: ['k'], rows: [['a'], ['b']] })).rejects.toThrow(/UNIQUE/);
    expect((await rows()).map((r: { k: string }) => r.k)).toEqual(['b']);
  });

  it('waits for a TypeORM transaction open on the connection instead of joining it', async () => {
    const runner = ds.createQueryRunner();
    await runner.startTransaction();
    await runner.query(`INSERT INTO t (k) VALUES ('in-tx')`);
    const pending = bulkInsert(ds, { table: 't', columns: ['k'], rows: [['after']] });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await runner.rollbackTransaction();
    await runner.release();
    await pending;
    expect((await rows()).map((r: { k: string }) => r.k)).toEqual(['after']);
  });
});

/** The run's own database: SQLite, or PostgreSQL when PORTCULLIS_TEST_POSTGRES is set. */
describe('bulkInsert on the run’s database', () => {
  let env: TestEnv;
  let db: DataSource;
  beforeAll(async () => {
    env = await createTestEnv();
    db = await new DataSource(dataSourceOptions(loadConfig(env.env).databaseUrl, SCHEMA)).initialize();
    await db.query('CREATE TABLE bulk_dup (k VARCHAR(64) PRIMARY KEY, n BIGINT)');
  });
  afterAll(async () => {
    await db?.destroy();
    await env?.dispose();
  });

  it('a key given twice in one call is inserted once, and only its first row is said to win', async () => {
    const inserted = await bulkInsert(db, { table: 'bulk_dup', columns: ['k', 'n'], rows: [['x', 1], ['y', 2], ['x', 3], ['x', 4]], skipExisting: 'k' });
    expect(inserted).toEqual([0, 1]);
    expect((await db.query('SELECT k, n FROM bulk_dup ORDER BY k')).map((r: { k: string; n: number | string }) => [r.k, Number(r.n)])).toEqual([['x', 1], ['y', 2]]);
  });
});
