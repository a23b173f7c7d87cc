// Sets up a benchmark target through its public HTTP API, as a customer, a developer and an
// operator would: an approved application with its API key, and a sublogin with ACL rules.

export class Client {
  constructor(base) {
    this.base = base;
    this.cookies = new Map();
    this.csrf = undefined;
  }
  async req(method, path, body) {
    const headers = body === undefined ? {} : { 'content-type': 'application/json' };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (this.csrf && method !== 'GET') headers['x-csrf-token'] = this.csrf;
    const res = await fetch(this.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      this.cookies.set(pair.slice(0, i), pair.slice(i + 1));
    }
    const json = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }
  async login(login, password) {
    this.csrf = (await this.req('POST', '/auth/login', { login, password })).csrfToken;
  }
}

export async function setupTarget(base) {
  const admin = new Client(base);
  await admin.login('admin', 'bench-operator-password');
  await admin.req('POST', '/api/admin/accounts', { login: 'developer', password: 'developer-password', email: 'dev@example.com' });
  const dev = new Client(base);
  await dev.login('developer', 'developer-password');
  const app = await dev.req('POST', '/api/apps', { name: 'Bench client' });
  await admin.req('POST', `/api/admin/apps/${app.id}/approve`);
  const { key } = await dev.req('POST', `/api/apps/${app.id}/key`);

  const customer = new Client(base);
  await customer.login('bench', 'bench-password');
  await customer.req('POST', '/api/sublogin/create', {
    name: 'reader',
    password: 'bench-sub-password',
    rules: [
      { path: '/file/', effect: 'allow' },
      { path: '/file/delete', effect: 'deny' },
    ],
  });
  return { apiKey: key, sublogin: ['bench-reader', 'bench-sub-password'] };
}
