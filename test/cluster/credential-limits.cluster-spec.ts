import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyCache } from '../../src/api-keys/api-key-cache.js';
import { VerificationCache } from '../../src/auth/verification-cache.js';
import { oauthApplication, tokensFor } from '../support/oauth.js';
import { basicHeader, rawRequest } from '../support/raw-request.js';
import { applicationChangeHeard, credentialChangeHeard } from './broadcasts.js';
import { startCluster } from './cluster.js';

/**
 * Credential limits change everywhere at once (contract §4.7): a sublogin's ranges or expiry, or
 * an API key's, changed on instance A are enforced by instance B at its first request after the
 * broadcast, though B had the verification (or the key) cached. Clients connect from chosen
 * loopback addresses (127.0.0.5, 127.0.0.6) so that ranges can tell them apart.
 */
describe('credential limits across two instances (PostgreSQL + Redis)', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  beforeAll(async () => {
    cluster = await startCluster(2);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const whoami = (url: string, headers: Record<string, string>, localAddress = '127.0.0.5') => rawRequest(`${url}/api/whoami`, { localAddress, headers });

  it("a sublogin's ranges and expiry changed on A are enforced by B's first request after the broadcast, cached or not", async () => {
    const [a, b] = cluster.nodes;
    const admin = await a!.admin();
    expect((await admin.post('/api/admin/accounts', { json: { login: 'ranger', password: 'ranger-login-pw', email: 'r@example.com' } })).status).toBe(201);
    const owner = a!.client();
    await owner.login('ranger', 'ranger-login-pw');
    const created = await owner.post('/api/sublogin/create', { json: { name: 'office', password: 'office-password-1', rules: [{ path: '/file/', effect: 'allow' }], allowedRanges: ['127.0.0.5'] } });
    expect(created.status, created.text).toBe(201);
    const auth = { authorization: basicHeader('ranger-office', 'office-password-1') };

    expect((await whoami(b!.url, auth)).status).toBe(200);
    const cache = b!.app.get(VerificationCache);
    const hits = cache.hits;
    expect((await whoami(b!.url, auth)).status).toBe(200);
    expect(cache.hits).toBe(hits + 1); // B answers from its cache
    expect((await whoami(b!.url, auth, '127.0.0.6')).body.code).toBe('address_not_allowed'); // and still checks the address

    let heard = credentialChangeHeard(b!, 'ranger-office');
    expect((await owner.post('/api/sublogin/update', { json: { name: 'office', allowedRanges: ['127.0.0.6'] } })).status).toBe(200);
    await heard;
    const moved = await whoami(b!.url, auth);
    expect(moved.status).toBe(403);
    expect(moved.body.code).toBe('address_not_allowed');
    expect((await whoami(b!.url, auth, '127.0.0.6')).status).toBe(200);

    heard = credentialChangeHeard(b!, 'ranger-office');
    expect((await owner.post('/api/sublogin/update', { json: { name: 'office', expiresAt: new Date(Date.now() - 60_000).toISOString() } })).status).toBe(200);
    await heard;
    const expired = await whoami(b!.url, auth, '127.0.0.6');
    expect(expired.status).toBe(401);
    expect(expired.body.code).toBe('credential_expired');

    // A token granted by the sublogin on A, used on B: the same limits, the same broadcast.
    heard = credentialChangeHeard(b!, 'ranger-office');
    expect((await owner.post('/api/sublogin/update', { json: { name: 'office', expiresAt: null, allowedRanges: null } })).status).toBe(200);
    await heard;
    const client = await oauthApplication(a!, 'Cluster limits');
    const tk = await tokensFor(a!.url, { clientId: client.id, scope: 'file:read', login: 'ranger-office', password: 'office-password-1' });
    const bearer = { authorization: `Bearer ${tk.access_token}` };
    expect((await whoami(b!.url, bearer)).status).toBe(200);
    heard = credentialChangeHeard(b!, 'ranger-office');
    expect((await owner.post('/api/sublogin/update', { json: { name: 'office', allowedRanges: ['127.0.0.6'] } })).status).toBe(200);
    await heard;
    expect((await whoami(b!.url, bearer)).body.code).toBe('address_not_allowed');
    expect((await whoami(b!.url, bearer, '127.0.0.6')).status).toBe(200);
  });

  it("an API key's limits changed on A are enforced by B's first request after the broadcast", async () => {
    const [a, b] = cluster.nodes;
    const admin = await a!.admin();
    expect((await admin.post('/api/admin/accounts', { json: { login: 'keyuser', password: 'keyuser-login-pw', email: 'k@example.com' } })).status).toBe(201);
    const owner = a!.client();
    await owner.login('keyuser', 'keyuser-login-pw');
    expect((await owner.post('/api/sublogin/create', { json: { name: 'sync', password: 'sync-password-1' } })).status).toBe(201);
    const client = await oauthApplication(a!, 'Key limits');
    const headers = { authorization: basicHeader('keyuser-sync', 'sync-password-1'), 'x-api-key': client.key };

    expect((await whoami(b!.url, headers)).status).toBe(200);
    const keys = b!.app.get(ApiKeyCache);
    const hits = keys.hits;
    expect((await whoami(b!.url, headers)).status).toBe(200);
    expect(keys.hits).toBeGreaterThan(hits); // the key is cached on B

    const heard = applicationChangeHeard(b!, client.id);
    const limited = await client.developer.request('PATCH', `/api/apps/${client.id}/key`, { json: { allowedRanges: ['127.0.0.6'] } });
    expect(limited.status, limited.text).toBe(200);
    await heard;
    const refused = await whoami(b!.url, headers);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('address_not_allowed');
    expect((await whoami(b!.url, headers, '127.0.0.6')).status).toBe(200);
  });
});
