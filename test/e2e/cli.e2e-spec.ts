import { randomBytes } from 'node:crypto';
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hash } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import { parse } from 'csv-parse/sync';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Account } from '../../src/accounts/account.entity.js';
import { AccountsService } from '../../src/accounts/accounts.service.js';
import { AuditService } from '../../src/audit/audit.service.js';
import { runCli } from '../../src/cli/run-cli.js';
import { ARGON2_PARAMS } from '../../src/crypto/password-hasher.js';
import { makeOtp } from '../../src/otp/core/otp-token.js';
import { DomainError } from '../../src/errors/domain-error.js';
import { CredentialEvents } from '../../src/shared-state/credential-events.js';
import type { HttpClient } from '../support/http-client.js';
import { basicHeader, rawRequest } from '../support/raw-request.js';
import { startApp, type TestApp } from '../support/test-app.js';
import { createTestEnv, type TestEnv } from '../support/test-env.js';

/**
 * The operator CLI (`portcullis …`), run in-process through runCli on the same database as a
 * running app (SQLite, or PostgreSQL with PORTCULLIS_TEST_POSTGRES; with PORTCULLIS_TEST_REDIS
 * the CLI and the app share Redis). What the CLI changes is checked through the app's HTTP API,
 * and its audit records against the ones the admin API writes for the same change.
 */
interface CliResult {
  code: number;
  out: string;
  err: string;
  json(): any;
}

async function cliIn(env: Record<string, string | undefined>, cwd: string, argv: string[], stdin = ''): Promise<CliResult> {
  let out = '';
  let err = '';
  const code = await runCli(argv, env, { out: (s) => void (out += s), err: (s) => void (err += s), readStdin: async () => stdin, cwd, user: 'tester' });
  return { code, out, err, json: () => JSON.parse(out) };
}

const ACTOR = 'cli:tester';
/** A bcrypt hash too costly to accept (cost 15). */
const BCRYPT = '$2b$15$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy';

describe('operator CLI', () => {
  let env: TestEnv;
  let t: TestApp;
  let admin: HttpClient;
  const cli = (argv: string[], stdin?: string) => cliIn(env.env, env.dir, argv, stdin);
  const file = async (name: string, text: string) => {
    await writeFile(join(env.dir, name), text);
    return name;
  };
  /** The app's buffered audit events written, then the whole log as the CLI exports it. */
  const auditLog = async (): Promise<any[]> => {
    await t.app.get(AuditService).flush();
    const res = await cli(['audit', 'export', '--format', 'jsonl']);
    expect(res.code).toBe(0);
    return res.out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  };
  const whoami = (login: string, password: string) => rawRequest(`${t.url}/api/whoami`, { headers: { authorization: basicHeader(login, password) } });
  const accountRow = (login: string) => t.app.get(DataSource).getRepository(Account).findOneByOrFail({ login });

  beforeAll(async () => {
    env = await createTestEnv();
    t = await startApp(env.env);
    admin = await t.admin();
  });

  afterAll(async () => {
    await t?.close();
    await env?.dispose();
  });

  describe('help and usage', () => {
    it('--help on the program and on every command answers 0 and names the exit codes', async () => {
      const top = await cli(['--help']);
      expect(top.code).toBe(0);
      for (const word of ['accounts', 'apps', 'sublogins', 'audit', 'migrate', 'check-config', 'Exit codes', '--json']) expect(top.out).toContain(word);
      const commands = [
        ['accounts'], ['accounts', 'create'], ['accounts', 'list'], ['accounts', 'suspend'], ['accounts', 'resume'], ['accounts', 'import'],
        ['apps'], ['apps', 'list'], ['apps', 'approve'], ['apps', 'reject'], ['apps', 'revoke'],
        ['sublogins', 'list'], ['audit', 'export'], ['migrate'], ['check-config'],
      ];
      for (const c of commands) {
        const res = await cli([...c, '--help']);
        expect(res.code, c.join(' ')).toBe(0);
        expect(res.out, c.join(' ')).toContain(`Usage: portcullis ${c.join(' ')}`);
        expect(res.out, c.join(' ')).toContain('--json');
      }
      expect((await cli(['accounts', 'import', '--help'])).out).toContain('--skip-invalid');
    });

    it('a wrong command line exits 2, with the reason on stderr, or as JSON with --json', async () => {
      const cases = [
        [],
        ['frobnicate'],
        ['accounts'],
        ['accounts', 'delete', 'x'],
        ['accounts', 'list', '--limit', '0'],
        ['accounts', 'list', '--status', 'gone'],
        ['accounts', 'list', '--bogus'],
        ['accounts', 'create'],
        ['accounts', 'create', 'someone'],
        ['accounts', 'create', 'Bad Login', '--email', 'x@example.com'],
        ['accounts', 'create', 'someone', '--email', 'not-an-email'],
        ['accounts', 'import', 'legacy.txt'],
        ['apps', 'approve', 'not-a-uuid'],
        ['apps', 'list', '--status', 'sleeping'],
        ['sublogins', 'list'],
        ['audit', 'export', '--from', 'yesterday'],
        ['audit', 'export', '--format', 'xml'],
        ['audit', 'export', '--from', '2024-02-01', '--to', '2024-01-01'],
      ];
      for (const argv of cases) {
        const res = await cli(argv);
        expect(res.code, argv.join(' ')).toBe(2);
        expect(res.err.length, argv.join(' ')).toBeGreaterThan(0);
        const json = await cli([...argv, '--json']);
        expect(json.code, argv.join(' ')).toBe(2);
        expect(JSON.parse(json.out.trim().split('\n').at(-1)!).error, argv.join(' ')).toMatchObject({ code: 'usage', exitCode: 2 });
      }
    });
  });

  describe('migrate and check-config', () => {
    it('a fresh database: commands stop (3) until `migrate` applies the migrations; then it is up to date', async () => {
      const fresh = await createTestEnv();
      try {
        const run = (argv: string[]) => cliIn(fresh.env, fresh.dir, argv);
        const before = await run(['accounts', 'list']);
        expect(before.code).toBe(3);
        expect(before.err).toContain('portcullis migrate');
        const check = await run(['migrate', '--check', '--json']);
        expect(check.code).toBe(1);
        expect(check.json().pending.length).toBeGreaterThan(3);
        const status = await run(['check-config', '--json']);
        expect(status.code).toBe(0);
        expect(status.json().checks.find((c: any) => c.name === 'database').detail).toMatch(/pending|does not exist yet/);

        const migrate = await run(['migrate', '--json']);
        expect(migrate.code).toBe(0);
        expect(migrate.json().applied).toEqual(check.json().pending);
        const again = await run(['migrate', '--json']);
        expect(again.code).toBe(0);
        expect(again.json().applied).toEqual([]);
        expect((await run(['migrate', '--check'])).code).toBe(0);
        const list = await run(['accounts', 'list', '--json']);
        expect(list.code).toBe(0);
        expect(list.json()).toEqual({ items: [], total: 0, offset: 0, limit: 100 });
      } finally {
        await fresh.dispose();
      }
    });

    it('check-config: ok for the test environment, one line per check', async () => {
      const res = await cli(['check-config', '--json']);
      expect(res.code).toBe(0);
      const { ok, checks } = res.json();
      expect(ok).toBe(true);
      expect(checks.map((c: any) => c.name)).toEqual(['config', 'secret-key', 'database', 'redis']);
      expect(checks.every((c: any) => c.ok)).toBe(true);
      expect(checks.find((c: any) => c.name === 'database').detail).toContain('schema up to date');
      if (env.env.REDIS_URL) expect(checks.find((c: any) => c.name === 'redis').detail).toContain('PONG');
      const text = await cli(['check-config']);
      expect(text.code).toBe(0);
      expect(text.out).toMatch(/^database\s+ok\s/m);
    });

    it('check-config: an invalid variable, an unreachable database or Redis fail with exit 3; commands then exit 3 too', async () => {
      const badPort = await cliIn({ ...env.env, PORT: 'x' }, env.dir, ['check-config', '--json']);
      expect(badPort.code).toBe(3);
      expect(badPort.json().checks).toEqual([{ name: 'config', ok: false, detail: 'Invalid configuration: PORT must be a whole number from 0 to 65535 (got "x")' }]);
      expect((await cliIn({ ...env.env, PORT: 'x' }, env.dir, ['accounts', 'list'])).code).toBe(3);

      const noDb = { ...env.env, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' };
      const db = await cliIn(noDb, env.dir, ['check-config', '--json']);
      expect(db.code).toBe(3);
      expect(db.json().checks.find((c: any) => c.name === 'database')).toMatchObject({ ok: false, detail: expect.stringContaining('127.0.0.1:1/nowhere is unreachable') });
      const list = await cliIn(noDb, env.dir, ['accounts', 'list', '--json']);
      expect(list.code).toBe(3);
      expect(list.json().error.code).toBe('database_unreachable');

      const noRedis = { ...env.env, REDIS_URL: 'redis://127.0.0.1:1' };
      const redis = await cliIn(noRedis, env.dir, ['check-config', '--json']);
      expect(redis.code).toBe(3);
      expect(redis.json().checks.find((c: any) => c.name === 'redis')).toMatchObject({ ok: false });
      expect(redis.json().checks.find((c: any) => c.name === 'database')).toMatchObject({ ok: true });
      expect((await cliIn(noRedis, env.dir, ['accounts', 'suspend', 'nobody'])).code).toBe(3);
    });
  });

  describe('accounts', () => {
    it('create (password from stdin, or generated and shown once), list, suspend and resume; the app sees each change', async () => {
      const created = await cli(['accounts', 'create', 'carol', '--email', 'carol@example.com', '--password-stdin', '--json'], 'carol-password-1\n');
      expect(created.code).toBe(0);
      expect(created.json()).toMatchObject({ login: 'carol', email: 'carol@example.com', role: 'user', status: 'active' });
      expect(created.json().password).toBeUndefined();
      await t.client().login('carol', 'carol-password-1');

      const generated = await cli(['accounts', 'create', 'dave', '--email', 'dave@example.com', '--role', 'admin']);
      expect(generated.code).toBe(0);
      const password = /^password: (\S+)$/m.exec(generated.out)![1]!;
      await t.client().login('dave', password);

      const dup = await cli(['accounts', 'create', 'carol', '--email', 'c2@example.com', '--json']);
      expect(dup.code).toBe(1);
      expect(dup.json().error).toMatchObject({ code: 'login_taken', exitCode: 1 });

      const suspended = await cli(['accounts', 'suspend', 'carol', '--json']);
      expect(suspended.code).toBe(0);
      expect(suspended.json()).toMatchObject({ login: 'carol', status: 'suspended' });
      expect((await t.client().post('/auth/login', { json: { login: 'carol', password: 'carol-password-1' } })).status).toBe(401);
      const list = await cli(['accounts', 'list', '--status', 'suspended', '--json']);
      expect(list.json().items.map((a: any) => a.login)).toContain('carol');
      const viaApi = await admin.get('/api/admin/accounts?status=suspended');
      expect(viaApi.body.items.map((a: any) => a.login)).toContain('carol');

      const resumed = await cli(['accounts', 'resume', 'carol']);
      expect(resumed.code).toBe(0);
      expect(resumed.out).toMatch(/carol\s+user\s+active/);
      await t.client().login('carol', 'carol-password-1');

      const all = await cli(['accounts', 'list']);
      expect(all.out).toMatch(/^LOGIN\s+ROLE\s+STATUS/m);
      expect(all.out).toMatch(/^dave\s+admin\s+active/m);
      expect((await cli(['accounts', 'suspend', 'nobody'])).code).toBe(1);
    });

    it('audits each change exactly as the admin API does, with the actor cli:<user>', async () => {
      const body = (login: string) => ({ login, password: `${login}-password`, email: `${login}@example.com`, registeredAt: '2020-01-01T00:00:00.000Z' });
      const api = (await admin.post('/api/admin/accounts', { json: body('viaapi') })).body;
      await admin.post(`/api/admin/accounts/${api.id}/suspend`);
      await admin.post(`/api/admin/accounts/${api.id}/unsuspend`);
      const viaCli = (await cli(['accounts', 'create', 'viacli', '--email', 'viacli@example.com', '--registered-at', '2020-01-01T00:00:00.000Z', '--password-stdin', '--json'], 'viacli-password')).json();
      expect((await cli(['accounts', 'suspend', 'viacli'])).code).toBe(0);
      expect((await cli(['accounts', 'resume', viaCli.id])).code).toBe(0); // by id works too

      const log = await auditLog();
      const of = (accountId: string) => log.filter((e) => e.accountId === accountId && e.type.startsWith('admin.'));
      const apiEvents = of(api.id);
      const cliEvents = of(viaCli.id);
      expect(apiEvents.map((e) => e.type)).toEqual(['admin.account.create', 'admin.account.suspend', 'admin.account.unsuspend']);
      expect(cliEvents.map((e) => e.type)).toEqual(apiEvents.map((e) => e.type));
      // The same record but for who, for whom and from where.
      const shape = (e: any, login: string) => ({ ...e, id: 0, at: 0, ip: null, userAgent: null, actor: null, accountId: null, login: e.login === login ? 'LOGIN' : e.login });
      expect(cliEvents.map((e) => shape(e, 'viacli'))).toEqual(apiEvents.map((e) => shape(e, 'viaapi')));
      expect(cliEvents.every((e) => e.actor === ACTOR && e.ip === null)).toBe(true);
      expect(apiEvents.every((e) => e.actor === 'admin')).toBe(true);
    });

    it('a suspension through the CLI reaches a running instance: over Redis its cache drops the login at once; without Redis the CLI says so', async () => {
      await admin.post('/api/admin/accounts', { json: { login: 'erin', password: 'erin-password', email: 'erin@example.com', registeredAt: '2020-01-01T00:00:00Z' } });
      expect((await whoami('erin', 'erin-password')).status).toBe(200); // verified, and cached by the app
      expect((await whoami('erin', 'erin-password')).status).toBe(200);
      if (env.env.REDIS_URL) {
        const heard = new Promise<void>((resolve) => t.app.get(CredentialEvents).onChange((login) => login === 'erin' && resolve()));
        const res = await cli(['accounts', 'suspend', 'erin']);
        expect(res.code).toBe(0);
        expect(res.err).toBe('');
        await heard;
        expect((await whoami('erin', 'erin-password')).status).toBe(401);
      } else {
        const res = await cli(['accounts', 'suspend', 'erin']);
        expect(res.code).toBe(0);
        expect(res.err).toContain('REDIS_URL is not set, so running instances are not told of this change');
        // What the app did not cache is decided by the database: refused at once.
        expect((await t.client().post('/auth/login', { json: { login: 'erin', password: 'erin-password' } })).status).toBe(401);
      }
    });
  });

  describe('accounts import', () => {
    const HEADER = 'login,email,registeredAt,password,passwordHash\n';

    it('refuses the whole file when any row is refused, naming each row and its reasons; nothing is imported', async () => {
      const weakHash = await hash('frank-password', { algorithm: 2, memoryCost: 4096, timeCost: 3, parallelism: 1 });
      const name = await file(
        'mixed.csv',
        HEADER +
          `frank,frank@example.com,2019-03-01T10:00:00Z,,"${weakHash}"\n` + // line 2: valid (a PHC hash holds commas: quoted)
          'grace,grace@example.com,2019-03-01T10:00:00Z,grace-password,\n' + // 3: valid
          'heidi,not-an-email,2019-03-01T10:00:00Z,heidi-password,\n' + // 4
          'ivan,ivan@example.com,2019-03-01T10:00:00Z,,' + BCRYPT + '\n' + // 5
          'judy,judy@example.com,2019-03-01T10:00:00Z,,"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$bm90LWEtaGFzaA"\n' + // 6: malformed
          'kim,kim@example.com,last tuesday,kim-password,\n' + // 7
          'leo,leo@example.com,2999-01-01T00:00:00Z,leo-password,\n' + // 8
          'mia,mia@example.com,2019-03-01T10:00:00Z,mia-password,\n' + // 9: duplicate of 10
          'mia,mia2@example.com,2019-03-01T10:00:00Z,mia-password,\n' + // 10
          'admin,admin2@example.com,2019-03-01T10:00:00Z,admin-password,\n' + // 11: exists
          'nina,nina@example.com,2019-03-01T10:00:00Z,,\n' + // 12: no password
          `olga,olga@example.com,2019-03-01T10:00:00Z,olga-password,"${weakHash}"\n` + // 13: both
          'pete,pete@example.com\n' + // 14: short row
          `quentin,quentin@example.com,2019-03-01T10:00:00Z,,${weakHash}\n` + // 15: hash not quoted
          'Quinn,quinn@example.com,2019-03-01T10:00:00Z,short,\n', // 16
      );
      const res = await cli(['accounts', 'import', name, '--json']);
      expect(res.code).toBe(1);
      const report = res.json();
      expect(report).toMatchObject({ outcome: 'nothing-imported', importedCount: 0, refusedCount: 13 });
      expect(report.accounts.map((a: any) => [a.line, a.login, a.id])).toEqual([
        [2, 'frank', null],
        [3, 'grace', null],
      ]);
      const reasons = Object.fromEntries(report.refused.map((r: any) => [r.line, r.reasons.join('; ')]));
      expect(reasons[4]).toContain('email must be an email');
      expect(reasons[5]).toContain('bcrypt cost 15 too costly');
      expect(reasons[6]).toContain('the argon2id hash is malformed');
      expect(reasons[7]).toContain('registeredAt must be a valid ISO 8601 date string');
      expect(reasons[8]).toContain('registeredAt is in the future');
      expect(reasons[9]).toContain('duplicate login: also on line 10');
      expect(reasons[10]).toContain('duplicate login: also on line 9');
      expect(reasons[11]).toContain('login taken');
      expect(reasons[12]).toContain('has neither password nor passwordHash');
      expect(reasons[13]).toContain('has both password and passwordHash');
      expect(reasons[14]).toContain('has 2 fields where the header has 5');
      expect(reasons[15]).toBe('has 7 fields where the header has 5 (an argon2id hash holds commas: quote it)');
      expect(reasons[16]).toMatch(/login must match .*password must be longer than or equal to 8 characters/);
      const text = await cli(['accounts', 'import', name]);
      expect(text.code).toBe(1);
      expect(text.out).toContain('Nothing was imported: 13 rows refused');
      expect(text.out).toContain('line 5 (ivan): bcrypt cost 15 too costly');

      for (const login of ['frank', 'grace']) expect(await t.app.get(AccountsService).findByLogin(login)).toBeNull();
      expect((await auditLog()).some((e) => e.login === 'frank' || e.login === 'grace')).toBe(false);
    });

    it('imports plain, argon2id, bcrypt and post-cutoff rows in one go; the legacy ones then sign in with Basic over HTTP', async () => {
      const weakHash = await hash('rita-password', { algorithm: 2, memoryCost: 4096, timeCost: 3, parallelism: 1 });
      const bcryptHash = await bcrypt.hash('vic-password', 10);
      const ourHash = await hash('sam-password', ARGON2_PARAMS);
      const name = await file(
        'good.csv',
        '\uFEFF' +
          HEADER +
          `rita,rita@example.com,2019-03-01T10:00:00Z,,"${weakHash}"\r\n` +
          `sam,sam@example.com,2020-05-05T00:00:00+09:00,,"${ourHash}"\r\n` +
          'tina,"tina@example.com",2018-01-01T00:00:00Z,"tina, the ""plain"" password",\r\n' +
          'uma,uma@example.com,2024-01-01T00:00:00Z,uma-password,\r\n' +
          `vic,vic@example.com,2017-07-07T00:00:00Z,,${bcryptHash}\r\n`,
      );
      const dry = await cli(['accounts', 'import', name, '--dry-run', '--json']);
      expect(dry.code).toBe(0);
      expect(dry.json()).toMatchObject({ outcome: 'dry-run', importedCount: 0, refusedCount: 0 });
      expect(await t.app.get(AccountsService).findByLogin('rita')).toBeNull();

      const res = await cli(['accounts', 'import', name, '--json']);
      expect(res.code).toBe(0);
      const report = res.json();
      expect(report).toMatchObject({ outcome: 'imported', importedCount: 5, refusedCount: 0, refused: [] });
      expect(report.accounts.map((a: any) => [a.login, a.password, a.appConnection])).toEqual([
        ['rita', 'argon2id', 'legacy'],
        ['sam', 'argon2id', 'legacy'],
        ['tina', 'plain', 'legacy'],
        ['uma', 'plain', 'disabled'],
        ['vic', 'bcrypt', 'legacy'],
      ]);
      expect(report.accounts.every((a: any) => typeof a.id === 'string')).toBe(true);
      expect(report.accounts[0].note).toContain('OTP');

      // The hash is stored as it is; the legacy accounts keep Basic with their login password.
      expect((await accountRow('sam')).passwordHash).toBe(ourHash);
      expect((await whoami('rita', 'rita-password')).status).toBe(200);
      expect((await whoami('sam', 'sam-password')).status).toBe(200);
      expect((await whoami('tina', 'tina, the "plain" password')).status).toBe(200);
      expect((await whoami('rita', 'wrong-password')).status).toBe(401);
      // Registered after the cutoff: no Basic with the login password, but it signs in.
      expect((await whoami('uma', 'uma-password')).body).toMatchObject({ code: 'basic_disabled' });
      await t.client().login('uma', 'uma-password');
      // A hash with weaker parameters than today's is replaced at the first sign-in.
      await t.client().login('rita', 'rita-password');
      expect((await accountRow('rita')).passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect((await whoami('rita', 'rita-password')).status).toBe(200);
      // bcrypt: verified as imported, replaced by argon2id at the first Basic, which also keeps the
      // secret-box copy a legacy account's OTP needs: OTP with the login password works from then on.
      expect((await accountRow('vic')).passwordHash).toBe(bcryptHash);
      const otp = () => makeOtp('vic', 'vic-password', Math.floor(Date.now() / 1000) + 300, randomBytes(9).toString('base64url'));
      expect((await rawRequest(`${t.url}/api/whoami?otp=${encodeURIComponent(otp())}`)).status).toBe(401);
      expect((await whoami('vic', 'wrong-password')).status).toBe(401);
      expect((await whoami('vic', 'vic-password')).status).toBe(200);
      expect((await accountRow('vic')).passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect((await whoami('vic', 'vic-password')).status).toBe(200);
      expect((await rawRequest(`${t.url}/api/whoami?otp=${encodeURIComponent(otp())}`)).status).toBe(200);

      const created = (await auditLog()).filter((e) => e.type === 'admin.account.create' && ['rita', 'sam', 'tina', 'uma'].includes(e.login));
      expect(created.map((e) => [e.login, e.actor, e.detail.role])).toEqual([
        ['rita', ACTOR, 'user'],
        ['sam', ACTOR, 'user'],
        ['tina', ACTOR, 'user'],
        ['uma', ACTOR, 'user'],
      ]);
      expect(created[1].detail.registeredAt).toBe('2020-05-04T15:00:00.000Z');
    });

    it('--skip-invalid imports the valid rows and reports the others (exit 0); JSON lines work the same', async () => {
      const name = await file(
        'legacy.jsonl',
        [
          JSON.stringify({ login: 'vera', email: 'vera@example.com', registeredAt: '2019-01-01T00:00:00Z', password: 'vera-password' }),
          '',
          JSON.stringify({ login: 'walt', email: 'walt@example.com', registeredAt: '2019-01-01T00:00:00Z', passwordHash: BCRYPT }),
          '{not json',
          JSON.stringify({ login: 'xena', email: 'xena@example.com', registeredAt: '2019-01-01T00:00:00Z', password: 'xena-password', nickname: 'x' }),
          JSON.stringify(['yann']),
          JSON.stringify({ login: 'zoe', email: 'zoe@example.com', registeredAt: '2019-01-01T00:00:00Z', password: 'zoe-password' }),
        ].join('\n'),
      );
      const refused = await cli(['accounts', 'import', name, '--json']);
      expect(refused.code).toBe(1);
      expect(refused.json().outcome).toBe('nothing-imported');

      const res = await cli(['accounts', 'import', name, '--skip-invalid', '--json']);
      expect(res.code).toBe(0);
      const report = res.json();
      expect(report).toMatchObject({ outcome: 'imported', importedCount: 2, refusedCount: 4 });
      expect(report.accounts.map((a: any) => a.login)).toEqual(['vera', 'zoe']);
      expect(report.refused.map((r: any) => [r.line, r.reasons[0]])).toEqual([
        [3, expect.stringContaining('bcrypt cost 15 too costly')],
        [4, 'is not valid JSON'],
        [5, expect.stringContaining('unknown field "nickname"')],
        [6, 'is not a JSON object'],
      ]);
      expect((await whoami('vera', 'vera-password')).status).toBe(200);
      expect((await whoami('zoe', 'zoe-password')).status).toBe(200);
      expect(await t.app.get(AccountsService).findByLogin('walt')).toBeNull();

      // The same file again: every row's login is now taken (or refused): nothing more.
      const again = await cli(['accounts', 'import', name, '--skip-invalid', '--json']);
      expect(again.json()).toMatchObject({ importedCount: 0, refusedCount: 6 });
    });

    it('a file that cannot be read as an import is refused whole (exit 1)', async () => {
      expect((await cli(['accounts', 'import', 'missing.csv'])).code).toBe(1);
      const badHeader = await cli(['accounts', 'import', await file('bad-header.csv', 'login,email,registeredAt,hash\nx,y,z,w\n'), '--json']);
      expect(badHeader.code).toBe(1);
      expect(badHeader.json().error.message).toContain('unknown column "hash"');
      const badQuote = await cli(['accounts', 'import', await file('bad-quote.csv', `${HEADER}"abc,x@example.com,2019-01-01T00:00:00Z,pw,\n`)]);
      expect(badQuote.code).toBe(1);
      expect(badQuote.err).toContain('not valid CSV');
    });

    it('the import transaction is all or nothing: a login taken between the check and the insert rolls every row back', async () => {
      const service = t.app.get(AccountsService);
      const rows = ['amy1', 'amy2', 'admin', 'amy3'].map((login) => ({ login, email: `${login}@example.com`, registeredAt: new Date('2019-01-01T00:00:00Z'), password: `${login}-password` }));
      await expect(service.createMany(rows)).rejects.toThrow(DomainError);
      await expect(service.createMany(rows)).rejects.toMatchObject({ code: 'login_taken', message: 'login admin taken meanwhile' });
      for (const login of ['amy1', 'amy2', 'amy3']) expect(await service.findByLogin(login)).toBeNull();
    });
  });

  describe('apps and sublogins', () => {
    let developer: HttpClient;
    const register = async (name: string): Promise<string> => {
      const res = await developer.post('/api/apps', { json: { name } });
      expect(res.status).toBe(201);
      return res.body.id;
    };

    beforeAll(async () => {
      await admin.post('/api/admin/accounts', { json: { login: 'devon', password: 'devon-password', email: 'devon@example.com' } });
      developer = t.client();
      await developer.login('devon', 'devon-password');
    });

    it('approve, reject and revoke applications registered over HTTP, as the admin API does', async () => {
      const [one, two, three] = [await register('One'), await register('Two'), await register('Three')];
      const queue = await cli(['apps', 'list', '--status', 'pending', '--json']);
      expect(queue.code).toBe(0);
      expect(queue.json().items.map((a: any) => [a.name, a.owner.login])).toEqual([
        ['One', 'devon'],
        ['Two', 'devon'],
        ['Three', 'devon'],
      ]);

      const approved = await cli(['apps', 'approve', one, '--json']);
      expect(approved.code).toBe(0);
      expect(approved.json()).toMatchObject({ id: one, status: 'approved', reviewedBy: ACTOR, key: null });
      // The developer fetches the key, once, over HTTP.
      const key = await developer.post(`/api/apps/${one}/key`);
      expect(key.status).toBe(201);

      const rejected = await cli(['apps', 'reject', two]);
      expect(rejected.code).toBe(0);
      expect(rejected.out).toMatch(new RegExp(`${two}\\s+Two\\s+rejected\\s+devon`));
      const conflict = await cli(['apps', 'reject', two, '--json']);
      expect(conflict.code).toBe(1);
      expect(conflict.json().error).toMatchObject({ code: 'conflict', message: expect.stringContaining('cannot reject an application that is rejected') });
      expect((await cli(['apps', 'approve', '6f1c2a7e-0000-4000-8000-000000000000'])).code).toBe(1);

      const revoked = await cli(['apps', 'revoke', one, '--json']);
      expect(revoked.code).toBe(0);
      expect(revoked.json()).toMatchObject({ status: 'revoked', key: null });
      if (!env.env.REDIS_URL) expect(revoked.err).toContain('REDIS_URL is not set');
      expect((await developer.post(`/api/apps/${one}/key/rotate`)).status).toBe(409);
      const mine = await developer.get(`/api/apps/${one}`);
      expect(mine.body.status).toBe('revoked');

      // The same approval through the admin API, for the audit comparison.
      expect((await admin.post(`/api/admin/apps/${three}/approve`)).status).toBe(200);
      const log = await auditLog();
      const approval = (id: string) => log.find((e) => e.type === 'admin.apps.approve' && e.detail.applicationId === id);
      const viaCli = approval(one);
      const viaApi = approval(three);
      expect(viaCli).toMatchObject({ outcome: 'info', login: ACTOR, actor: ACTOR, accountId: viaApi.accountId, detail: { applicationId: one, name: 'One', status: 'approved' }, ip: null });
      expect(viaApi).toMatchObject({ outcome: 'info', login: 'admin', actor: 'admin', detail: { applicationId: three, name: 'Three', status: 'approved' } });
      expect(Object.keys(viaCli).sort()).toEqual(Object.keys(viaApi).sort());
      expect(log.filter((e) => e.type === 'admin.apps.revoke' && e.detail.applicationId === one)).toHaveLength(1);
      expect(log.filter((e) => e.type === 'admin.apps.reject' && e.detail.applicationId === two)).toHaveLength(1);
    });

    it('sublogins list --account', async () => {
      expect((await developer.post('/api/sublogin/create', { json: { name: 'backup', password: 'backup-password', rules: [{ path: '/file/', effect: 'allow' }, { path: '/file/delete', effect: 'deny' }] } })).status).toBe(201);
      expect((await developer.post('/api/sublogin/create', { json: { name: 'reader', allowedRanges: ['10.0.0.0/8'] } })).status).toBe(201);
      const res = await cli(['sublogins', 'list', '--account', 'devon', '--json']);
      expect(res.code).toBe(0);
      expect(res.json()).toMatchObject({ account: 'devon', total: 2, items: [{ login: 'devon-backup', ruleCount: 2, enabled: true }, { login: 'devon-reader', ruleCount: 0 }] });
      const text = await cli(['sublogins', 'list', '--account', 'devon']);
      expect(text.out).toMatch(/^devon-backup\s+yes\s+2\s/m);
      expect(text.out).toMatch(/^devon-reader\s+yes\s+0\s+-\s+10\.0\.0\.0\/8\s/m);
      expect((await cli(['sublogins', 'list', '--account', 'nobody'])).code).toBe(1);
    });
  });

  describe('audit export', () => {
    const PAYLOAD = '=HYPERLINK("//evil.example/x","click")';
    const AGENT = '@SUM(1+1)*cmd|\' /C calc\'!A0';

    beforeAll(async () => {
      // A failed Basic sign-in audits the login as sent and the client's User-Agent.
      const res = await rawRequest(`${t.url}/api/whoami`, { headers: { authorization: basicHeader(PAYLOAD, 'x'), 'user-agent': AGENT } });
      expect(res.status).toBe(401);
      await rawRequest(`${t.url}/api/whoami`, { headers: { authorization: basicHeader('+plus', 'x'), 'user-agent': '-minus' } });
      await t.app.get(AuditService).flush();
    });

    it('CSV: formula-looking cells get a leading apostrophe, every value survives a CSV parser', async () => {
      const res = await cli(['audit', 'export', '--format', 'csv', '--type', 'auth.basic']);
      expect(res.code).toBe(0);
      const [header, ...rows] = parse(res.out) as string[][];
      expect(header).toEqual(['id', 'at', 'type', 'outcome', 'login', 'accountId', 'actor', 'code', 'ip', 'userAgent', 'detail']);
      const hostile = rows.find((r) => r[4] === `'${PAYLOAD}`);
      expect(hostile, res.out).toBeDefined();
      expect(hostile![9]).toBe(`'${AGENT}`);
      expect(rows.find((r) => r[4] === "'+plus")![9]).toBe("'-minus");
      for (const row of rows) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
      expect(res.out).not.toMatch(/(^|,)[=+\-@]/m);
    });

    it('JSON lines: the values as recorded, oldest first; --from/--to bound the events; --output writes a file', async () => {
      const res = await cli(['audit', 'export', '--type', 'auth.basic', '--login', PAYLOAD]);
      expect(res.code).toBe(0);
      const events = res.out.trim().split('\n').map((l) => JSON.parse(l));
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type: 'auth.basic', outcome: 'failure', login: PAYLOAD, userAgent: AGENT, code: 'invalid_credentials' });

      const all = await auditLog();
      expect(all.map((e) => e.id)).toEqual([...all.map((e) => e.id)].sort((a, b) => a - b));
      const none = await cli(['audit', 'export', '--to', '2000-01-01T00:00:00Z', '--format', 'csv']);
      expect(none.out.trim().split('\n')).toHaveLength(1); // the header alone
      const middle = all[Math.floor(all.length / 2)];
      const since = await cli(['audit', 'export', '--from', middle.at]);
      const sinceIds = since.out.trim().split('\n').map((l) => JSON.parse(l).id);
      expect(sinceIds).toEqual(all.filter((e) => e.at >= middle.at).map((e) => e.id));

      const out = await cli(['audit', 'export', '--format', 'csv', '--output', 'audit.csv', '--json']);
      expect(out.code).toBe(0);
      const written = await readFile(join(env.dir, 'audit.csv'), 'utf8');
      expect(out.json()).toEqual({ file: 'audit.csv', format: 'csv', count: (parse(written) as string[][]).length - 1 });
      expect(out.json().count).toBeGreaterThanOrEqual(all.length);
    });
  });
});
