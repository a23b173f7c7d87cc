import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpClient } from '../support/http-client.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';
import { launchBrowser, newContext, screenshot, watchConsole } from './browser.js';

const APP_PASSWORD = /^[2-9a-km-np-z]{4}(-[2-9a-km-np-z]{4}){6}$/;

/** A customer's first visit in Chromium: sign in, app connection, sublogin with rules, security. */
describe('MyPage in Chromium', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  let admin: HttpClient;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    // As behind a TLS proxy: the pages show PUBLIC_URL in examples (the tests listen on a random port).
    t = await startTestApp({ PUBLIC_URL: 'https://storage.example.com' });
    admin = await t.admin();
    await admin.post('/api/admin/accounts', { json: { login: 'alice', password: 'alice-login-password', email: 'alice@example.com' } });
    browser = await launchBrowser();
    context = await newContext(browser);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.url });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    problems = watchConsole(page);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it('sends a visitor to the sign-in page and back to where they were going', async () => {
    await page.goto(`${t.url}/mypage/sublogins`);
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Sign in');
    await page.getByLabel('Login', { exact: true }).fill('alice');
    await page.getByLabel('Password', { exact: true }).fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Wrong login or password.');
    await screenshot(page, 'sign-in');

    await page.getByLabel('Password', { exact: true }).fill('alice-login-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${t.url}/mypage/sublogins`);
    await expect(page.getByText('Signed in as').textContent()).resolves.toContain('alice');
  });

  it('enables the app connection and shows the password once, with a copy button', async () => {
    await page.goto(`${t.url}/mypage`);
    await expect(page.locator('#app-connection .badge').textContent()).resolves.toBe('Disabled');
    await page.getByRole('button', { name: 'Enable and issue an app password' }).click();
    const password = (await page.locator('#app-password').textContent())!;
    expect(password).toMatch(APP_PASSWORD);
    // The copy button appears only with JavaScript, and copies the password.
    const copy = page.getByRole('button', { name: 'Copy' });
    await expect(copy.isVisible()).resolves.toBe(true);
    await copy.click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    await expect(page.evaluate('navigator.clipboard.readText()')).resolves.toBe(password);
    await expect(page.locator('#app-connection .badge').textContent()).resolves.toBe('App password issued');
    await screenshot(page, 'mypage-app-password');

    const who = await t.client().get('/api/whoami', { basic: ['alice', password] });
    expect(who.body).toMatchObject({ login: 'alice', method: 'basic' });
    // Gone from the page once left.
    await page.goto(`${t.url}/mypage`);
    await expect(page.locator('#app-password').count()).resolves.toBe(0);
  });

  it('creates a sublogin with rules, shows its generated password once, and explains a path', async () => {
    await page.goto(`${t.url}/mypage/sublogins`);
    await page.getByLabel('Name', { exact: false }).fill('backup');
    await page.getByLabel('Rules', { exact: true }).fill('# the backup job\nallow /file/\ndeny /file/delete\nallow /file/delete/tmp\nallow /dav/read/');
    await page.getByRole('button', { name: 'Create sublogin' }).click();
    await page.waitForURL(`${t.url}/mypage/sublogins`);
    const password = (await page.locator('#sublogin-password').textContent())!;
    expect(password).toMatch(APP_PASSWORD);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Sublogin alice-backup');
    await screenshot(page, 'sublogin-created');
    expect((await t.client().get('/api/whoami', { basic: ['alice-backup', password] })).body.sublogin).toBe('backup');

    await page.getByLabel('Path', { exact: true }).fill('/FILE/delete//tmp/./old.log');
    await page.getByRole('button', { name: 'Explain' }).click();
    const result = page.locator('#explain-result');
    await expect(result.textContent()).resolves.toContain('Allowed: /file/delete/tmp/old.log');
    await expect(result.textContent()).resolves.toContain('allow /file/delete/tmp');
    await page.getByLabel('Path', { exact: true }).fill('/file/delete/docs/report.pdf');
    await page.getByRole('button', { name: 'Explain' }).click();
    await expect(page.locator('#explain-result').textContent()).resolves.toContain('Denied: /file/delete/docs/report.pdf');
    await expect(page.locator('#explain-result').textContent()).resolves.toContain('deny /file/delete');
    await screenshot(page, 'sublogin-explain');

    // The rule editor: a bad line is pointed at, the text kept.
    await page.locator('#rules-text').fill('allow /stat/\nallow stat');
    await page.getByRole('button', { name: 'Save rules' }).click();
    await expect(page.getByRole('alert').first().textContent()).resolves.toContain('Line 2 (stat): not absolute');
    await expect(page.locator('#rules-text').inputValue()).resolves.toBe('allow /stat/\nallow stat');
    await page.locator('#rules-text').fill('allow /stat/\nallow /file/list');
    await page.getByRole('button', { name: 'Save rules' }).click();
    await expect(page.getByRole('status').first().textContent()).resolves.toContain('The rules were saved.');
    await expect(page.locator('#rules-text').inputValue()).resolves.toBe('allow /stat\nallow /file/list');

    await page.goto(`${t.url}/mypage/sublogins`);
    await expect(page.getByRole('row', { name: /alice-backup/ }).textContent()).resolves.toContain('enabled');
    await screenshot(page, 'sublogins');
  });

  it('shows the security view: stale clients and the last use of each credential', async () => {
    for (let i = 0; i < 3; i++) await t.client().get('/api/whoami', { basic: ['alice-backup', 'an-old-saved-password'] });
    await page.goto(`${t.url}/mypage/security`);
    await expect(page.getByRole('table', { name: 'The same wrong password, repeated' }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole('row', { name: /Sublogin alice-backup/ }).textContent()).resolves.toContain('UTC');
    await screenshot(page, 'security');
  });

  it('reported no script error or CSP violation on any page', () => {
    expect(problems).toEqual([]);
  });
});
