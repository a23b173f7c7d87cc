import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/support/test-env.js';
import { Session } from '../../auth/session.entity.js';
import { RecoveryCode } from '../../two-factor/recovery-code.entity.js';
import { TotpEnrolment } from '../../two-factor/totp-enrolment.entity.js';
import { dataSourceOptions } from '../data-source-options.js';
import { TwoFactor1796600000000 } from './1796600000000-TwoFactor.js';
import { MIGRATIONS } from './index.js';

// On SQLite, and on PostgreSQL when PORTCULLIS_TEST_POSTGRES is set (as CI's PostgreSQL passes do).
const UP_TO = MIGRATIONS.slice(0, MIGRATIONS.indexOf(TwoFactor1796600000000) + 1);

describe('migration TwoFactor', () => {
  let env: TestEnv | undefined;
  let ds: DataSource | undefined;
  afterEach(async () => {
    await ds?.destroy();
    await env?.dispose();
  });

  it('gives the tables the entities map, keeps existing sessions as password-only, and goes down again', async () => {
    env = await createTestEnv();
    const before = UP_TO.slice(0, -1);
    ds = await new DataSource(dataSourceOptions(env.env.DATABASE_URL!, { entities: [], migrations: before })).initialize();
    await ds.runMigrations();
    const pg = ds.options.type === 'postgres';
    const p = (i: number) => (pg ? `$${i}` : '?');
    const accountId = randomUUID();
    await ds.query(`INSERT INTO accounts (id, login, email, password_hash, password_box, role, status, registered_at, created_at, updated_at) VALUES (${[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(p).join(', ')})`, [
      accountId, 'alice', 'a@example.com', 'hash', null, 'user', 'active', 1, 1, 1,
    ]);
    await ds.query(`INSERT INTO sessions (id, account_id, created_at, expires_at, ip, user_agent) VALUES (${[1, 2, 3, 4, 5, 6].map(p).join(', ')})`, ['a'.repeat(64), accountId, 1, Date.now() + 60_000, null, null]);
    await ds.destroy();

    // Up, read through the entities: an old session is complete and password-only.
    ds = await new DataSource(dataSourceOptions(env.env.DATABASE_URL!, { entities: [Session, TotpEnrolment, RecoveryCode], migrations: UP_TO })).initialize();
    await ds.runMigrations();
    const session = await ds.getRepository(Session).findOneByOrFail({ id: 'a'.repeat(64) });
    expect(session).toMatchObject({ factors: ['password'], secondFactorAt: null, pending: null });
    await ds.getRepository(TotpEnrolment).insert({ accountId, secretBox: 'v1.box', createdAt: new Date(), confirmedAt: null, lastUsedAt: null });
    await ds.getRepository(RecoveryCode).insert({ id: randomUUID(), accountId, codeHash: 'f'.repeat(64), createdAt: new Date(), usedAt: null });
    // One hash per account once.
    await expect(ds.getRepository(RecoveryCode).insert({ id: randomUUID(), accountId, codeHash: 'f'.repeat(64), createdAt: new Date(), usedAt: null })).rejects.toThrow();
    // The account's rows go with it.
    await ds.query(`DELETE FROM accounts WHERE id = ${p(1)}`, [accountId]);
    expect(await ds.getRepository(TotpEnrolment).count()).toBe(0);
    expect(await ds.getRepository(RecoveryCode).count()).toBe(0);

    const q = ds.createQueryRunner();
    try {
      await new TwoFactor1796600000000().down(q);
      expect(await q.hasTable('totp_enrolments')).toBe(false);
      expect(await q.hasColumn('sessions', 'factors')).toBe(false);
    } finally {
      await q.release();
    }
  });
});
