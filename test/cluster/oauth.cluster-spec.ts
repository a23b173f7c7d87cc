import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BearerTokens } from '../../src/oauth/bearer-tokens.js';
import { OAuthArtifactStore } from '../../src/oauth/oauth-artifact.store.js';
import type { HttpClient } from '../support/http-client.js';
import { authorize, oauthApplication, type OAuthTestApp, oauthPost, REDIRECT_URI, tokensFor } from '../support/oauth.js';
import { revocationHeard } from './broadcasts.js';
import { startCluster } from './cluster.js';

/** OAuth on two instances sharing PostgreSQL and Redis (contract §9): one authorization server, wherever a request lands. */
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

  /** B loads the token into its cache, then answers it from there. */
  async function cachedOnB(token: string): Promise<void> {
    const bearer = cluster.nodes[1]!.app.get(BearerTokens);
    expect(await whoamiOnB(token)).toBe(200); // loaded into B's cache
    const hits = bearer.hits;
    expect(await whoamiOnB(token)).toBe(200); // served from it
    expect(bearer.hits).toBe(hits + 1);
  }

  /** What B's revocation broadcasts name for this access token: its own hash, or its grant. */
  async function revocationKeys(token: string): Promise<{ idHash: string; grantId: string }> {
    const grantId = await cluster.nodes[0]!.app.get(OAuthArtifactStore).grantIdOf('AccessToken', token);
    expect(grantId).toEqual(expect.any(String));
    return { idHash: OAuthArtifactStore.hash(token), grantId: grantId! };
  }

  // Immediate revocation across instances (see broadcasts.ts): B hears A's broadcast, and its very
  // first request after that refuses the token it had cached.
  it('a grant revoked on A is refused on B by its first request after the broadcast, though B had the token cached', async () => {
    const tk = await tokensOnA();
    await cachedOnB(tk.access_token);
    const heard = revocationHeard(cluster.nodes[1]!, await revocationKeys(tk.access_token));
    expect((await user.post(`/api/me/apps/${app.id}/revoke`)).status).toBe(200);
    await heard;
    expect(await whoamiOnB(tk.access_token)).toBe(401);
  });

  it('a token revoked at A\'s revocation endpoint is refused on B by its first request after the broadcast', async () => {
    const tk = await tokensOnA();
    await cachedOnB(tk.access_token);
    const heard = revocationHeard(cluster.nodes[1]!, await revocationKeys(tk.access_token));
    expect((await oauthPost(url(0), '/oauth/token/revocation', { token: tk.access_token, client_id: app.id })).status).toBe(200);
    await heard;
    expect(await whoamiOnB(tk.access_token)).toBe(401);
  });

  it('one refresh token used on A and B at once: exactly one wins, the others get invalid_grant, and the grant is revoked', async () => {
    const tk = await tokensOnA();
    const results = await Promise.all([0, 1, 0, 1].map((i) => oauthPost(url(i), '/oauth/token', { grant_type: 'refresh_token', refresh_token: tk.refresh_token, client_id: app.id })));
    const winners = results.filter((r) => r.status === 200);
    expect(winners, JSON.stringify(results.map((r) => [r.status, r.body?.error]))).toHaveLength(1);
    expect(results.filter((r) => r !== winners[0]).map((r) => [r.status, r.body.error])).toEqual(Array(3).fill([400, 'invalid_grant']));
    // The losers revoked the grant before answering; the winner's new tokens were never cached anywhere.
    const [w] = winners;
    expect(await whoamiOnB(w!.body.access_token)).toBe(401);
    expect((await fetch(`${url(0)}/api/whoami`, { headers: { authorization: `Bearer ${w!.body.access_token}` } })).status).toBe(401);
    const again = await oauthPost(url(1), '/oauth/token', { grant_type: 'refresh_token', refresh_token: w!.body.refresh_token, client_id: app.id });
    expect([again.status, again.body.error]).toEqual([400, 'invalid_grant']);
  });
});
