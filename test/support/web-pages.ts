import { HttpClient, type HttpResponse } from './http-client.js';

/** The value of a hidden form field on a page (the CSRF token, the sign-in form's token). */
export function hiddenField(page: string, name: string): string {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(page);
  if (!m) throw new Error(`no ${name} field on the page`);
  return m[1]!;
}

/** The text of an element by id (e.g. a password shown once in `<code id="app-password">`). */
export function elementText(page: string, id: string): string | undefined {
  return new RegExp(`id="${id}"[^>]*>([^<]*)<`).exec(page)?.[1];
}

/**
 * A browser without JavaScript, for the server-rendered pages: a cookie jar, form posts, and the
 * CSRF token taken from the `_csrf` field of the last page it loaded (never the header).
 */
export class PageClient {
  readonly http: HttpClient;
  csrf: string | undefined;

  constructor(baseUrl: string) {
    this.http = new HttpClient(baseUrl);
  }

  async signIn(login: string, password: string, next?: string): Promise<HttpResponse> {
    const form = await this.http.get(`/sign-in${next ? `?next=${encodeURIComponent(next)}` : ''}`);
    const res = await this.http.post('/sign-in', { form: { _signin: hiddenField(form.text, '_signin'), next: hiddenField(form.text, 'next'), login, password } });
    if (res.status !== 303) throw new Error(`sign-in of ${login} failed: ${res.status}`);
    return res;
  }

  async get(path: string): Promise<HttpResponse> {
    const res = await this.http.get(path);
    const m = /name="_csrf" value="([^"]*)"/.exec(res.text);
    if (m) this.csrf = m[1];
    return res;
  }

  /** Posts a form as the page would, with the page's CSRF token unless one is given. */
  post(path: string, fields: Record<string, string> = {}): Promise<HttpResponse> {
    return this.http.post(path, { form: { ...(this.csrf !== undefined ? { _csrf: this.csrf } : {}), ...fields } });
  }
}
