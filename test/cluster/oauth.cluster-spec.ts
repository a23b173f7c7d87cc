import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpClient } from '../support/http-client.js';
import { authorize, oauthApplication, type OAuthTestApp, oauthPost, REDIRECT_URI, tokensFor } from '../support/oauth.js';
import { startCluster } from './cluster.js';

/** OAuth on two instances sharing PostgreSQL and Redis (SPEC §9): one authorization server, wherever a request lands. */
describe('OAuth across two instances', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let user: HttpClient;
  let app: OAuthTestApp;
  const url = (i: number) => cluster.nodes[i]!.url;

  beforeAll(async () => {
    cluster = await startCluster(2);
    const a = cluster.nodes[0]!;
    const admin = await a.admin();
    expect((await admin.post('/api/admin/accounts', { json: { login: 'oauthuser', password: 'oauthuser-password', email: 'o@example.com' } })).status).toBe(201);
    user = a.client();
    await user.login('oauthuser', 'oauthuser-password');
    app = await oauthApplication(a, 'Clustered client');
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const whoamiOnB = async (token: string) => (await fetch(`${url(1)}/api/whoami`, { headers: { authorization: `Bearer ${token}` } })).status;
  const tokensOnA = () => tokensFor(url(0), { clientId: app.id, scope: 'file:read dav', login: 'oauthuser', password: 'oauthuser-password' });

  it('a code got on A is exchanged on B, and B refreshes what A issued (shared storage and keys)', async () => {
    const a = await authorize(url(0), { clientId: app.id, scope: 'file:read', login: 'oauthuser', password: 'oauthuser-password' });
    const res = await oauthPost(url(1), '/oauth/token', { grant_type: 'authorization_code', code: a.code!, redirect_uri: REDIRECT_URI, client_id: app.id, code_verifier: a.verifier });
    expect(res.status).toBe(200);
    const refreshed = await oauthPost(url(0), '/oauth/token', { grant_type: 'refresh_token', refresh_token: res.body.refresh_token, client_id: app.id });
    expect(refreshed.status).toBe(200);
    expect(await whoamiOnB(refreshed.body.access_token)).toBe(200);
  });

  it('a grant revoked on A is refused on B within a second, though B had the token cached', async () => {
    const tk = await tokensOnA();
    expect(await whoamiOnB(tk.access_token)).toBe(200); // loaded into B's cache
    expect(await whoamiOnB(tk.access_token)).toBe(200); // served from it
    const changedAt = Date.now();
    expect((await user.post(`/api/me/apps/${app.id}/revoke`)).status).toBe(200);
    await expect.poll(() => whoamiOnB(tk.access_token), { timeout: 1_000, interval: 20 }).toBe(401);
    expect(Date.now() - changedAt).toBeLessThan(1_000);
  });

  it('a token revoked at A\'s revocation endpoint is refused on B within a second', async () => {
    const tk = await tokensOnA();
    expect(await whoamiOnB(tk.access_token)).toBe(200);
    const changedAt = Date.now();
    expect((await oauthPost(url(0), '/oauth/token/revocation', { token: tk.access_token, client_id: app.id })).status).toBe(200);
    await expect.poll(() => whoamiOnB(tk.access_token), { timeout: 1_000, interval: 20 }).toBe(401);
    expect(Date.now() - changedAt).toBeLessThan(1_000);
  });

  it('one refresh token used on A and B at once: at most one wins, and the grant is revoked', async () => {
    const tk = await tokensOnA();
    const results = await Promise.all([0, 1, 0, 1].map((i) => oauthPost(url(i), '/oauth/token', { grant_type: 'refresh_token', refresh_token: tk.refresh_token, client_id: app.id })));
    const winners = results.filter((r) => r.status === 200);
    expect(winners.length).toBeLessThanOrEqual(1);
    for (const w of winners) await expect.poll(() => whoamiOnB(w.body.access_token), { timeout: 1_000, interval: 20 }).toBe(401);
  });
});
