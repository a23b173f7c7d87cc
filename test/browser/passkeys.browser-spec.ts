import { createServer } from 'node:net';
import { generateSync } from 'otplib';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountsService } from '../../src/accounts/accounts.service.js';
import { ensureBootstrapAdmin } from '../../src/accounts/bootstrap-admin.js';
import { createApp } from '../../src/app.factory.js';
import { loadConfig } from '../../src/config/config.js';
import { HttpClient } from '../support/http-client.js';
import { ADMIN_PASSWORD, createTestEnv, type TestEnv } from '../support/test-env.js';
import { launchBrowser, newContext, screenshot, watchConsole } from './browser.js';

const PASSWORD = 'erin-login-password';

/** A free loopback port: WebAuthn needs the RP id (PUBLIC_URL's host) to be the page's, and no IP address. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Chromium's virtual authenticator (DevTools protocol): a platform passkey that verifies its user. */
async function virtualAuthenticator(page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { cdp, authenticatorId };
}

/**
 * Two-factor sign-in as a person does it in Chromium (issue 21): a passkey registered in MyPage
 * with the DevTools virtual authenticator, then used as the second factor after the password and
 * as a sign-in of its own, and removed; an authenticator app set up on /mypage/two-factor (the
 * codes computed here with otplib) and used to sign in. Screenshots for the README.
 */
describe('two-factor sign-in in Chromium', () => {
  let env: TestEnv;
  let app: Awaited<ReturnType<typeof createApp>>;
  let url: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];
  let cdp: CDPSession;
  let authenticatorId: string;

  beforeAll(async () => {
    const port = await freePort();
    url = `http://localhost:${port}`;
    env = await createTestEnv({ PUBLIC_URL: url });
    const config = loadConfig(env.env);
    app = await createApp(config);
    await ensureBootstrapAdmin(app.get(AccountsService), config);
    await app.listen({ host: '127.0.0.1', port });
    const admin = new HttpClient(url);
    await admin.login('admin', ADMIN_PASSWORD);
    for (const login of ['erin', 'frank']) {
      expect((await admin.post('/api/admin/accounts', { json: { login, password: PASSWORD, email: `${login}@example.com` } })).status).toBe(201);
    }
    browser = await launchBrowser();
    context = await newContext(browser);
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    problems = watchConsole(page);
    ({ cdp, authenticatorId } = await virtualAuthenticator(page));
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await env?.dispose();
  });

  async function signInWithPassword(login: string, next = '/mypage'): Promise<void> {
    await page.goto(`${url}/sign-in?next=${encodeURIComponent(next)}`);
    await page.getByLabel('Login', { exact: true }).fill(login);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  async function signOut(): Promise<void> {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${url}/sign-in?notice=signed-out`);
  }

  it('registers a passkey in MyPage: the first second factor, with recovery codes shown once', async () => {
    await signInWithPassword('erin', '/mypage/two-factor');
    await page.waitForURL(`${url}/mypage/two-factor`);
    await page.getByRole('link', { name: 'Add a passkey' }).click();
    await page.waitForURL(`${url}/mypage/passkeys`);
    await page.getByLabel('Name', { exact: false }).fill('Work laptop');
    await screenshot(page, 'passkey-add');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'was added' }).textContent()).resolves.toContain('The passkey “Work laptop” was added.');
    await expect(page.locator('#recovery-codes').textContent()).resolves.toMatch(/\S/);
    await expect(page.getByRole('row', { name: /Work laptop/ }).textContent()).resolves.toContain('never');
    await screenshot(page, 'passkey-added');
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]!.isResidentCredential).toBe(true);
  });

  it('signs in with the password and then the passkey as the second factor', async () => {
    await signOut();
    await signInWithPassword('erin', '/mypage/passkeys');
    await page.waitForURL(/\/sign-in\/second-factor/);
    await page.getByRole('button', { name: 'Use a passkey' }).waitFor();
    await screenshot(page, 'sign-in-second-factor-passkey');
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await page.waitForURL(`${url}/mypage/passkeys`);
    await expect(page.getByText('Signed in as').textContent()).resolves.toContain('erin');
    await expect(page.getByRole('row', { name: /Work laptop/ }).textContent()).resolves.toContain('UTC');
  });

  it('signs in with the passkey alone, from the sign-in page', async () => {
    await signOut();
    await page.goto(`${url}/sign-in?next=${encodeURIComponent('/mypage/passkeys')}`);
    const button = page.getByRole('button', { name: 'Use a passkey' });
    await button.waitFor();
    await screenshot(page, 'sign-in-passkey');
    await button.click();
    await page.waitForURL(`${url}/mypage/passkeys`);
    await expect(page.getByText('Signed in as').textContent()).resolves.toContain('erin');
  });

  it('asks for the passkey again before removing it (no second factor in the last 10 minutes), then removes it', async () => {
    // As if the passkey sign-in above were 11 minutes ago.
    await app.get(DataSource).query(`UPDATE sessions SET second_factor_at = ${Date.now() - 11 * 60_000}`);
    await page.getByRole('button', { name: 'Remove Work laptop' }).click();
    await page.waitForURL(/\/sign-in\/second-factor\?next=%2Fmypage%2Fpasskeys/);
    await expect(page.getByRole('heading', { level: 2 }).first().textContent()).resolves.toBe('Confirm it is you');
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await page.waitForURL(`${url}/mypage/passkeys`);
    await page.getByRole('button', { name: 'Remove Work laptop' }).click();
    await page.waitForURL(`${url}/mypage/passkeys?done=removed`);
    await expect(page.getByRole('status').first().textContent()).resolves.toContain('The passkey was removed');
    await expect(page.getByText('You have no passkey yet.').isVisible()).resolves.toBe(true);
  });

  it('refuses the removed passkey at sign-in (the browser still holds it)', async () => {
    await signOut();
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await expect(page.getByRole('alert').first().textContent()).resolves.toContain('The passkey was not accepted');
  });

  it('sets up an authenticator app on /mypage/two-factor and signs in with its code', async () => {
    await signInWithPassword('frank', '/mypage/two-factor');
    await page.waitForURL(`${url}/mypage/two-factor`);
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const secret = ((await page.locator('#totp-secret').textContent()) ?? '').replace(/\s+/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    await expect(page.getByRole('img', { name: /QR code/ }).isVisible()).resolves.toBe(true);
    await screenshot(page, 'totp-setup');
    const now = Math.floor(Date.now() / 1000);
    await page.getByLabel('Code from the app').fill(generateSync({ secret, epoch: now }));
    await page.getByRole('button', { name: 'Confirm and turn on' }).click();
    await expect(page.locator('#recovery-codes').textContent()).resolves.toMatch(/\S/);
    await screenshot(page, 'totp-enabled');

    await signOut();
    await signInWithPassword('frank', '/mypage/two-factor');
    await page.waitForURL(/\/sign-in\/second-factor/);
    await screenshot(page, 'sign-in-second-factor-totp');
    // The code of the next time step: the one above was used (a code is accepted once).
    await page.getByLabel(/6-digit code/).fill(generateSync({ secret, epoch: now + 30 }));
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${url}/mypage/two-factor`);
    await expect(page.getByText('Signed in as').textContent()).resolves.toContain('frank');
  });

  it('reported no script error or CSP violation on any page', () => {
    expect(problems).toEqual([]);
  });
});
