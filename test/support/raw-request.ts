import { request } from 'node:http';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/**
 * A request from a chosen loopback source address (127.0.0.2, 127.0.0.3, …), so tests can act as
 * different clients, and with headers exactly as given (no normalisation by fetch).
 */
export function rawRequest(url: string, opts: { method?: string; headers?: Record<string, string>; localAddress?: string; body?: string } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers, localAddress: opts.localAddress }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        if (String(res.headers['content-type']).includes('json') && text) body = JSON.parse(text);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

export function basicHeader(login: string, password: string, encoding: BufferEncoding = 'utf8'): string {
  return `Basic ${Buffer.from(`${login}:${password}`, encoding).toString('base64')}`;
}
