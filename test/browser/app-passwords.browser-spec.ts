import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';
import { launchBrowser, newContext, screenshot, watchConsole } from './browser.js';

const APP_PASSWORD = /^[2-9a-km-np-z]{4}(-[2-9a-km-np-z]{4}){6}$/;

/** `/mypage/app-passwords` in Chromium: issue one with limits (shown once), see it listed, revoke it. */
describe('app passwords in Chromium', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    t = await startTestApp();
    const admin = await t.admin();
    await admin.post('/api/admin/accounts', { json: { login: 'carol', password: 'carol-login-password', email: 'carol@example.com' } });
    browser = await launchBrowser();
    page = await (await newContext(browser)).newPage();
    page.setDefaultTimeout(10_000);
    problems = watchConsole(page);
    await page.goto(`${t.url}/sign-in`);
    await page.getByLabel('Login', { exact: true }).fill('carol');
    await page.getByLabel('Password', { exact: true }).fill('carol-login-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${t.url}/mypage`);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it('issues a limited app password from MyPage, shows it once, lists it, and revokes it', async () => {
    await page.getByRole('button', { name: 'Enable and issue an app password' }).click();
    await page.getByRole('link', { name: 'Manage your app passwords' }).click();
    await page.waitForURL(`${t.url}/mypage/app-passwords`);
    await page.getByLabel('Name', { exact: false }).fill('office NAS');
    await page.getByLabel('Expires', { exact: false }).fill('2099-01-01T12:00');
    await page.getByLabel('Addresses', { exact: false }).fill('127.0.0.1\n192.0.2.0/24');
    await page.getByLabel('Rules', { exact: true }).fill('allow /dav/read/backup\nallow /dav/write/backup');
    await page.getByRole('button', { name: 'Issue app password' }).click();
    const password = (await page.locator('#app-password').textContent())!;
    expect(password).toMatch(APP_PASSWORD);
    const row = page.getByRole('row', { name: /office NAS/ });
    await expect(row.textContent()).resolves.toContain('192.0.2.0/24');
    await expect(row.textContent()).resolves.toContain('allow /dav/read/backup');
    await screenshot(page, 'mypage-app-passwords');

    const who = await t.client().get('/api/whoami', { basic: ['carol', password] });
    expect(who.status).toBe(200);
    const outside = await t.client().get('/dav/other/', { basic: ['carol', password] });
    expect(outside.body.code).toBe('outside_scope');

    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.waitForURL(`${t.url}/mypage/app-passwords?notice=app-password-revoked`);
    await expect(page.locator('#app-password').count()).resolves.toBe(0);
    await expect(page.getByRole('row', { name: /office NAS/ }).count()).resolves.toBe(0);
    expect((await t.client().get('/api/whoami', { basic: ['carol', password] })).status).toBe(401);
    expect(problems).toEqual([]);
  });
});
