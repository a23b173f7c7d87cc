import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VerificationCache } from '../../src/auth/verification-cache.js';
import { makeOtp } from '../../src/otp/core/otp-token.js';
import { basicHeader, rawRequest } from '../support/raw-request.js';
import { startCluster } from './cluster.js';

/**
 * Revoking one app password on one instance (contract §4.2): the other instance, which had it
 * verified and cached, refuses it within a second; the account's other passwords go on there.
 */
describe('app passwords on two instances (PostgreSQL + Redis)', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  beforeAll(async () => {
    cluster = await startCluster(2);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const whoami = (url: string, login: string, password: string) => rawRequest(`${url}/api/whoami`, { headers: { authorization: basicHeader(login, password) } });

  it('one revoked on A is refused on B within a second, though B had it cached; the other still works on B', async () => {
    const [a, b] = cluster.nodes;
    const admin = await a!.admin();
    expect((await admin.post('/api/admin/accounts', { json: { login: 'devices', password: 'devices-login-pw', email: 'd@example.com' } })).status).toBe(201);
    const me = a!.client();
    await me.login('devices', 'devices-login-pw');
    const kept = (await me.post('/api/me/app-connection/enable')).body.password as string;
    const issued = await me.post('/api/me/app-passwords', { json: { name: 'old phone' } });
    expect(issued.status).toBe(201);

    const cache = b!.app.get(VerificationCache);
    expect((await whoami(b!.url, 'devices', issued.body.password)).status).toBe(200);
    const hits = cache.hits;
    expect((await whoami(b!.url, 'devices', issued.body.password)).status).toBe(200);
    expect(cache.hits).toBe(hits + 1); // served from B's cache

    expect((await me.delete(`/api/me/app-passwords/${issued.body.id}`)).status).toBe(204);
    const revokedAt = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - revokedAt < 1000) {
      status = (await whoami(b!.url, 'devices', issued.body.password)).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).toBe(401);
    expect(Date.now() - revokedAt).toBeLessThan(1000);
    expect((await whoami(b!.url, 'devices', kept)).status).toBe(200);

    // OTP on B: the revoked password no more, the kept one still.
    const otp = (password: string, salt: string) => rawRequest(`${b!.url}/api/whoami?otp=${encodeURIComponent(makeOtp('devices', password, Math.floor(Date.now() / 1000) + 60, salt))}`);
    expect((await otp(issued.body.password, 'cluster-1')).body.code).toBe('invalid_credentials');
    expect((await otp(kept, 'cluster-2')).status).toBe(200);
  });
});
