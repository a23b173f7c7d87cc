import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SoftAuthenticator } from '../support/soft-authenticator.js';
import { PageClient } from '../support/web-pages.js';
import { startCluster } from './cluster.js';

const PUBLIC_URL = 'https://storage.example.com';
const PASSWORD = 'pat-login-password';

/** The cookie header a page client holds (its session, CSRF and sign-in cookies). */
function cookiesOf(c: PageClient): Map<string, string> {
  return (c.http as unknown as { cookies: Map<string, string> }).cookies;
}

describe('a passkey assertion across two instances on PostgreSQL + Redis', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  const key = new SoftAuthenticator(PUBLIC_URL);

  beforeAll(async () => {
    cluster = await startCluster(2, { PUBLIC_URL });
    const admin = await cluster.nodes[0]!.admin();
    await admin.post('/api/admin/accounts', { json: { login: 'pat', password: PASSWORD, email: 'pat@example.com' } });
    // A security key that keeps no signature counter: only the challenge's single use stops a replay.
    const pat = new PageClient(cluster.nodes[0]!.url);
    await pat.signIn('pat', PASSWORD);
    await pat.get('/mypage/passkeys');
    const options = await pat.http.post('/mypage/passkeys/options', { json: {}, headers: { 'x-csrf-token': pat.csrf! } });
    expect((await pat.post('/mypage/passkeys', { name: 'Key', response: JSON.stringify(key.register(options.body)) })).status).toBe(200);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('is accepted once as the second factor, whichever instance gets it first', async () => {
    const pat = new PageClient(cluster.nodes[0]!.url);
    await pat.signIn('pat', PASSWORD);
    const jar = cookiesOf(pat);
    const csrf = jar.get('portcullis_csrf')!;
    const options = await pat.http.post('/sign-in/passkey/second-factor/options', { json: {}, headers: { 'x-csrf-token': csrf } });
    expect(options.status).toBe(200);
    const body = new URLSearchParams({ _csrf: csrf, next: '/mypage', response: JSON.stringify(key.assert(options.body, { counter: 0 })) }).toString();
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        fetch(`${cluster.nodes[i % 2]!.url}/sign-in/passkey/second-factor`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
          body,
        }).then((r) => r.status),
      ),
    );
    expect(results.filter((s) => s === 303)).toHaveLength(1);
    expect(results.filter((s) => s === 401)).toHaveLength(19);
  });
});
