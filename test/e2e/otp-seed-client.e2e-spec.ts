import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditService } from '../../src/audit/audit.service.js';
import { makeOtp, type OtpAlgorithm } from '../../src/otp/core/otp-token.js';
import { approvedApplication } from '../support/api-key.js';
import type { HttpClient } from '../support/http-client.js';
import { rawRequest } from '../support/raw-request.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';

const now = () => Math.floor(Date.now() / 1000);

/**
 * The seed's OTP generator (issue 16 item 2): a random base64 salt — `+`, `/` and `=` included —
 * and the token put into the request as it is, never percent-encoded. In a query string or a form
 * body its `+` arrives as a space.
 */
function seedSalt(i: number): string {
  // Every fourth salt holds a `+`, every fourth a `/` without `+`; the rest are as they come.
  for (;;) {
    const s = randomBytes(12).toString('base64');
    if (i % 4 === 0 && !s.includes('+')) continue;
    if (i % 4 === 1 && (!s.includes('/') || s.includes('+'))) continue;
    return s;
  }
}

type Style = 'get-raw' | 'get-encoded' | 'form-raw' | 'form-encoded' | 'json';
const STYLES: readonly Style[] = ['get-raw', 'get-encoded', 'form-raw', 'form-encoded', 'json'];

describe('OTP from a client that does not encode its token (the seed)', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  let admin: HttpClient;
  let key: string;

  beforeAll(async () => {
    // Default throttle limits (the 21st failure of a login from one subnet is a 429), without the
    // delays between failures, which only make the test slow.
    t = await startTestApp({ THROTTLE_BASE_DELAY_MS: '0', THROTTLE_MAX_DELAY_MS: '0' });
    admin = await t.admin();
    for (const login of ['seed', 'seedfail']) {
      const res = await admin.post('/api/admin/accounts', { json: { login, password: `${login}-password`, email: `${login}@example.com`, registeredAt: '2020-01-01T00:00:00Z' } });
      expect(res.status).toBe(201);
    }
    ({ key } = await approvedApplication(t));
  });
  afterAll(async () => {
    await t?.stop();
  });

  /** One call with `otp` sent in the given style; a POST creates a folder (`/seed/N`). */
  function call(style: Style, otp: string, n: number, from = '127.0.0.1') {
    const localAddress = from;
    switch (style) {
      case 'get-raw':
        return rawRequest(`${t.url}/api/whoami?otp=${otp}`, { localAddress });
      case 'get-encoded':
        return rawRequest(`${t.url}/api/whoami?otp=${encodeURIComponent(otp)}`, { localAddress });
      case 'form-raw':
        return rawRequest(`${t.url}/api/file/mkdir`, { method: 'POST', localAddress, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-api-key': key }, body: `path=/seed/${n}&otp=${otp}` });
      case 'form-encoded':
        return rawRequest(`${t.url}/api/file/mkdir`, {
          method: 'POST',
          localAddress,
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-api-key': key },
          body: new URLSearchParams({ path: `/seed/${n}`, otp }).toString(),
        });
      case 'json':
        return rawRequest(`${t.url}/api/file/mkdir`, { method: 'POST', localAddress, headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify({ path: `/seed/${n}`, otp }) });
    }
  }

  it('accepts 200 tokens in the seed\'s style, MD5 and HMAC, in the query and in form and JSON bodies: no failure, no 429', async () => {
    const outcomes: string[] = [];
    let withPlus = 0;
    for (let i = 0; i < 200; i++) {
      const algorithm: OtpAlgorithm = i % 2 === 0 ? 'md5' : 'hmac-sha256';
      const salt = seedSalt(i >> 1);
      if (salt.includes('+')) withPlus++;
      const style = STYLES[i % STYLES.length]!;
      const res = await call(style, makeOtp('seed', 'seed-password', now() + 120, salt, algorithm), i);
      const expected = style.startsWith('get') ? 200 : 201;
      outcomes.push(res.status === expected ? 'ok' : `${style} ${algorithm} ${salt}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    expect(outcomes.filter((o) => o !== 'ok')).toEqual([]);
    expect(withPlus).toBeGreaterThanOrEqual(50);
  });

  it('takes a token sent once with `+` and once with a space as one token: the second is a replay', async () => {
    for (const [first, second] of [
      ['get-encoded', 'get-raw'],
      ['get-raw', 'get-encoded'],
      ['form-raw', 'json'],
    ] as const) {
      const otp = makeOtp('seed', 'seed-password', now() + 120, `${seedSalt(0)}`, 'hmac-sha256');
      const n = 1000 + Math.floor(Math.random() * 1e6);
      const a = await call(first, otp, n);
      expect(a.status, `${first} then ${second}`).toBeLessThan(300);
      const b = await call(second, otp, n + 1);
      expect(b.status, `${first} then ${second}`).toBe(401);
      expect(b.body.code).toBe('otp_replayed');
    }
  });

  it('counts a wrong token with a space in its SALT as one failure: one audit record, one step of the throttle', async () => {
    const audit = t.app.get(AuditService);
    const failuresOf = async (login: string) => {
      await audit.flush();
      const res = await admin.get(`/api/admin/audit?type=auth.otp&login=${login}&limit=1000`);
      return (res.body as Array<{ outcome: string; code: string }>).filter((e) => e.outcome === 'failure' && e.code === 'invalid_credentials').length;
    };
    // 19 wrong tokens (THROTTLE_LOGIN_SUBNET_MAX is 20), each with a `+` sent as a space: counted
    // twice, the throttle would refuse the right token after them.
    const from = '127.0.0.9';
    for (let i = 0; i < 19; i++) {
      const res = await call('get-raw', makeOtp('seedfail', 'wrong-password', now() + 120, seedSalt(0), 'md5'), i, from);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('invalid_credentials');
    }
    expect(await failuresOf('seedfail')).toBe(19);
    const right = await call('get-raw', makeOtp('seedfail', 'seedfail-password', now() + 120, seedSalt(0), 'md5'), 0, from);
    expect(right.status).toBe(200);
    expect(right.body.login).toBe('seedfail');
  });
});
