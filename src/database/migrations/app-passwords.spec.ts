import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/support/test-env.js';
import { dataSourceOptions } from '../data-source-options.js';
import { AppPasswords1796300000000 } from './1796300000000-AppPasswords.js';
import { MIGRATIONS } from './index.js';

// On SQLite, and on PostgreSQL when PORTCULLIS_TEST_POSTGRES is set (as CI's PostgreSQL passes do).
const BEFORE = MIGRATIONS.slice(0, MIGRATIONS.indexOf(AppPasswords1796300000000));

describe('migration AppPasswords', () => {
  let env: TestEnv | undefined;
  let ds: DataSource | undefined;
  afterEach(async () => {
    await ds?.destroy();
    await env?.dispose();
  });

  it('moves an issued connection password into a row that keeps working, and back', async () => {
    env = await createTestEnv();
    ds = await new DataSource(dataSourceOptions(env.env.DATABASE_URL!, { entities: [], migrations: BEFORE })).initialize();
    await ds.runMigrations();
    const pg = ds.options.type === 'postgres';
    const p = (i: number) => (pg ? `$${i}` : '?');
    const ids = { issued: randomUUID(), disabled: randomUUID(), legacy: randomUUID() };
    for (const [state, id] of Object.entries(ids)) {
      await ds.query(`INSERT INTO accounts (id, login, email, password_hash, password_box, role, status, registered_at, created_at, updated_at) VALUES (${[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(p).join(', ')})`, [
        id, state, `${state}@example.com`, 'login-hash', null, 'user', 'active', 1, 1, 1,
      ]);
      const issued = state === 'issued';
      await ds.query(`INSERT INTO app_connections (account_id, state, password_hash, password_box, issued_at, last_used_at, last_used_ip, updated_at) VALUES (${[1, 2, 3, 4, 5, 6, 7, 8].map(p).join(', ')})`, [
        id, state, issued ? '$argon2id$issued' : null, issued ? 'v1.box' : null, issued ? 1000 : null, issued ? 2000 : null, issued ? '192.0.2.1' : null, 3000,
      ]);
    }

    const migration = new AppPasswords1796300000000();
    const q = ds.createQueryRunner();
    try {
      await migration.up(q);
      const rows = await ds.query('SELECT id, account_id, name, lookup, password_hash, password_box, expires_at, allowed_ranges, rules, created_at, last_used_at, last_used_ip FROM app_passwords');
      expect(rows.map((r: Record<string, unknown>) => ({ ...r, created_at: Number(r.created_at), last_used_at: Number(r.last_used_at) }))).toEqual([
        {
          id: ids.issued,
          account_id: ids.issued,
          name: 'app password',
          lookup: null,
          password_hash: '$argon2id$issued',
          password_box: 'v1.box',
          expires_at: null,
          allowed_ranges: null,
          rules: null,
          created_at: 1000,
          last_used_at: 2000,
          last_used_ip: '192.0.2.1',
        },
      ]);
      const columns = (await q.getTable('app_connections'))!.columns.map((c) => c.name);
      expect(columns).not.toContain('password_hash');
      expect(columns).not.toContain('password_box');
      expect((await ds.query('SELECT state FROM app_connections ORDER BY state')).map((r: { state: string }) => r.state)).toEqual(['disabled', 'issued', 'legacy']);

      await migration.down(q);
      expect(await q.hasTable('app_passwords')).toBe(false);
      expect(await ds.query(`SELECT password_hash, password_box FROM app_connections WHERE account_id = ${p(1)}`, [ids.issued])).toEqual([{ password_hash: '$argon2id$issued', password_box: 'v1.box' }]);
      expect(await ds.query(`SELECT password_hash FROM app_connections WHERE account_id = ${p(1)}`, [ids.disabled])).toEqual([{ password_hash: null }]);
    } finally {
      await q.release();
    }
  });
});
