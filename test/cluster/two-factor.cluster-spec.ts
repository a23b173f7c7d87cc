import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../support/http-client.js';
import { TotpCodes } from '../support/totp.js';
import { startCluster } from './cluster.js';

describe('a TOTP code across two instances on PostgreSQL + Redis', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let secret: string;
  const codes = new TotpCodes();

  /** A session of `twofa` after its password: pending until a second factor, on the given instance. */
  const pending = async (node: number): Promise<HttpClient> => {
    const c = new HttpClient(cluster.nodes[node]!.url);
    expect((await c.login('twofa', 'twofa-password')).body.secondFactorRequired).toBe(true);
    return c;
  };

  beforeAll(async () => {
    cluster = await startCluster(2);
    const admin = await cluster.nodes[0]!.admin();
    await admin.post('/api/admin/accounts', { json: { login: 'twofa', password: 'twofa-password', email: 't@example.com' } });
    const me = new HttpClient(cluster.nodes[0]!.url);
    await me.login('twofa', 'twofa-password');
    secret = (await me.post('/api/me/two-factor/totp')).body.secret;
    expect((await me.post('/api/me/two-factor/totp/confirm', { json: { code: await codes.fresh(secret) } })).status).toBe(200);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('used on instance 1, is refused on instance 2', async () => {
    const code = await codes.fresh(secret);
    const first = await pending(0);
    expect((await first.post('/auth/login/second-factor', { json: { code } })).status).toBe(200);
    const second = await pending(1);
    const replay = await second.post('/auth/login/second-factor', { json: { code } });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('invalid_credentials');
    expect((await second.get('/api/me')).body.code).toBe('second_factor_required');
  });

  it('given to both at once, completes exactly one sign-in', async () => {
    const code = await codes.fresh(secret);
    const sessions = await Promise.all(Array.from({ length: 6 }, (_, i) => pending(i % 2)));
    const results = await Promise.all(sessions.map((s) => s.post('/auth/login/second-factor', { json: { code } })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 401)).toHaveLength(5);
  });
});
