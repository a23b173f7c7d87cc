import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD } from '../support/test-env.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';
import { launchBrowser, newContext, screenshot, watchConsole } from './browser.js';

/** A developer registers an application, an operator approves it, the developer gets the key. */
describe('developer and operator pages in Chromium', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  let browser: Browser;
  let operator: Page;
  let developer: Page;
  let problems: string[][];

  async function signIn(page: Page, login: string, password: string): Promise<void> {
    await page.goto(`${t.url}/sign-in`);
    await page.getByLabel('Login', { exact: true }).fill(login);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${t.url}/mypage`);
  }

  beforeAll(async () => {
    // As behind a TLS proxy: the pages show PUBLIC_URL in examples (the tests listen on a random port).
    t = await startTestApp({ PUBLIC_URL: 'https://storage.example.com' });
    browser = await launchBrowser();
    // Two separate browser profiles: two people, two sessions.
    operator = await (await newContext(browser)).newPage();
    developer = await (await newContext(browser)).newPage();
    for (const p of [operator, developer]) p.setDefaultTimeout(10_000);
    problems = [watchConsole(operator), watchConsole(developer)];
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it('lets an operator create a customer and import a legacy one', async () => {
    await signIn(operator, 'admin', ADMIN_PASSWORD);
    await operator.getByRole('link', { name: 'Accounts' }).click();
    const form = operator.locator('#create');
    await form.getByLabel(/^Login/).fill('devon');
    await form.getByLabel(/^Email/).fill('devon@example.com');
    await form.getByLabel('Initial password').fill('devon-password');
    await form.getByRole('button', { name: 'Create account' }).click();
    await expect(operator.getByRole('status').textContent()).resolves.toContain('The account was created.');

    await form.getByLabel(/^Login/).fill('oldtimer');
    await form.getByLabel(/^Email/).fill('old@example.com');
    await form.getByLabel('Initial password').fill('oldtimer-password');
    await form.getByLabel('Registered at').fill('2019-05-01T09:00:00Z');
    await form.getByRole('button', { name: 'Create account' }).click();
    await expect(operator.getByRole('row', { name: /oldtimer/ }).textContent()).resolves.toContain('2019-05-01 09:00 UTC');
    await screenshot(operator, 'operator-accounts');

    // The imported account still uses its login password for Basic: the legacy-cutoff view lists it.
    expect((await t.client().get('/api/whoami', { basic: ['oldtimer', 'oldtimer-password'] })).status).toBe(200);
    await operator.getByRole('link', { name: 'Legacy Basic' }).click();
    const row = operator.getByRole('row', { name: /oldtimer/ });
    await expect(row.textContent()).resolves.toContain('127.0.0.1');
    await expect(operator.getByRole('row', { name: /devon/ }).count()).resolves.toBe(0);
    await screenshot(operator, 'operator-legacy');
  });

  it('lets a developer register an application and an operator approve it; the key is shown once', async () => {
    await signIn(developer, 'devon', 'devon-password');
    await developer.getByRole('link', { name: 'Developer' }).click();
    await developer.getByLabel('Name').fill('Acme Sync');
    await developer.getByLabel('Description').fill('Keeps a folder in sync with your storage');
    await developer.getByLabel('Homepage').fill('https://acme.example.com/sync');
    await developer.getByRole('button', { name: 'Register' }).click();
    await expect(developer.getByRole('status').textContent()).resolves.toContain('waits for an operator’s review');
    await expect(developer.locator('.badge').first().textContent()).resolves.toBe('pending');
    const appUrl = developer.url().split('?')[0]!;

    await operator.getByRole('link', { name: 'Applications' }).click();
    const pending = operator.getByRole('row', { name: /Acme Sync/ });
    await expect(pending.textContent()).resolves.toContain('devon');
    await screenshot(operator, 'operator-applications');
    await pending.getByRole('button', { name: 'Approve' }).click();
    await expect(operator.getByRole('status').textContent()).resolves.toContain('The application is approved.');
    await expect(operator.getByText('Nothing waits for review.').isVisible()).resolves.toBe(true);

    await developer.goto(appUrl);
    await developer.getByRole('button', { name: 'Fetch the API key' }).click();
    const key = (await developer.locator('#api-key').textContent())!;
    expect(key).toMatch(/^[0-9A-F]{32}$/);
    await screenshot(developer, 'developer-api-key');
    await developer.goto(appUrl);
    await expect(developer.locator('#api-key').count()).resolves.toBe(0);
    await expect(developer.getByText(`…${key.slice(-4)}`).isVisible()).resolves.toBe(true);

    // The key works, here with the imported account's Basic credentials.
    const res = await t.client().get('/api/file/list', { basic: ['oldtimer', 'oldtimer-password'], headers: { 'x-api-key': key } });
    expect(res.status).toBe(200);
  });

  it('shows the audit log with filters', async () => {
    await operator.getByRole('link', { name: 'Audit log' }).click();
    await operator.getByLabel('Type').fill('admin.apps.approve');
    await operator.getByRole('button', { name: 'Show' }).click();
    await expect(operator.getByRole('table').textContent()).resolves.toContain('admin.apps.approve');
    await expect(operator.getByRole('table').locator('tbody tr').count()).resolves.toBe(1);
    await operator.getByRole('link', { name: 'Clear' }).click();
    await screenshot(operator, 'operator-audit');
  });

  it('reported no script error or CSP violation on any page', () => {
    expect(problems.flat()).toEqual([]);
  });
});
