import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, createServer, type SecureVersion } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';

/** Does a handshake at exactly this TLS version succeed? The client allows old versions (SECLEVEL=0). */
function handshake(port: number, version: SecureVersion): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, minVersion: version, maxVersion: version, rejectUnauthorized: false, ciphers: 'DEFAULT:@SECLEVEL=0' });
    socket.once('secureConnect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('HTTPS with TLS_CERT_FILE / TLS_KEY_FILE', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  let cert: string;
  let key: string;

  beforeAll(async () => {
    const dir = (await import('node:fs/promises')).mkdtemp(join((await import('node:os')).tmpdir(), 'portcullis-tls-'));
    const d = await dir;
    cert = join(d, 'cert.pem');
    key = join(d, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    t = await startTestApp({ TLS_CERT_FILE: cert, TLS_KEY_FILE: key });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('is able to speak old TLS versions itself (control: a server that allows TLS 1.0)', async () => {
    const server = createServer({ cert: readFileSync(cert), key: readFileSync(key), minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' }, (s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      expect(await handshake(port, 'TLSv1.1')).toBe(true);
    } finally {
      server.close();
    }
  });

  it('refuses TLS 1.0 and 1.1, accepts 1.2 and 1.3', async () => {
    const port = Number(new URL(t.url).port);
    expect(await handshake(port, 'TLSv1')).toBe(false);
    expect(await handshake(port, 'TLSv1.1')).toBe(false);
    expect(await handshake(port, 'TLSv1.2')).toBe(true);
    expect(await handshake(port, 'TLSv1.3')).toBe(true);
  });

  it('serves the API over HTTPS with Secure session cookies', async () => {
    const { request } = await import('node:https');
    const res = await new Promise<{ status: number; cookies: string[] }>((resolve, reject) => {
      const req = request(`${t.url}/auth/login`, { method: 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/json' } }, (r) => {
        r.resume();
        r.on('end', () => resolve({ status: r.statusCode ?? 0, cookies: r.headers['set-cookie'] ?? [] }));
      });
      req.on('error', reject);
      req.end(JSON.stringify({ login: 'admin', password: 'operator-password-123' }));
    });
    expect(res.status).toBe(200);
    expect(res.cookies.find((c) => c.startsWith('portcullis_session='))).toMatch(/; Secure/i);
  });
});
