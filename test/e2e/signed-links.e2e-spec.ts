import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyRing } from '../../src/crypto/secrets.js';
import { formatLinkToken, parseLinkToken } from '../../src/links/core/link-token.js';
import { LinkSigner } from '../../src/links/link-signer.js';
import { LinksService } from '../../src/links/links.service.js';
import { StatsService } from '../../src/stats/stats.service.js';
import { approvedApplication, type TestApplication } from '../support/api-key.js';
import type { HttpClient } from '../support/http-client.js';
import { basicHeader, rawRequest } from '../support/raw-request.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';

const CONTENT = 'the quarterly report, in plain text\n';

describe('signed links (contract §4.8)', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  let alice: HttpClient;
  let app: TestApplication;
  let alicePassword: string;
  const subPassword = 'reader-password-1';

  const link = async (body: Record<string, unknown>, as: HttpClient | 'reader' = alice) => {
    const res =
      as === 'reader'
        ? await t.client().post('/api/file/links', { json: body, headers: { authorization: basicHeader('alice-reader', subPassword), 'x-api-key': app.key } })
        : await as.post('/api/file/links', { json: body });
    return res;
  };
  const made = async (body: Record<string, unknown>, as: HttpClient | 'reader' = alice): Promise<{ id: string; token: string; url: string }> => {
    const res = await link(body, as);
    if (res.status !== 201) throw new Error(`link not made: ${res.status} ${res.text}`);
    return res.body;
  };
  const get = (token: string, headers: Record<string, string> = {}, localAddress?: string) => rawRequest(`${t.url}/link/${token}`, { headers, localAddress });
  const put = (path: string, body: string) => rawRequest(`${t.url}/link/${path}`, { method: 'PUT', body, headers: { 'content-type': 'application/octet-stream', 'content-length': String(Buffer.byteLength(body)) } });
  const exists = async (path: string) => (await alice.get(`/api/file/info?path=${encodeURIComponent(path)}`)).status === 200;

  beforeAll(async () => {
    t = await startTestApp({ OTP_MAX_TTL: '3600' });
    const admin = await t.admin();
    await admin.post('/api/admin/accounts', { json: { login: 'alice', password: 'alice-password', email: 'a@example.com' } });
    alice = t.client();
    await alice.login('alice', 'alice-password');
    alicePassword = (await alice.post('/api/me/app-connection/enable')).body.password;
    app = await approvedApplication(t);
    expect((await alice.put('/api/file/upload?path=/docs/report.txt', { body: CONTENT })).status).toBe(201);
    expect((await alice.put('/api/file/upload?path=/secret/plans.txt', { body: 'no' })).status).toBe(201);
    const sub = await alice.post('/api/sublogin/create', {
      json: {
        name: 'reader',
        password: subPassword,
        rules: [
          { path: '/file/download/docs', effect: 'allow' },
          { path: '/file/link/docs', effect: 'allow' },
          { path: '/file/upload/docs/in', effect: 'allow' },
        ],
      },
    });
    expect(sub.status).toBe(201);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('downloads without any password or key, with ranges and validators, and counts for the creator', async () => {
    const l = await made({ method: 'GET', path: 'docs/report.txt', expiresIn: 600 });
    expect(l.url).toBe(`${t.config.publicUrl}/link/${l.token}`);
    const whole = await get(l.token);
    expect(whole.status).toBe(200);
    expect(whole.body).toBe(CONTENT);
    expect(whole.headers['content-disposition']).toContain('report.txt');
    const part = await get(l.token, { range: 'bytes=4-13' });
    expect(part.status).toBe(206);
    expect(part.body).toBe(CONTENT.slice(4, 14));
    expect((await get(l.token, { 'if-none-match': String(whole.headers.etag) })).status).toBe(304);
    // HEAD through the GET route.
    expect((await rawRequest(`${t.url}/link/${l.token}`, { method: 'HEAD' })).status).toBe(200);

    await t.app.get(StatsService).flush();
    const traffic = await alice.get('/api/stat/traffic?area=file');
    const gets = traffic.body.items.filter((i: { method: string; status: number }) => i.method === 'GET' && (i.status === 200 || i.status === 206));
    expect(gets.reduce((n: number, i: { requests: number }) => n + i.requests, 0)).toBeGreaterThanOrEqual(2);

    // Uses of a link without a limit are written once a second.
    await t.app.get(LinksService).flushUses();
    const listed = (await alice.get('/api/file/links')).body.items.find((i: { id: string }) => i.id === l.id);
    expect(listed).toMatchObject({ method: 'GET', target: 'file', path: '/docs/report.txt', createdBy: 'alice', uses: 4, lastUsedIp: '127.0.0.1', revokedAt: null });
    expect(listed).not.toHaveProperty('token');
    expect(listed).not.toHaveProperty('url');
  });

  it('is made with Basic + API key (recording the application), not without the key', async () => {
    const basic = { authorization: basicHeader('alice', alicePassword) };
    const noKey = await t.client().post('/api/file/links', { json: { method: 'GET', path: '/docs/report.txt', expiresIn: 60 }, headers: basic });
    expect(noKey.status).toBe(401);
    expect(noKey.body.code).toBe('api_key_required');
    const keyed = await t.client().post('/api/file/links', { json: { method: 'GET', path: '/docs/report.txt', expiresIn: 60 }, headers: { ...basic, 'x-api-key': app.key } });
    expect(keyed.status).toBe(201);
    expect(keyed.body.applicationId).toBe(app.id);
    // The link itself needs no key.
    expect((await get(keyed.body.token)).status).toBe(200);
  });

  it('is not managed with an OAuth token: no scope covers /file/link', async () => {
    const { oauthApplication, tokensFor } = await import('../support/oauth.js');
    const client = await oauthApplication(t, 'Links via OAuth');
    const tokens = await tokensFor(t.url, { clientId: client.id, scope: 'file:read file:write', login: 'alice', password: 'alice-password' });
    const bearer = { authorization: `Bearer ${tokens.access_token}`, 'x-api-key': client.key };
    const made = await t.client().post('/api/file/links', { json: { method: 'GET', path: '/docs/report.txt', expiresIn: 60 }, headers: bearer });
    expect(made.status).toBe(403);
    expect(made.body.code).toBe('insufficient_scope');
    expect((await t.client().get('/api/file/links', { headers: bearer })).body.code).toBe('insufficient_scope');
  });

  it('refuses bad creation input with 4xx codes', async () => {
    expect((await link({ method: 'GET', path: '/docs/report.txt', expiresIn: 3601 })).body.code).toBe('validation_failed');
    expect((await link({ method: 'GET', path: '/docs/missing.txt', expiresIn: 60 })).status).toBe(404);
    expect((await link({ method: 'GET', path: '/docs', expiresIn: 60 })).status).toBe(409);
    expect((await link({ method: 'GET', path: '/docs/report.txt', target: 'prefix', expiresIn: 60 })).body.code).toBe('validation_failed');
    expect((await link({ method: 'GET', path: '/docs/report.txt', expiresIn: 60, allowedRanges: ['nope'] })).body.code).toBe('validation_failed');
    expect((await link({ method: 'GET', path: '/../etc/passwd', expiresIn: 60 })).status).toBe(400);
    expect((await link({ method: 'DELETE', path: '/docs/report.txt', expiresIn: 60 })).body.code).toBe('validation_failed');
  });

  it('refuses another method or path as outside_scope', async () => {
    const g = await made({ method: 'GET', path: '/docs/report.txt', expiresIn: 600 });
    const p = await made({ method: 'PUT', path: '/docs/upload.txt', expiresIn: 600 });
    const folder = await made({ method: 'PUT', path: '/docs/in', target: 'prefix', expiresIn: 600 });
    const tries = [put(g.token, 'x'), get(p.token), put(`${p.token}/other.txt`, 'x'), put(folder.token, 'x'), get(folder.token), put(`${folder.token}/..%2F..%2Fsecret%2Fplans.txt`, 'x')];
    for (const [i, res] of (await Promise.all(tries)).entries()) {
      expect(res.status, `${i} ${JSON.stringify(res.body)}`).toBe(403);
      expect(res.body.code).toBe('outside_scope');
    }
    // A dot segment in the URL is resolved before routing: what is left is no link at all.
    expect((await put(`${folder.token}/../x.txt`, 'x')).body.code).toBe('invalid_credentials');
    expect(await exists('/docs/upload.txt')).toBe(false);
    expect(await exists('/docs/x.txt')).toBe(false);
    expect((await alice.get('/api/file/download?path=/secret/plans.txt')).text).toBe('no');
  });

  it('uploads through a file link and into a folder prefix, within the size limit (413 above it, nothing stored)', async () => {
    const p = await made({ method: 'PUT', path: '/docs/upload.txt', expiresIn: 600, maxUploadBytes: 10 });
    const big = await put(p.token, '0123456789A');
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('payload_too_large');
    expect(await exists('/docs/upload.txt')).toBe(false);
    const ok = await put(p.token, 'hello');
    expect(ok.status).toBe(201);
    expect((await alice.get('/api/file/download?path=/docs/upload.txt')).text).toBe('hello');

    // A body sent without Content-Length (chunked) is cut at the link's maximum the same way.
    const chunkedLink = await made({ method: 'PUT', path: '/docs/chunked.txt', expiresIn: 600, maxUploadBytes: 10 });
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request(`${t.url}/link/${chunkedLink.token}`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      expect(req.getHeader('content-length')).toBeUndefined();
      req.write('x'.repeat(64 * 1024));
      req.end();
    });
    expect(chunked).toBe(413);
    expect(await exists('/docs/chunked.txt')).toBe(false);
    // An upload announced too large is refused before the link's one use is counted.
    const once = await made({ method: 'PUT', path: '/docs/once.txt', expiresIn: 600, maxUploadBytes: 10, maxUses: 1 });
    expect((await put(once.token, 'far too long for it')).status).toBe(413);
    expect((await put(once.token, 'fits')).status).toBe(201);
    expect((await put(once.token, 'again')).body.code).toBe('link_used');

    const folder = await made({ method: 'PUT', path: '/docs/in', target: 'prefix', expiresIn: 600, maxUploadBytes: 100 });
    expect((await put(`${folder.token}/a.txt`, 'from a stranger')).status).toBe(201);
    expect((await put(`${folder.token}/sub/b.txt`, 'deeper')).status).toBe(201);
    expect((await alice.get('/api/file/download?path=/docs/in/sub/b.txt')).text).toBe('deeper');
  });

  it('refuses an expired link as credential_expired, a revoked one as link_revoked', async () => {
    const short = await made({ method: 'GET', path: '/docs/report.txt', expiresIn: 1 });
    await new Promise((r) => setTimeout(r, 1_100));
    const expired = await get(short.token);
    expect(expired.status).toBe(401);
    expect(expired.body.code).toBe('credential_expired');

    const l = await made({ method: 'GET', path: '/docs/report.txt', expiresIn: 600 });
    expect((await get(l.token)).status).toBe(200);
    const revoked = await alice.delete(`/api/file/links/${l.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    const refused = await get(l.token);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('link_revoked');
  });

  it('counts uses: used up is link_used; a single-use link answers exactly one of concurrent requests', async () => {
    const twice = await made({ method: 'GET', path: '/docs/report.txt', expiresIn: 600, maxUses: 2 });
    expect((await get(twice.token)).status).toBe(200);
    expect((await get(twice.token)).status).toBe(200);
    const third = await get(twice.token);
    expect(third.status).toBe(403);
    expect(third.body.code).toBe('link_used');

    const once = await made({ method: 'GET', path: '/docs/report.txt', expiresIn: 600, maxUses: 1 });
    const all = await Promise.all(Array.from({ length: 8 }, () => get(once.token)));
    expect(all.filter((r) => r.status === 200)).toHaveLength(1);
    expect(all.filter((r) => r.status === 403 && r.body.code === 'link_used')).toHaveLength(7);

    const many = await made({ method: 'GET', path: '/docs/report.txt', expiresIn: 600, maxUses: 3 });
    const burst = await Promise.all(Array.from({ length: 8 }, () => get(many.token)));
    expect(burst.filter((r) => r.status === 200)).toHaveLength(3);
  });

  it('refuses other addresses as address_not_allowed', async () => {
    const l = await made({ method: 'GET', path: '/docs/report.txt', expiresIn: 600, allowedRanges: ['127.0.0.2/32'] });
    const elsewhere = await get(l.token);
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.code).toBe('address_not_allowed');
    expect((await get(l.token, {}, '127.0.0.2')).status).toBe(200);
  });

  it('refuses forged, re-signed, truncated and unknown links as invalid_credentials, never 500', async () => {
    const l = await made({ method: 'GET', path: '/docs/report.txt', expiresIn: 600, maxUses: 5 });
    const parsed = parseLinkToken(l.token)!;
    const signer = new LinkSigner(t.app.get(KeyRing));
    // The test signs as the server does: the untouched link verifies…
    const same = formatLinkToken('l1', parsed.id, parsed.expiry, signer.sign('l1', { id: parsed.id, method: 'GET', target: 'file', path: '/docs/report.txt', expiry: parsed.expiry, allowedRanges: null, maxUses: 5, maxUploadBytes: null }));
    expect(same).toBe(l.token);
    // …but nothing re-signed with other constraints, another key id, or under another key.
    const base = { id: parsed.id, method: 'GET' as const, target: 'file' as const, path: '/docs/report.txt', expiry: parsed.expiry, allowedRanges: null, maxUses: 5, maxUploadBytes: null };
    const forged = [
      formatLinkToken('l1', parsed.id, parsed.expiry + 3600, signer.sign('l1', { ...base, expiry: parsed.expiry + 3600 })),
      formatLinkToken('l1', parsed.id, parsed.expiry, signer.sign('l1', { ...base, maxUses: null })),
      formatLinkToken('l1', parsed.id, parsed.expiry, signer.sign('l1', { ...base, path: '/secret/plans.txt' })),
      formatLinkToken('l2', parsed.id, parsed.expiry, signer.sign('l2', base)),
      formatLinkToken('l1', parsed.id, parsed.expiry, new LinkSigner(new KeyRing(Buffer.alloc(32, 7))).sign('l1', base)),
      formatLinkToken('l1', '00000000-0000-4000-8000-000000000000', parsed.expiry, signer.sign('l1', { ...base, id: '00000000-0000-4000-8000-000000000000' })),
      l.token.slice(0, -1) + (l.token.endsWith('A') ? 'B' : 'A'),
      l.token.slice(0, -5),
      l.token.slice(0, 40),
      `${l.token}x`,
      'garbage',
      encodeURIComponent('l1.%00.1.x'),
    ];
    for (const token of forged) {
      const res = await get(token);
      expect(res.status, token).toBe(401);
      expect(res.body.code, token).toBe('invalid_credentials');
    }
    // Longer than any token: refused before routing (414), never a 500.
    expect((await get('x'.repeat(2000))).status).toBe(414);
    expect((await get(l.token)).status).toBe(200);
  });

  it('lets a sublogin link only what its rules allow, and stops its links when its rights go', async () => {
    const own = await made({ method: 'GET', path: '/docs/report.txt', expiresIn: 600 }, 'reader');
    expect((await get(own.token)).status).toBe(200);
    for (const body of [
      { method: 'GET', path: '/secret/plans.txt', expiresIn: 60 },
      { method: 'PUT', path: '/docs/report.txt', expiresIn: 60 },
      { method: 'PUT', path: '/docs', target: 'prefix', expiresIn: 60 },
    ]) {
      const res = await link(body, 'reader');
      expect(res.status, JSON.stringify(body)).toBe(403);
      expect(res.body.code).toBe('acl_denied');
    }
    const upload = await made({ method: 'PUT', path: '/docs/in', target: 'prefix', expiresIn: 600 }, 'reader');
    expect((await put(`${upload.token}/c.txt`, 'c')).status).toBe(201);

    // The account sees its sublogin's links; the sublogin sees only its own, and cannot revoke the account's.
    const mine = (await alice.get('/api/file/links')).body.items;
    expect(mine.find((i: { id: string }) => i.id === own.id)).toMatchObject({ createdBy: 'alice-reader' });
    const theirs = await t.client().get('/api/file/links', { headers: { authorization: basicHeader('alice-reader', subPassword), 'x-api-key': app.key } });
    expect(theirs.body.items.every((i: { createdBy: string }) => i.createdBy === 'alice-reader')).toBe(true);
    const aliceLink = await made({ method: 'GET', path: '/docs/report.txt', expiresIn: 600 });
    expect((await t.client().delete(`/api/file/links/${aliceLink.id}`, { headers: { authorization: basicHeader('alice-reader', subPassword), 'x-api-key': app.key } })).status).toBe(404);

    // Rights taken away: the download rule removed, then the sublogin disabled.
    await alice.put('/api/sublogin/rules', { json: { name: 'reader', rules: [{ path: '/file/link/docs', effect: 'allow' }, { path: '/file/upload/docs/in', effect: 'allow' }] } });
    const noRule = await get(own.token);
    expect(noRule.status).toBe(403);
    expect(noRule.body.code).toBe('link_revoked');
    expect((await put(`${upload.token}/d.txt`, 'd')).status).toBe(201);
    await alice.post('/api/sublogin/update', { json: { name: 'reader', enabled: false } });
    const disabled = await put(`${upload.token}/e.txt`, 'e');
    expect(disabled.status).toBe(403);
    expect(disabled.body.code).toBe('link_revoked');
    expect(await exists('/docs/in/e.txt')).toBe(false);
  });

  it('stops every link of a suspended account', async () => {
    const admin = await t.admin();
    const bob = await admin.post('/api/admin/accounts', { json: { login: 'bob', password: 'bob-password', email: 'b@example.com' } });
    const bobClient = t.client();
    await bobClient.login('bob', 'bob-password');
    await bobClient.put('/api/file/upload?path=/f.txt', { body: 'f' });
    const l = await made({ method: 'GET', path: '/f.txt', expiresIn: 600 }, bobClient);
    expect((await get(l.token)).status).toBe(200);
    await admin.post(`/api/admin/accounts/${bob.body.id}/suspend`);
    const res = await get(l.token);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('link_revoked');
  });

  it('MyPage /mypage/links creates (the URL shown once), lists and revokes', async () => {
    const page = await alice.get('/mypage/links');
    expect(page.status).toBe(200);
    expect(page.text).toContain('download /docs/report.txt');
    expect(page.text).toContain('alice-reader');
    const created = await alice.post('/mypage/links', { form: { kind: 'download', path: '/docs/report.txt', expiresIn: '600', maxUses: '2', ranges: '' } });
    expect(created.status).toBe(201);
    const url = /<code id="link-url">([^<]+)<\/code>/.exec(created.text)?.[1];
    expect(url).toMatch(new RegExp(`^${t.config.publicUrl}/link/l1\\.`));
    const token = url!.slice(url!.lastIndexOf('/') + 1);
    expect((await get(token)).body).toBe(CONTENT);
    // Shown once: the list afterwards does not hold it.
    expect((await alice.get('/mypage/links')).text).not.toContain(token);
    const bad = await alice.post('/mypage/links', { form: { kind: 'download', path: '/docs/none.txt', expiresIn: '600' } });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('role="alert"');
    const id = parseLinkToken(token)!.id;
    const revoked = await alice.post(`/mypage/links/${id}/revoke`, { form: {} });
    expect(revoked.status).toBe(303);
    expect((await get(token)).body.code).toBe('link_revoked');
    expect((await alice.get('/mypage')).text).toContain('href="/mypage/links"');
  });

  it('audits each use and refusal', async () => {
    const admin = await t.admin();
    const events = await admin.get('/api/admin/audit?type=auth.link&limit=200');
    expect(events.status).toBe(200);
    const codes = new Set(events.body.map((e: { outcome: string; code: string | null }) => (e.outcome === 'success' ? 'success' : e.code)));
    for (const code of ['success', 'link_revoked', 'credential_expired', 'address_not_allowed', 'outside_scope', 'link_used', 'invalid_credentials']) expect(codes.has(code), code).toBe(true);
  });
});
