import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOtp } from '../../src/otp/core/otp-token.js';
import type { HttpClient } from '../support/http-client.js';
import { basicHeader, rawRequest } from '../support/raw-request.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';

const CUSTOMER = { login: 'suspendee', password: 'suspendee-password-1' } as const;
const SUB = { login: 'suspendee-worker', password: 'worker-password-1' } as const;

const now = () => Math.floor(Date.now() / 1000);
let salts = 0;
/** A fresh OTP of the sublogin (its password is the secret): each is accepted once. */
const otpOfSub = (algorithm: 'md5' | 'hmac-sha256') => makeOtp(SUB.login, SUB.password, now() + 60, `suspension-${salts++}`, algorithm);

/**
 * A customer suspended by an operator takes its sublogins with it (contract §4.1): their Basic
 * credentials and OTPs are refused at once, though both were verified and cached a moment before,
 * and work again after the operator lifts the suspension.
 */
describe("a suspended customer's sublogin", () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  let admin: HttpClient;
  let customerId: string;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.admin();
    const created = await admin.post('/api/admin/accounts', { json: { login: CUSTOMER.login, password: CUSTOMER.password, email: 's@example.com' } });
    expect(created.status, created.text).toBe(201);
    customerId = created.body.id;
    const customer = t.client();
    await customer.login(CUSTOMER.login, CUSTOMER.password);
    const sub = await customer.post('/api/sublogin/create', { json: { name: 'worker', password: SUB.password, rules: [{ path: '/dav/', effect: 'allow' }] } });
    expect(sub.status, sub.text).toBe(201);
  });
  afterAll(async () => {
    await t?.stop();
  });

  const basicWhoami = () => rawRequest(`${t.url}/api/whoami`, { headers: { authorization: basicHeader(SUB.login, SUB.password) } });
  const basicDav = () => rawRequest(`${t.url}/dav/`, { method: 'PROPFIND', headers: { authorization: basicHeader(SUB.login, SUB.password), depth: '0' } });
  const otpWhoami = (otp: string) => rawRequest(`${t.url}/api/whoami?otp=${encodeURIComponent(otp)}`);

  async function expectAccepted(): Promise<void> {
    const basic = await basicWhoami();
    expect(basic.status).toBe(200);
    expect(basic.body).toMatchObject({ login: SUB.login, account: CUSTOMER.login, sublogin: 'worker', method: 'basic' });
    expect((await basicDav()).status).toBe(207);
    for (const algorithm of ['md5', 'hmac-sha256'] as const) {
      const otp = await otpWhoami(otpOfSub(algorithm));
      expect(otp.status, algorithm).toBe(200);
      expect(otp.body).toMatchObject({ login: SUB.login, sublogin: 'worker', method: 'otp' });
    }
  }

  async function expectRefused(): Promise<void> {
    for (const res of [await basicWhoami(), await basicDav()]) {
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('invalid_credentials');
    }
    for (const algorithm of ['md5', 'hmac-sha256'] as const) {
      const otp = await otpWhoami(otpOfSub(algorithm));
      expect(otp.status, algorithm).toBe(401);
      expect(otp.body.code, algorithm).toBe('invalid_credentials');
    }
  }

  it('is refused over Basic and OTP while the customer is suspended, and accepted again after', async () => {
    // Verified, then served from the caches (Basic's verification cache, the OTP verifier's).
    await expectAccepted();
    await expectAccepted();

    const suspended = await admin.post(`/api/admin/accounts/${customerId}/suspend`);
    expect(suspended.status, suspended.text).toBe(200);
    expect(suspended.body.status).toBe('suspended');
    await expectRefused();

    const resumed = await admin.post(`/api/admin/accounts/${customerId}/unsuspend`);
    expect(resumed.status, resumed.text).toBe(200);
    expect(resumed.body.status).toBe('active');
    await expectAccepted();
  });

  it('an OTP made before the suspension and never used is refused during it, and accepted once after', async () => {
    const otp = otpOfSub('hmac-sha256');
    expect((await admin.post(`/api/admin/accounts/${customerId}/suspend`)).status).toBe(200);
    expect((await otpWhoami(otp)).body.code).toBe('invalid_credentials');
    expect((await admin.post(`/api/admin/accounts/${customerId}/unsuspend`)).status).toBe(200);
    // The refusal did not use it up: it is still good, once.
    expect((await otpWhoami(otp)).status).toBe(200);
    expect((await otpWhoami(otp)).body.code).toBe('otp_replayed');
  });
});
