import { randomBytes } from 'node:crypto';
import { KeyRing } from '../../../src/crypto/secrets.js';
import { formatLinkToken, parseLinkToken, type SignedFields } from '../../../src/links/core/link-token.js';
import { LinkSigner } from '../../../src/links/link-signer.js';
import type { HttpClient, HttpResponse } from '../../support/http-client.js';
import { oauthApplication, tokensFor } from '../../support/oauth.js';
import { RawSession } from '../../support/raw-session.js';
import type { TestApp } from '../../support/test-app.js';
import { ADMIN_PASSWORD } from '../../support/test-env.js';

/**
 * What the corpus attacks, made through the public API as customers, a developer and an
 * operator would: a customer with an issued app-connection password, a sublogin with
 * most-specific-wins rules and a disabled one, a legacy account, a new account with Basic off, a
 * suspended account, a second customer whose files must stay out of reach, and applications
 * whose keys are live, revoked, blocked by the customer, or replaced by a rotation.
 *
 * Every value a case may name is in `vars` (`${KEY}`, `${SUB_PW}`, …).
 */
export interface Fixture {
  vars: Record<string, string>;
  owner: HttpClient;
  ownerSession: RawSession;
  liveAppId: string;
}

export const FILES: Readonly<Record<string, string>> = {
  '/docs/a.txt': 'alpha',
  '/docs/b.txt': 'bravo',
  '/tmp/x.txt': 'x-ray',
  '/keep/y.txt': 'yankee',
  '/private/p.txt': 'papa',
};

export const SUB_RULES = [
  { path: '/file/', effect: 'allow' },
  { path: '/file/delete', effect: 'deny' },
  { path: '/file/delete/tmp', effect: 'allow' },
  { path: '/file/download/private', effect: 'deny' },
  { path: '/sublogin/check', effect: 'allow' },
  { path: '/stat/', effect: 'deny' },
];

/**
 * The sublogin `walker` may do everything on /docs but on /docs/b.txt: a recursive operation on
 * /docs reaches a member it may not touch (file API, /dav/, /backup/, and /v2/dav/ with its token).
 */
export const WALKER_RULES = [
  { path: '/file/', effect: 'allow' },
  { path: '/dav/', effect: 'allow' },
  { path: '/backup/', effect: 'allow' },
  ...['copy', 'move', 'delete', 'list'].map((a) => ({ path: `/file/${a}/docs/b.txt`, effect: 'deny' })),
  ...['dav', 'backup'].flatMap((c) => ['read', 'write', 'delete'].map((a) => ({ path: `/${c}/${a}/docs/b.txt`, effect: 'deny' }))),
];

async function ok(res: Promise<HttpResponse>, status: number, what: string): Promise<any> {
  const r = await res;
  if (r.status !== status) throw new Error(`corpus fixture: ${what}: expected ${status}, got ${r.status} ${r.text}`);
  return r.body;
}

export async function buildFixture(t: TestApp): Promise<Fixture> {
  const admin = await t.admin();
  const accounts: Array<{ login: string; password: string; legacy?: boolean }> = [
    { login: 'corpus', password: 'corpus-login-pw1' },
    { login: 'oldie', password: 'oldie-login-pw1', legacy: true },
    { login: 'newbie', password: 'newbie-login-pw1' },
    { login: 'frozen', password: 'frozen-login-pw1', legacy: true },
    { login: 'other', password: 'other-login-pw1', legacy: true },
    { login: 'corpusdev', password: 'corpusdev-login-pw1' },
  ];
  const ids: Record<string, string> = {};
  for (const a of accounts) {
    const body = await ok(
      admin.post('/api/admin/accounts', { json: { login: a.login, password: a.password, email: `${a.login}@example.com`, ...(a.legacy ? { registeredAt: '2020-01-01T00:00:00Z' } : {}) } }),
      201,
      `create ${a.login}`,
    );
    ids[a.login] = body.id;
  }
  await ok(admin.post(`/api/admin/accounts/${ids.frozen}/suspend`), 200, 'suspend frozen');

  const owner = t.client();
  await owner.login('corpus', 'corpus-login-pw1');
  const appPw = (await ok(owner.post('/api/me/app-connection/enable'), 200, 'enable app connection')).password as string;

  await ok(owner.post('/api/sublogin/create', { json: { name: 'reader', password: 'reader-sub-pw1', rules: SUB_RULES } }), 201, 'create sublogin');
  await ok(owner.post('/api/sublogin/create', { json: { name: 'walker', password: 'walker-sub-pw1', rules: WALKER_RULES } }), 201, 'create walker');
  await ok(owner.post('/api/sublogin/create', { json: { name: 'off', password: 'off-sub-pw1', rules: [{ path: '/file/', effect: 'allow' }] } }), 201, 'create off');
  await ok(owner.post('/api/sublogin/update', { json: { name: 'off', enabled: false } }), 200, 'disable off');

  const dev = t.client();
  await dev.login('corpusdev', 'corpusdev-login-pw1');
  const app = async (name: string): Promise<{ id: string; key: string }> => {
    const { id } = await ok(dev.post('/api/apps', { json: { name } }), 201, `register ${name}`);
    await ok(admin.post(`/api/admin/apps/${id}/approve`), 200, `approve ${name}`);
    const { key } = await ok(dev.post(`/api/apps/${id}/key`), 201, `key of ${name}`);
    return { id, key };
  };
  const live = await app('Corpus live');
  const revoked = await app('Corpus revoked');
  await ok(admin.post(`/api/admin/apps/${revoked.id}/revoke`), 200, 'revoke');
  const blocked = await app('Corpus blocked');
  await ok(owner.post(`/api/me/apps/${blocked.id}/block`), 200, 'block');
  const rotated = await app('Corpus rotated');
  await ok(dev.post(`/api/apps/${rotated.id}/key/rotate`), 200, 'rotate');
  await ok(dev.post('/api/apps', { json: { name: 'Corpus pending' } }), 201, 'register pending');

  const ownerSession = await RawSession.login(t.url, 'corpus', 'corpus-login-pw1');
  const adminSession = await RawSession.login(t.url, 'admin', ADMIN_PASSWORD);
  for (const [path, content] of Object.entries(FILES)) {
    const res = await ownerSession.request('PUT', `/api/file/upload?path=${encodeURIComponent(path)}`, { body: content });
    if (res.status !== 201) throw new Error(`corpus fixture: upload ${path}: ${res.status}`);
  }
  await ok(owner.post('/api/file/mkdir', { json: { path: '/empty' } }), 201, 'mkdir');
  const basicOwner = `Basic ${Buffer.from(`corpus:${appPw}`).toString('base64')}`;
  for (const [method, path] of [['MKCOL', '/docs'], ['PUT', '/docs/a.txt'], ['PUT', '/docs/b.txt']] as const) {
    const res = await fetch(`${t.url}/backup${path}`, { method, headers: { authorization: basicOwner }, body: method === 'PUT' ? FILES[path] : undefined });
    if (res.status !== 201) throw new Error(`corpus fixture: backup ${method} ${path}: ${res.status}`);
  }
  const oauthApp = await oauthApplication(t, 'Corpus sync');
  const walkerToken = (await tokensFor(t.url, { clientId: oauthApp.id, scope: 'dav', login: 'corpus-walker', password: 'walker-sub-pw1' })).access_token;
  const basicOther = `Basic ${Buffer.from('other:other-login-pw1').toString('base64')}`;
  const otherUpload = await fetch(`${t.url}/api/file/upload?path=%2Fsecret.txt`, { method: 'PUT', headers: { authorization: basicOther, 'x-api-key': live.key }, body: 'other customer secret' });
  if (otherUpload.status !== 201) throw new Error(`corpus fixture: other upload: ${otherUpload.status}`);

  // Each account's storage area is created on its first use, also by a read: create them now,
  // so that the corpus's snapshot compares files, not lazily created empty roots.
  for (const [login, password] of [['oldie', 'oldie-login-pw1'], ['corpus-reader', 'reader-sub-pw1']]) {
    const res = await fetch(`${t.url}/api/file/list?path=%2F`, { headers: { authorization: `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`, 'x-api-key': live.key } });
    if (res.status !== 200) throw new Error(`corpus fixture: list as ${login}: ${res.status}`);
  }
  const links = await signedLinks(t, owner);
  const host = new URL(t.url).host;
  return {
    owner,
    ownerSession,
    liveAppId: live.id,
    vars: {
      HOST: host,
      KEY: live.key,
      KEY_LOWER: live.key.toLowerCase(),
      REVOKED_KEY: revoked.key,
      BLOCKED_KEY: blocked.key,
      OLD_KEY: rotated.key,
      UNKNOWN_KEY: randomBytes(16).toString('hex').toUpperCase(),
      OWNER: 'corpus',
      OWNER_LOGIN_PW: 'corpus-login-pw1',
      APP_PW: appPw,
      SUB: 'corpus-reader',
      SUB_PW: 'reader-sub-pw1',
      WALKER: 'corpus-walker',
      WALKER_PW: 'walker-sub-pw1',
      WALKER_TOKEN: walkerToken,
      OFF: 'corpus-off',
      OFF_PW: 'off-sub-pw1',
      LEGACY: 'oldie',
      LEGACY_PW: 'oldie-login-pw1',
      NEWBIE: 'newbie',
      NEWBIE_PW: 'newbie-login-pw1',
      FROZEN: 'frozen',
      FROZEN_PW: 'frozen-login-pw1',
      OTHER: 'other',
      OTHER_PW: 'other-login-pw1',
      OWNER_ID: ids.corpus!,
      OTHER_ID: ids.other!,
      LIVE_APP_ID: live.id,
      BLOCKED_APP_ID: blocked.id,
      COOKIE: ownerSession.cookie,
      CSRF: ownerSession.csrf,
      ADMIN_COOKIE: adminSession.cookie,
      ADMIN_CSRF: adminSession.csrf,
      // An EXPIRE fixed for the whole run, for OTP cases that must be the same token twice.
      EXP: String(Math.floor(Date.now() / 1000) + 3600),
      ...links,
    },
  };
}

/**
 * Signed links of the customer (contract §4.8): live ones, and the forged, re-signed (under the
 * real key with other constraints, under another key id, under another SECRET_KEY), truncated,
 * expired and revoked ones a hostile holder could try. The re-signing uses the server's own
 * KeyRing, as someone who knew every part but the row's constraints would.
 */
async function signedLinks(t: TestApp, owner: HttpClient): Promise<Record<string, string>> {
  const make = async (body: Record<string, unknown>): Promise<{ id: string; token: string }> => ok(owner.post('/api/file/links', { json: body }), 201, `link ${JSON.stringify(body)}`);
  const link = await make({ method: 'GET', path: '/docs/a.txt', expiresIn: 3600, maxUses: 1000 });
  const once = await make({ method: 'GET', path: '/docs/a.txt', expiresIn: 3600, maxUses: 1 });
  const put = await make({ method: 'PUT', path: '/docs/a.txt', expiresIn: 3600, maxUploadBytes: 4 });
  const folder = await make({ method: 'PUT', path: '/tmp', target: 'prefix', expiresIn: 3600, maxUploadBytes: 4 });
  const ranged = await make({ method: 'GET', path: '/docs/a.txt', expiresIn: 3600, allowedRanges: ['10.0.0.0/8'] });
  const revoked = await make({ method: 'GET', path: '/docs/a.txt', expiresIn: 3600 });
  await ok(owner.delete(`/api/file/links/${revoked.id}`), 200, 'revoke link');
  const expired = await make({ method: 'GET', path: '/docs/a.txt', expiresIn: 1 });
  await new Promise((r) => setTimeout(r, 1_100));

  const parsed = parseLinkToken(link.token)!;
  const fields: SignedFields = { id: parsed.id, method: 'GET', target: 'file', path: '/docs/a.txt', expiry: parsed.expiry, allowedRanges: null, maxUses: 1000, maxUploadBytes: null };
  const signer = new LinkSigner(t.app.get(KeyRing));
  const resigned = (kid: string, f: SignedFields, by = signer) => formatLinkToken(kid, f.id, f.expiry, by.sign(kid, f));
  if (resigned('l1', fields) !== link.token) throw new Error('corpus fixture: the test signer does not sign as the server does');
  const last = link.token.at(-1)!;
  return {
    LINK: link.token,
    LINK_ONCE: once.token,
    LINK_PUT: put.token,
    LINK_FOLDER: folder.token,
    LINK_RANGED: ranged.token,
    LINK_REVOKED: revoked.token,
    LINK_EXPIRED: expired.token,
    LINK_ALTERED: link.token.slice(0, -1) + (last === 'A' ? 'B' : 'A'),
    LINK_TRUNCATED: link.token.slice(0, -3),
    LINK_NO_MAC: link.token.slice(0, link.token.lastIndexOf('.') + 1),
    LINK_LONGER_EXPIRY: resigned('l1', { ...fields, expiry: fields.expiry + 86_400 }),
    LINK_UNLIMITED: resigned('l1', { ...fields, maxUses: null }),
    LINK_OTHER_PATH: resigned('l1', { ...fields, path: '/private/p.txt' }),
    LINK_AS_PUT: resigned('l1', { ...fields, method: 'PUT' }),
    LINK_OTHER_KID: resigned('l2', fields),
    LINK_OTHER_KEY: resigned('l1', fields, new LinkSigner(new KeyRing(randomBytes(32)))),
    LINK_UNKNOWN_ID: resigned('l1', { ...fields, id: '00000000-0000-4000-8000-000000000000' }),
    LINK_ID: parsed.id,
    LINK_ID_UPPER: parsed.id.toUpperCase(),
    LINK_EXPIRY: String(parsed.expiry),
    LINK_MAC: link.token.slice(link.token.lastIndexOf('.') + 1),
  };
}
