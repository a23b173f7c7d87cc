/**
 * A small HTTP client over fetch with a cookie jar and the CSRF double submit, so tests speak
 * to the service as a browser or a script would.
 */
export interface HttpResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  json?: unknown;
  form?: Record<string, string>;
  body?: string | Uint8Array;
  headers?: Record<string, string>;
  basic?: [string, string];
}

export class HttpClient {
  private readonly cookies = new Map<string, string>();
  csrfToken: string | undefined;

  constructor(readonly baseUrl: string) {}

  async login(login: string, password: string): Promise<HttpResponse> {
    const res = await this.post('/auth/login', { json: { login, password } });
    if (res.status !== 200) throw new Error(`login ${login} failed: ${res.status} ${res.text}`);
    this.csrfToken = res.body.csrfToken;
    return res;
  }

  get(path: string, opts: RequestOptions = {}): Promise<HttpResponse> {
    return this.request('GET', path, opts);
  }
  post(path: string, opts: RequestOptions = {}): Promise<HttpResponse> {
    return this.request('POST', path, opts);
  }
  put(path: string, opts: RequestOptions = {}): Promise<HttpResponse> {
    return this.request('PUT', path, opts);
  }
  delete(path: string, opts: RequestOptions = {}): Promise<HttpResponse> {
    return this.request('DELETE', path, opts);
  }

  async request(method: string, path: string, opts: RequestOptions = {}): Promise<HttpResponse> {
    const headers: Record<string, string> = { ...opts.headers };
    let body: string | Uint8Array | undefined = opts.body;
    if (opts.json !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(opts.json);
    } else if (opts.form) {
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
      body = new URLSearchParams(opts.form).toString();
    }
    if (opts.basic) headers.authorization = `Basic ${Buffer.from(`${opts.basic[0]}:${opts.basic[1]}`, 'utf8').toString('base64')}`;
    if (this.cookies.size && !('cookie' in headers)) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (this.csrfToken && !['GET', 'HEAD', 'OPTIONS'].includes(method) && !('x-csrf-token' in headers)) headers['x-csrf-token'] = this.csrfToken;

    const res = await fetch(this.baseUrl + path, { method, headers, body, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await res.text();
    let parsed: unknown = text;
    if (res.headers.get('content-type')?.includes('json') && text) parsed = JSON.parse(text);
    return { status: res.status, headers: res.headers, body: parsed, text };
  }
}
