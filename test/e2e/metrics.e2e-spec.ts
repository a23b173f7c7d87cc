import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOtp } from '../../src/otp/core/otp-token.js';
import { rawRequest } from '../support/raw-request.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';

type Started = TestApp & { env: TestEnv; stop(): Promise<void> };

/** The value of one sample line, e.g. `metric('x_total{a="b"}')`; 0 when absent. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe('/metrics', () => {
  describe('with the default METRICS_ALLOW (loopback)', () => {
    let t: Started;
    beforeAll(async () => {
      // Throttle early and without delays, so a 429 is cheap to provoke.
      t = await startTestApp({ THROTTLE_FREE_FAILURES: '50', THROTTLE_LOGIN_SUBNET_MAX: '3', OTP_MAX_TTL: '600' });
    });
    afterAll(async () => {
      await t?.stop();
    });

    it('serves Prometheus text to a loopback client without credentials', async () => {
      const res = await t.client().get('/metrics');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(res.text).toContain('# TYPE portcullis_http_requests_total counter');
      expect(res.text).toContain('# TYPE portcullis_verification_cache_hit_ratio gauge');
      expect(res.text).toContain('process_cpu_seconds_total');
    });

    it('counts requests by route pattern and status, and unmatched URLs under one label', async () => {
      await t.client().get('/health');
      await t.client().get('/api/admin/accounts/00000000-0000-4000-8000-000000000000');
      await t.client().get('/no/such/route/123');
      const text = (await t.client().get('/metrics')).text;
      expect(sample(text, 'portcullis_http_requests_total{method="GET",route="/health",status="200"}')).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'portcullis_http_requests_total{method="GET",route="/api/admin/accounts/:id",status="401"}')).toBe(1);
      expect(sample(text, 'portcullis_http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(1);
      expect(text).not.toContain('/no/such/route');
    });

    it('counts authentication outcomes by method and code, cache hits, throttles and OTP replays', async () => {
      const admin = await t.admin();
      await admin.post('/api/admin/accounts', { json: { login: 'legacy', password: 'legacy-password', email: 'l@example.com', registeredAt: '2020-01-01T00:00:00Z' } });
      const basic = (password: string) => t.client().get('/api/whoami', { basic: ['legacy', password] });
      expect((await basic('legacy-password')).status).toBe(200);
      expect((await basic('legacy-password')).status).toBe(200); // from the verification cache
      const otp = makeOtp('legacy', 'legacy-password', Math.floor(Date.now() / 1000) + 60, 'c2FsdA==', 'md5');
      expect((await rawRequest(`${t.url}/api/whoami?otp=${encodeURIComponent(otp)}`)).status).toBe(200);
      expect((await rawRequest(`${t.url}/api/whoami?otp=${encodeURIComponent(otp)}`)).body.code).toBe('otp_replayed');
      // Last: after three failures this login is refused from this subnet.
      await basic('wrong-1');
      await basic('wrong-2');
      await basic('wrong-3');
      expect((await basic('wrong-4')).status).toBe(429);

      const text = (await t.client().get('/metrics')).text;
      expect(sample(text, 'portcullis_auth_outcomes_total{method="basic",code="success"}')).toBeGreaterThanOrEqual(2);
      expect(sample(text, 'portcullis_auth_outcomes_total{method="basic",code="invalid_credentials"}')).toBe(3);
      expect(sample(text, 'portcullis_auth_outcomes_total{method="basic",code="too_many_requests"}')).toBe(1);
      expect(sample(text, 'portcullis_auth_outcomes_total{method="otp",code="otp_replayed"}')).toBe(1);
      expect(sample(text, 'portcullis_auth_outcomes_total{method="session",code="success"}')).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'portcullis_otp_replays_total')).toBe(1);
      expect(sample(text, 'portcullis_throttled_total{route="/api/whoami"}')).toBe(1);
      expect(sample(text, 'portcullis_verification_cache_hits_total')).toBeGreaterThanOrEqual(1);
      const ratio = sample(text, 'portcullis_verification_cache_hit_ratio');
      expect(ratio).toBeGreaterThan(0);
      expect(ratio).toBeLessThan(1);
    });

    it('counts bytes in and out per traffic area, WebDAV mounts included', async () => {
      await rawRequest(`${t.url}/dav/`, { method: 'PROPFIND', headers: { depth: '0' } });
      await rawRequest(`${t.url}/backup/`, { method: 'PROPFIND', headers: { depth: '0' } });
      const text = (await t.client().get('/metrics')).text;
      for (const area of ['dav', 'backup', 'other']) {
        expect(sample(text, `portcullis_traffic_bytes_total{area="${area}",direction="in"}`)).toBeGreaterThan(0);
        expect(sample(text, `portcullis_traffic_bytes_total{area="${area}",direction="out"}`)).toBeGreaterThan(0);
      }
    });

    it('does not trust a forwarded request by its peer address when no proxy is configured', async () => {
      const res = await rawRequest(`${t.url}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('forbidden');
      const forwarded = await rawRequest(`${t.url}/metrics`, { headers: { forwarded: 'for=203.0.113.9' } });
      expect(forwarded.status).toBe(403);
    });
  });

  describe('with METRICS_ALLOW set to one address', () => {
    let t: Started;
    beforeAll(async () => {
      t = await startTestApp({ METRICS_ALLOW: '127.0.0.2' });
    });
    afterAll(async () => {
      await t?.stop();
    });

    it('serves that address and refuses other clients without a session, in the API\'s JSON', async () => {
      expect((await rawRequest(`${t.url}/metrics`, { localAddress: '127.0.0.2' })).status).toBe(200);
      const other = await rawRequest(`${t.url}/metrics`, { localAddress: '127.0.0.3' });
      expect(other.status).toBe(403);
      expect(other.body).toMatchObject({ statusCode: 403, code: 'forbidden' });
    });

    it('serves an operator\'s session from anywhere, and refuses a customer\'s', async () => {
      const admin = await t.admin();
      const res = await admin.get('/metrics');
      expect(res.status).toBe(200);
      expect(res.text).toContain('portcullis_http_requests_total');

      await admin.post('/api/admin/accounts', { json: { login: 'customer', password: 'customer-password', email: 'c@example.com' } });
      const customer = t.client();
      await customer.login('customer', 'customer-password');
      const refused = await customer.get('/metrics');
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('admin_required');
    });
  });

  describe('with METRICS_ALLOW=none', () => {
    let t: Started;
    beforeAll(async () => {
      t = await startTestApp({ METRICS_ALLOW: 'none' });
    });
    afterAll(async () => {
      await t?.stop();
    });

    it('leaves metrics to operators only, loopback included', async () => {
      expect((await t.client().get('/metrics')).status).toBe(403);
      expect((await (await t.admin()).get('/metrics')).status).toBe(200);
    });
  });
});
