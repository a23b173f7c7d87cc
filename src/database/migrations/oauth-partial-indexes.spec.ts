import { randomUUID } from 'node:crypto';
import { DataSource, type QueryRunner } from 'typeorm';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/support/test-env.js';
import { FIND, FIND_BY, PRUNE, REVOKE_GRANT, REVOKE_MODEL_OF_GRANT } from '../../oauth/oauth-artifact.store.js';
import { dataSourceOptions } from '../data-source-options.js';
import { OAUTH_ARTIFACT_INDEXES, OAuthPartialIndexes1796800000000, oauthArtifactIndexWhere } from './1796800000000-OAuthPartialIndexes.js';
import { MIGRATIONS } from './index.js';

// On SQLite, and on PostgreSQL when PORTCULLIS_TEST_POSTGRES is set (as CI's PostgreSQL passes do).
const UP_TO = MIGRATIONS.slice(0, MIGRATIONS.indexOf(OAuthPartialIndexes1796800000000) + 1);

/**
 * Every statement that finds rows of oauth_artifacts by a secondary index, with the columns of
 * the index it must use. `?` placeholders; parameters are typed by their values. The foreign
 * keys' cascades are the statements the databases run themselves when a parent row goes.
 */
const QUERIES: { name: string; sql: string; params: (string | number)[]; index: readonly string[] }[] = [
  { name: 'find by uid', sql: FIND_BY.uid, params: ['Session', 'u'], index: ['model', 'uid'] },
  { name: 'find by user code', sql: FIND_BY.userCode, params: ['DeviceCode', 'c'], index: ['model', 'user_code'] },
  { name: "revoke a grant's tokens of one model", sql: REVOKE_MODEL_OF_GRANT, params: ['AccessToken', 'g'], index: ['grant_id'] },
  { name: 'revoke a grant', sql: REVOKE_GRANT, params: ['g'], index: ['grant_id'] },
  { name: 'prune', sql: PRUNE, params: [1], index: ['expires_at'] },
  // OAuthGrants.grants (connected apps), BearerTokens.recordUse and the Bearer check's join to its grant.
  { name: 'connected apps', sql: "SELECT g.grant_id FROM oauth_artifacts g WHERE g.account_id = ? AND g.model = 'Grant' ORDER BY g.created_at ASC", params: ['a'], index: ['account_id', 'model'] },
  { name: "a grant's last use", sql: "UPDATE oauth_artifacts SET last_used_at = ?, last_used_ip = ? WHERE model = 'Grant' AND grant_id = ?", params: [1, 'ip', 'g'], index: ['grant_id'] },
  { name: 'the Bearer check', sql: "SELECT g.expires_at FROM oauth_artifacts t INNER JOIN oauth_artifacts g ON g.model = 'Grant' AND g.grant_id = t.grant_id WHERE t.model = 'AccessToken' AND t.id = ?", params: ['h'], index: ['grant_id'] },
];
const CASCADES: { parent: string; column: string; index: readonly string[] }[] = [
  { parent: 'applications', column: 'client_id', index: ['client_id'] },
  { parent: 'accounts', column: 'account_id', index: ['account_id', 'model'] },
  { parent: 'sublogins', column: 'sublogin_id', index: ['sublogin_id'] },
];

describe('migration OAuthPartialIndexes', () => {
  let env: TestEnv | undefined;
  let ds: DataSource | undefined;
  afterEach(async () => {
    await ds?.destroy();
    await env?.dispose();
  });

  it('makes the indexes partial, keeps the rows, every look-up and cascade still on its index, and goes down again', async () => {
    env = await createTestEnv();
    ds = await new DataSource(dataSourceOptions(env.env.DATABASE_URL!, { entities: [], migrations: UP_TO.slice(0, -1) })).initialize();
    await ds.runMigrations();
    const pg = ds.options.type === 'postgres';
    const n = (sql: string) => (pg ? numbered(sql) : sql);
    const accountId = randomUUID();
    await ds.query(n('INSERT INTO accounts (id, login, email, password_hash, password_box, role, status, registered_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'), [accountId, 'alice', 'a@example.com', 'hash', null, 'user', 'active', 1, 1, 1]);
    const insert = n('INSERT INTO oauth_artifacts (model, id, grant_id, user_code, uid, account_id, payload, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    await ds.query(insert, ['Grant', 'g'.repeat(64), 'g'.repeat(64), null, null, accountId, 'box', 2, 1]);
    await ds.query(insert, ['RefreshToken', 'r'.repeat(64), 'g'.repeat(64), null, null, accountId, 'box', 2, 1]);
    await ds.query(insert, ['DeviceCode', 'd'.repeat(64), null, 'ABCD-EFGH', null, null, 'box', null, 1]);
    await ds.destroy();

    ds = await new DataSource(dataSourceOptions(env.env.DATABASE_URL!, { entities: [], migrations: UP_TO })).initialize();
    await ds.runMigrations();
    const indexName = (columns: readonly string[], partial = true) => ds!.namingStrategy.indexName('oauth_artifacts', [...columns], partial ? oauthArtifactIndexWhere(columns) : undefined);

    // Partial, under the names the entity gives them (so the entity and the schema agree).
    const table = (await ds.createQueryRunner().getTable('oauth_artifacts'))!;
    for (const columns of OAUTH_ARTIFACT_INDEXES) {
      const index = table.indices.find((i) => same(i.columnNames, columns));
      expect(index?.name, columns.join(',')).toBe(indexName(columns));
      expect(index?.where, columns.join(',')).toMatch(/IS NOT NULL/i);
    }
    expect(table.indices).toHaveLength(OAUTH_ARTIFACT_INDEXES.length);
    // Rows are found through them.
    const byGrant = await ds.query(n(`SELECT model FROM oauth_artifacts WHERE grant_id = ? ORDER BY model`), ['g'.repeat(64)]);
    expect(byGrant.map((r: { model: string }) => r.model)).toEqual(['Grant', 'RefreshToken']);
    expect(await ds.query(n(FIND_BY.userCode), ['DeviceCode', 'ABCD-EFGH'])).toHaveLength(1);

    const runner = ds.createQueryRunner();
    try {
      for (const q of QUERIES) expect(await plan(runner, pg, q.sql, q.params), q.name).toContain(indexName(q.index));
      expect(await plan(runner, pg, FIND, ['RefreshToken', 'r'])).not.toMatch(/Seq Scan|SCAN oauth_artifacts/);
      for (const c of CASCADES) expect(await cascadePlan(runner, pg, c.column), `cascade from ${c.parent}`).toContain(indexName(c.index));
    } finally {
      await runner.release();
    }
    // The cascade itself still works.
    await ds.query(n('DELETE FROM accounts WHERE id = ?'), [accountId]);
    expect(await ds.query(`SELECT model FROM oauth_artifacts`)).toEqual([{ model: 'DeviceCode' }]);

    // Down: full indexes again, under their old names.
    await ds.undoLastMigration();
    const old = (await ds.createQueryRunner().getTable('oauth_artifacts'))!;
    expect(old.indices).toHaveLength(OAUTH_ARTIFACT_INDEXES.length);
    for (const columns of OAUTH_ARTIFACT_INDEXES) {
      const index = old.indices.find((i) => same(i.columnNames, columns));
      expect(index?.name).toBe(indexName(columns, false));
      expect(index?.where ?? '').toBe('');
    }
  });
});

/** The same columns (PostgreSQL reports an index's columns in the table's order). */
function same(a: readonly string[], b: readonly string[]): boolean {
  return [...a].sort().join(',') === [...b].sort().join(',');
}

function numbered(sql: string): string {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
}

/**
 * The plan of a statement as the application runs it: on PostgreSQL a prepared statement's
 * generic plan (the parameters unknown, as in the service), with sequential scans priced out so
 * a usable index shows; on SQLite EXPLAIN QUERY PLAN.
 */
async function plan(runner: QueryRunner, pg: boolean, sql: string, params: (string | number)[]): Promise<string> {
  if (!pg) return ((await runner.query(`EXPLAIN QUERY PLAN ${sql}`, params)) as { detail: string }[]).map((r) => r.detail).join('\n');
  const types = params.map((p) => (typeof p === 'number' ? 'bigint' : 'varchar')).join(', ');
  return pgPlan(runner, `PREPARE plan_check (${types}) AS ${numbered(sql)}`, `EXECUTE plan_check (${params.map((p) => (typeof p === 'number' ? String(p) : `'${p}'`)).join(', ')})`);
}

/**
 * What deleting a parent row does to oauth_artifacts: the statement each database runs for the
 * cascade. PostgreSQL: its foreign key trigger's (ri_triggers.c), planned generically as the
 * trigger does. SQLite: the cascade's `DELETE FROM child WHERE col = old.key` (fkey.c), planned
 * like any other statement.
 */
async function cascadePlan(runner: QueryRunner, pg: boolean, column: string): Promise<string> {
  if (pg) return pgPlan(runner, `PREPARE plan_check (varchar) AS DELETE FROM ONLY public.oauth_artifacts WHERE $1 OPERATOR(pg_catalog.=) ${column}`, `EXECUTE plan_check ('x')`);
  return plan(runner, pg, `DELETE FROM oauth_artifacts WHERE ${column} = ?`, ['x']);
}

async function pgPlan(runner: QueryRunner, prepare: string, execute: string): Promise<string> {
  await runner.query('SET plan_cache_mode = force_generic_plan');
  await runner.query('SET enable_seqscan = off');
  try {
    await runner.query(prepare);
    try {
      return ((await runner.query(`EXPLAIN ${execute}`)) as { 'QUERY PLAN': string }[]).map((r) => r['QUERY PLAN']).join('\n');
    } finally {
      await runner.query('DEALLOCATE plan_check');
    }
  } finally {
    await runner.query('RESET plan_cache_mode');
    await runner.query('RESET enable_seqscan');
  }
}
