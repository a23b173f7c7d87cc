#!/usr/bin/env node
// Obtains an OAuth 2 access token from a running Portcullis through the real flow, as
// test/support/oauth.ts does in the e2e tests (no shortcut into the provider):
//   1. the operator creates a developer account; the developer registers an application with a
//      loopback redirect URI and issues its API key; the operator approves the application;
//   2. authorization code + PKCE S256 through the sign-in and consent pages, signed in as the
//      user (a cookie jar, redirects followed by hand, the pages' forms posted back);
//   3. the code is exchanged at /oauth/token.
// Prints the token response as JSON ({ access_token, refresh_token, scope, …, client_id,
// api_key }) on stdout; `--field access_token` prints that field alone. Needs Node ≥ 22 only.
//
// Environment: PORTCULLIS_URL (e.g. http://127.0.0.1:3000), ADMIN_LOGIN (default admin),
// ADMIN_PASSWORD, OAUTH_LOGIN, OAUTH_PASSWORD (the user who authorises), OAUTH_SCOPE (default dav).
// Also importable: `obtainTokens({ base, adminPassword, login, password, scope })` (bench/run.mjs).
import { createHash, randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';

const REDIRECT_URI = 'http://127.0.0.1:9/callback';

function required(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`oauth-token: ${name} is not set`);
    process.exit(2);
  }
  return v;
}

/** A tiny browser: cookies by name and path, manual redirects, form posts, JSON with CSRF. */
class Browser {
  cookies = new Map();
  csrf = undefined;

  constructor(base) {
    this.base = base;
  }

  async request(url, { method, form, json, headers = {} } = {}) {
    const absolute = new URL(url, this.base).toString();
    const path = new URL(absolute).pathname;
    const sent = [...this.cookies].filter(([, c]) => path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`));
    if (sent.length) headers.cookie = sent.map(([k, c]) => `${k.split('\0')[0]}=${c.value}`).join('; ');
    let body;
    if (form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(form).toString();
    } else if (json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(json);
    }
    method ??= body === undefined ? 'GET' : 'POST';
    if (this.csrf && method !== 'GET') headers['x-csrf-token'] = this.csrf;
    const res = await fetch(absolute, { method, headers, body, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair.indexOf('=');
      const key = `${pair.slice(0, eq).trim()}\0${/;\s*path=([^;]*)/i.exec(c)?.[1] ?? '/'}`;
      const value = pair.slice(eq + 1);
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(c)) this.cookies.delete(key);
      else this.cookies.set(key, { value, path: key.split('\0')[1] });
    }
    return { status: res.status, url: absolute, location: res.headers.get('location'), text: await res.text() };
  }

  async api(method, path, json, expected) {
    const res = await this.request(path, { method, json });
    if (res.status !== expected) throw new Error(`${method} ${path}: expected ${expected}, got ${res.status}: ${res.text.slice(0, 500)}`);
    return res.text ? JSON.parse(res.text) : {};
  }

  async signIn(login, password) {
    this.csrf = (await this.api('POST', '/auth/login', { login, password }, 200)).csrfToken;
  }

  /** Follows redirects on this server; stops at a page or at a redirect that leaves it. */
  async follow(res) {
    for (let hops = 0; res.status >= 300 && res.status < 400 && res.location; hops++) {
      if (hops > 20) throw new Error('too many redirects');
      const next = new URL(res.location, res.url);
      if (next.origin !== new URL(this.base).origin) return res;
      res = await this.request(next.toString());
    }
    return res;
  }
}

function formOf(html) {
  const form = /<form\b[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/.exec(html);
  if (!form) throw new Error(`no form on the page:\n${html.slice(0, 1000)}`);
  const fields = {};
  for (const input of form[2].matchAll(/<input\b[^>]*>/g)) {
    const name = /name="([^"]*)"/.exec(input[0])?.[1];
    if (name) fields[unescape(name)] = unescape(/value="([^"]*)"/.exec(input[0])?.[1] ?? '');
  }
  return { action: unescape(form[1]), fields };
}

function unescape(s) {
  return s.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}

export async function obtainTokens({ base, adminLogin = 'admin', adminPassword, login, password, scope = 'dav' }) {
  base = base.replace(/\/$/, '');

  // 1. An approved application (the OAuth client) with its API key.
  const admin = new Browser(base);
  await admin.signIn(adminLogin, adminPassword);
  const devLogin = `dev${randomBytes(6).toString('hex')}`;
  const devPassword = `${devLogin}-${randomBytes(9).toString('hex')}`;
  await admin.api('POST', '/api/admin/accounts', { login: devLogin, password: devPassword, email: `${devLogin}@example.com` }, 201);
  const developer = new Browser(base);
  await developer.signIn(devLogin, devPassword);
  const app = await developer.api('POST', '/api/apps', { name: `CI client ${devLogin}`, redirectUris: [REDIRECT_URI] }, 201);
  await admin.api('POST', `/api/admin/apps/${app.id}/approve`, undefined, 200);
  const { key } = await developer.api('POST', `/api/apps/${app.id}/key`, undefined, 201);

  // 2. Authorization code + PKCE through the sign-in and consent pages.
  const user = new Browser(base);
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(8).toString('hex');
  const params = new URLSearchParams({
    response_type: 'code', client_id: app.id, redirect_uri: REDIRECT_URI, scope, state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  });
  let page = await user.follow(await user.request(`/oauth/auth?${params}`));
  for (let steps = 0; page.status === 200 || page.status === 401; steps++) {
    if (steps > 5) throw new Error('too many interaction steps');
    const form = formOf(page.text);
    if (page.text.includes('name="password"')) {
      page = await user.follow(await user.request(form.action, { form: { ...form.fields, login, password } }));
      if (page.status === 401) throw new Error(`sign-in refused: ${page.text.slice(0, 300)}`);
    } else if (page.text.includes('name="decision"')) {
      page = await user.follow(await user.request(form.action, { form: { ...form.fields, decision: 'allow' } }));
    } else {
      throw new Error(`unexpected page ${page.status}: ${page.text.slice(0, 500)}`);
    }
  }
  if (!page.location) throw new Error(`expected a redirect to the client, got ${page.status}: ${page.text.slice(0, 500)}`);
  const callback = new URL(page.location);
  if (callback.searchParams.get('state') !== state) throw new Error(`state mismatch in ${callback}`);
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`no code: ${callback}`);

  // 3. The code for tokens (public client: PKCE, no secret).
  const res = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: app.id, code_verifier: verifier }),
  });
  const tokens = await res.json();
  if (res.status !== 200 || !tokens.access_token) throw new Error(`token exchange failed: ${res.status} ${JSON.stringify(tokens)}`);
  return { ...tokens, client_id: app.id, api_key: key };
}

async function main() {
  const out = await obtainTokens({
    base: required('PORTCULLIS_URL'),
    adminLogin: process.env.ADMIN_LOGIN ?? 'admin',
    adminPassword: required('ADMIN_PASSWORD'),
    login: required('OAUTH_LOGIN'),
    password: required('OAUTH_PASSWORD'),
    scope: process.env.OAUTH_SCOPE ?? 'dav',
  });
  const i = process.argv.indexOf('--field');
  if (i > 0) {
    const v = out[process.argv[i + 1]];
    if (v === undefined) throw new Error(`no field ${process.argv[i + 1]} in the token response`);
    console.log(v);
  } else {
    console.log(JSON.stringify(out));
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(`oauth-token: ${err.message}`);
    process.exit(1);
  });
}
