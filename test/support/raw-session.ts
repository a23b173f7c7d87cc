import { connect, type Socket } from 'node:net';

/**
 * A signed-in session for tests that need what HttpClient hides: binary response bodies,
 * streamed request bodies, and a raw socket that can be cut mid-request.
 */
export interface RawResponse {
  status: number;
  headers: Headers;
  bytes: Buffer;
  json: any;
}

export class RawSession {
  private constructor(
    readonly baseUrl: string,
    readonly cookie: string,
    readonly csrf: string,
  ) {}

  static async login(baseUrl: string, login: string, password: string): Promise<RawSession> {
    const res = await fetch(`${baseUrl}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login, password }) });
    if (res.status !== 200) throw new Error(`login ${login} failed: ${res.status}`);
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const { csrfToken } = (await res.json()) as { csrfToken: string };
    return new RawSession(baseUrl, cookie, csrfToken);
  }

  async request(method: string, path: string, init: { body?: string | Uint8Array | ReadableStream<Uint8Array>; headers?: Record<string, string>; csrf?: boolean } = {}): Promise<RawResponse> {
    const headers: Record<string, string> = { cookie: this.cookie, ...init.headers };
    if (init.csrf !== false && !['GET', 'HEAD'].includes(method)) headers['x-csrf-token'] = this.csrf;
    const streamed = init.body instanceof ReadableStream;
    const res = await fetch(this.baseUrl + path, { method, headers, body: init.body, ...(streamed ? { duplex: 'half' } : {}) } as RequestInit);
    const bytes = Buffer.from(await res.arrayBuffer());
    let json: unknown;
    if (res.headers.get('content-type')?.includes('json') && bytes.length) json = JSON.parse(bytes.toString('utf8'));
    return { status: res.status, headers: res.headers, bytes, json };
  }

  /**
   * Opens a connection and sends the request line, headers and `firstChunk` of a body announced
   * as `contentLength` bytes, then leaves it hanging: the caller decides when to cut it.
   */
  async startUpload(path: string, contentLength: number, firstChunk: Buffer): Promise<Socket> {
    const url = new URL(this.baseUrl);
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.on('error', () => undefined); // the server may reset it; the test decides what matters
    socket.write(
      `PUT ${path} HTTP/1.1\r\nHost: ${url.host}\r\nCookie: ${this.cookie}\r\nX-CSRF-Token: ${this.csrf}\r\n` +
        `Content-Type: application/octet-stream\r\nContent-Length: ${contentLength}\r\n\r\n`,
    );
    socket.write(firstChunk);
    return socket;
  }
}

/** Polls `check` until it returns true (or throws after `timeoutMs`). */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
