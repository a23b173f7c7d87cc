import { createHash, randomBytes } from 'node:crypto';
import type { HttpClient } from './http-client.js';
import type { TestApp } from './test-app.js';

/**
 * OAuth 2 from the outside, for tests: a registered and approved application (the OAuth client,
 * with its API key), a small browser (cookie jar, manual redirects, form posts) to drive the
 * authorization server's pages, and the token endpoint's calls. No shortcut into the provider.
 */
export interface OAuthTestApp {
  id: string;
  key: string;
  redirectUri: string;
  developer: HttpClient;
}

export const REDIRECT_URI = 'http://127.0.0.1:9/callback';

export async function oauthApplication(t: Pick<TestApp, 'client' | 'admin'>, name = 'OAuth client', redirectUris: string[] = [REDIRECT_URI]): Promise<OAuthTestApp> {
  const admin = await t.admin();
  const login = `dev${randomBytes(6).toString('hex')}`;
  const password = `${login}-password`;
  await ok(admin.post('/api/admin/accounts', { json: { login, password, email: `${login}@example.com` } }), 201);
  const developer = t.client();
  await developer.login(login, password);
  const app = await ok(developer.post('/api/apps', { json: { name, redirectUris } }), 201);
  await ok(admin.post(`/api/admin/apps/${app.id}/approve`), 200);
  const issued = await ok(developer.post(`/api/apps/${app.id}/key`), 201);
  return { id: app.id, key: issued.key, redirectUri: redirectUris[0] ?? '', developer };
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface PageResponse {
  status: number;
  url: string;
  location: string | null;
  headers: Headers;
  text: string;
}

/** A browser: keeps cookies (by name and path, as RFC 6265 matches paths), follows nothing on its own. */
export class Browser {
  private readonly cookies = new Map<string, { value: string; path: string }>();

  constructor(readonly baseUrl: string) {}

  async request(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<PageResponse> {
    const absolute = new URL(url, this.baseUrl).toString();
    const headers: Record<string, string> = { ...init.headers };
    const path = new URL(absolute).pathname;
    const sent = [...this.cookies].filter(([, c]) => path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`));
    if (sent.length) headers.cookie = sent.map(([k, c]) => `${k.split('\0')[0]}=${c.value}`).join('; ');
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(absolute, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1);
      const cookiePath = /;\s*path=([^;]*)/i.exec(c)?.[1] ?? '/';
      const key = `${name}\0${cookiePath}`;
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(c)) this.cookies.delete(key);
      else this.cookies.set(key, { value, path: cookiePath });
    }
    return { status: res.status, url: absolute, location: res.headers.get('location'), headers: res.headers, text: await res.text() };
  }

  /**
   * GETs `url` and follows redirects on this server; stops at a page, or at a redirect that leaves
   * the server (to the client's redirect URI), which it returns without following.
   */
  async follow(url: string, first?: PageResponse): Promise<PageResponse> {
    let res = first ?? (await this.request(url));
    for (let hops = 0; res.status >= 300 && res.status < 400 && res.location; hops++) {
      if (hops > 20) throw new Error('too many redirects');
      const next = new URL(res.location, res.url);
      if (next.origin !== new URL(this.baseUrl).origin) return res;
      res = await this.request(next.toString());
    }
    return res;
  }
}

/** The first form on a page: its action and fields (hidden and named buttons' values are the caller's). */
export function formOf(html: string, index = 0): { action: string; fields: Record<string, string> } {
  const forms = [...html.matchAll(/<form\b[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)];
  const form = forms[index];
  if (!form) throw new Error(`no form #${index} on the page:\n${html.slice(0, 2000)}`);
  const fields: Record<string, string> = {};
  for (const input of form[2]!.matchAll(/<input\b[^>]*>/g)) {
    const name = /name="([^"]*)"/.exec(input[0])?.[1];
    const value = /value="([^"]*)"/.exec(input[0])?.[1] ?? '';
    if (name) fields[unescape(name)] = unescape(value);
  }
  return { action: unescape(form[1]!), fields };
}

function unescape(s: string): string {
  return s.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}

export interface AuthorizeOptions {
  clientId: string;
  redirectUri?: string;
  scope: string;
  login: string;
  password: string;
  decision?: 'allow' | 'deny';
  browser?: Browser;
  state?: string;
  pkce?: { verifier: string; challenge: string };
}

export interface Authorized {
  /** The redirect back to the client. */
  callback: URL;
  code: string | null;
  verifier: string;
  browser: Browser;
  /** Pages seen on the way, for assertions. */
  loginPage?: string;
  consentPage?: string;
}

/** Authorization code + PKCE through the login and consent pages, as a user's browser would. */
export async function authorize(baseUrl: string, o: AuthorizeOptions): Promise<Authorized> {
  const browser = o.browser ?? new Browser(baseUrl);
  const pkce = o.pkce ?? pkcePair();
  const state = o.state ?? randomBytes(8).toString('hex');
  const params = new URLSearchParams({ response_type: 'code', client_id: o.clientId, redirect_uri: o.redirectUri ?? REDIRECT_URI, scope: o.scope, state, code_challenge: pkce.challenge, code_challenge_method: 'S256' });
  let page = await browser.follow(`/oauth/auth?${params}`);
  let loginPage: string | undefined;
  let consentPage: string | undefined;
  for (let steps = 0; page.status === 200 || page.status === 401; steps++) {
    if (steps > 5) throw new Error('too many interaction steps');
    if (page.text.includes('name="password"')) {
      loginPage = page.text;
      const form = formOf(page.text);
      page = await browser.follow('', await browser.request(form.action, { form: { ...form.fields, login: o.login, password: o.password } }));
      if (page.status === 401) throw new Error(`login refused: ${page.text.slice(0, 500)}`);
    } else if (page.text.includes('name="decision"')) {
      consentPage = page.text;
      const form = formOf(page.text);
      page = await browser.follow('', await browser.request(form.action, { form: { ...form.fields, decision: o.decision ?? 'allow' } }));
    } else {
      throw new Error(`unexpected page ${page.status}: ${page.text.slice(0, 1000)}`);
    }
  }
  if (page.status < 300 || page.status >= 400 || !page.location) throw new Error(`expected a redirect to the client, got ${page.status}: ${page.text.slice(0, 1000)}`);
  const callback = new URL(page.location);
  if (callback.searchParams.get('state') !== state) throw new Error(`state mismatch in ${callback}`);
  return { callback, code: callback.searchParams.get('code'), verifier: pkce.verifier, browser, loginPage, consentPage };
}

export interface TokenResponse {
  status: number;
  body: any;
  headers: Headers;
}

/** A form POST to one of the provider's endpoints, optionally with client_secret_basic. */
export async function oauthPost(baseUrl: string, path: string, params: Record<string, string>, basic?: [string, string]): Promise<TokenResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(basic[0])}:${encodeURIComponent(basic[1])}`).toString('base64')}`;
  const res = await fetch(new URL(path, baseUrl), { method: 'POST', headers, body: new URLSearchParams(params).toString() });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (e.g. revocation's empty 200)
  }
  return { status: res.status, body, headers: res.headers };
}

/** The whole code flow: authorize, then exchange the code (public client, PKCE). */
export async function tokensFor(baseUrl: string, o: AuthorizeOptions): Promise<{ access_token: string; refresh_token: string; scope: string; expires_in: number; token_type: string }> {
  const a = await authorize(baseUrl, o);
  if (!a.code) throw new Error(`no code: ${a.callback}`);
  const res = await oauthPost(baseUrl, '/oauth/token', { grant_type: 'authorization_code', code: a.code, redirect_uri: o.redirectUri ?? REDIRECT_URI, client_id: o.clientId, code_verifier: a.verifier });
  if (res.status !== 200) throw new Error(`token exchange failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function ok(res: ReturnType<HttpClient['get']>, status: number): Promise<any> {
  const r = await res;
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${r.text}`);
  return r.body;
}
