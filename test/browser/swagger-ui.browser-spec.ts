import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOtp } from '../../src/otp/core/otp-token.js';
import { approvedApplication, type TestApplication } from '../support/api-key.js';
import { oauthApplication, tokensFor } from '../support/oauth.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';
import { launchBrowser, newContext, screenshot } from './browser.js';

/** Fills one scheme's block of the "Available authorizations" dialog and presses its Authorize. */
async function authorize(page: Page, scheme: string, values: string[]): Promise<void> {
  if (!(await page.locator('.dialog-ux').isVisible())) await page.locator('.auth-wrapper button.authorize').click();
  const block = page.locator('.dialog-ux .auth-container').filter({ has: page.locator('h4', { hasText: new RegExp(`^${scheme}\\s`) }) });
  const inputs = block.locator('input');
  for (let i = 0; i < values.length; i++) await inputs.nth(i).fill(values[i]!);
  await block.locator('button.authorize').click();
  await block.getByText('Authorized', { exact: true }).waitFor();
}

async function closeDialog(page: Page): Promise<void> {
  await page.locator('.dialog-ux button.btn-done').first().click();
}

/** "Try it out" → "Execute" on one operation; answers the live response's status and body. */
async function execute(page: Page, operationId: string, tag: string): Promise<{ status: number; body: string }> {
  const op = page.locator(`#operations-${tag}-${operationId}`);
  if (!(await op.locator('.opblock-body').isVisible())) await op.locator('.opblock-summary').click();
  const tryOut = op.locator('button.try-out__btn', { hasText: 'Try it out' });
  if (await tryOut.isVisible()) await tryOut.click();
  // Clear an earlier answer first, so the one read below is this call's.
  if (await op.locator('button.btn-clear').isVisible()) {
    await op.locator('button.btn-clear').click();
    await op.locator('.live-responses-table').waitFor({ state: 'detached' });
  }
  await op.locator('button.execute').click();
  const status = op.locator('.live-responses-table tbody .response-col_status').first();
  await status.waitFor();
  const body = await op.locator('.live-responses-table tbody .response-col_description pre').first().innerText();
  return { status: Number((await status.innerText()).trim()), body };
}

describe('Swagger UI at /docs in Chromium', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  let browser: Browser;
  let app: TestApplication;

  beforeAll(async () => {
    t = await startTestApp({ OTP_MAX_TTL: '600' });
    const admin = await t.admin();
    // A customer from before the cutoff: Basic takes the login password, as in the README's first steps.
    await admin.post('/api/admin/accounts', { json: { login: 'alice', password: 'alice-password', email: 'alice@example.com', registeredAt: '2020-01-01T00:00:00Z' } });
    app = await approvedApplication(t, 'Swagger demo');
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  async function openDocs(): Promise<Page> {
    const page = await (await newContext(browser)).newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${t.url}/docs`);
    await page.locator('.auth-wrapper button.authorize').waitFor();
    return page;
  }

  it('authorizes with Basic and an API key, and "Try it out" succeeds for whoami, file/list and stat/traffic', async () => {
    const page = await openDocs();
    await screenshot(page, 'swagger-ui', { fullPage: false });
    // Tall enough for the whole "Available authorizations" dialog in its screenshot.
    await page.setViewportSize({ width: 1200, height: 2000 });
    await authorize(page, 'basic', ['alice', 'alice-password']);
    await authorize(page, 'api_key', [app.key]);
    await screenshot(page.locator('.dialog-ux .modal-ux'), 'swagger-authorize');
    await closeDialog(page);

    const whoami = await execute(page, 'WhoamiController_whoami', 'whoami');
    expect(whoami.status).toBe(200);
    expect(JSON.parse(whoami.body)).toMatchObject({ login: 'alice', method: 'basic', application: { id: app.id, name: 'Swagger demo' } });
    await screenshot(page.locator('#operations-whoami-WhoamiController_whoami'), 'swagger-whoami');

    const list = await execute(page, 'FilesController_list', 'files');
    expect(list.status).toBe(200);
    expect(JSON.parse(list.body)).toHaveProperty('items');
    const traffic = await execute(page, 'StatsController_traffic', 'statistics');
    expect(traffic.status).toBe(200);
    expect(JSON.parse(traffic.body)).toMatchObject({ granularity: 'hour' });
  });

  it('"Try it out" on GET /api/file/list fills in no example: a new user\'s first listing shows their files', async () => {
    const basic = `Basic ${Buffer.from('alice:alice-password').toString('base64')}`;
    const put = await fetch(`${t.url}/api/file/upload?path=/welcome.txt`, { method: 'PUT', headers: { authorization: basic, 'x-api-key': app.key, 'content-type': 'application/octet-stream' }, body: 'hello' });
    expect(put.status).toBe(201);
    const page = await openDocs();
    await authorize(page, 'basic', ['alice', 'alice-password']);
    await authorize(page, 'api_key', [app.key]);
    await closeDialog(page);

    const op = page.locator('#operations-files-FilesController_list');
    await op.locator('.opblock-summary').click();
    await op.locator('button.try-out__btn', { hasText: 'Try it out' }).click();
    const input = (name: string) => op.locator(`tr[data-param-name="${name}"][data-param-in="query"] input`);
    // Examples (`name,size`, `*.pdf`) are in the descriptions, not in the inputs…
    await expect.poll(() => op.locator('tr[data-param-name="filter_full_name"]').innerText()).toContain('*.pdf');
    expect(await input('fields').inputValue()).toBe('');
    expect(await input('filter_full_name').inputValue()).toBe('');
    // …and the one input filled is path, with its default (what leaving it out means).
    expect(await input('path').inputValue()).toBe('/');

    const list = await execute(page, 'FilesController_list', 'files');
    expect(list.status).toBe(200);
    expect(JSON.parse(list.body).items.map((e: { name: string }) => e.name)).toContain('welcome.txt');
    const url = await op.locator('.request-url pre').innerText();
    expect(url).not.toMatch(/fields=|filter_full_name=/);
  });

  it('authorizes with a one-time password (sent as ?otp=), accepted once', async () => {
    const page = await openDocs();
    const otp = makeOtp('alice', 'alice-password', Math.floor(Date.now() / 1000) + 120, 'c3dhZ2dlcg==', 'hmac-sha256');
    await authorize(page, 'otp', [otp]);
    await closeDialog(page);
    const first = await execute(page, 'WhoamiController_whoami', 'whoami');
    expect(first.status).toBe(200);
    expect(JSON.parse(first.body)).toMatchObject({ login: 'alice', method: 'otp' });
    const again = await execute(page, 'WhoamiController_whoami', 'whoami');
    expect(again.status).toBe(401);
    expect(JSON.parse(again.body).code).toBe('otp_replayed');
  });

  it('authorizes with an OAuth Bearer token, and "Try it out" succeeds for whoami', async () => {
    const client = await oauthApplication(t, 'Swagger OAuth demo');
    const { access_token } = await tokensFor(t.url, { clientId: client.id, scope: 'file:read stat:read', login: 'alice', password: 'alice-password' });
    const page = await openDocs();
    await authorize(page, 'bearer', [access_token]);
    await closeDialog(page);
    const whoami = await execute(page, 'WhoamiController_whoami', 'whoami');
    expect(whoami.status).toBe(200);
    expect(JSON.parse(whoami.body)).toMatchObject({ login: 'alice', method: 'bearer', application: { id: client.id } });
  });

  it('uses the signed-in session for "Try it out", CSRF token included', async () => {
    const page = await openDocs();
    await page.goto(`${t.url}/sign-in`);
    await page.getByLabel('Login', { exact: true }).fill('alice');
    await page.getByLabel('Password', { exact: true }).fill('alice-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${t.url}/mypage`);
    await page.goto(`${t.url}/docs`);
    const reissued = await execute(page, 'MeController_reissue', 'me');
    expect(reissued.status).toBe(200);
    expect(JSON.parse(reissued.body)).toMatchObject({ state: 'issued', basicAccepts: 'issued' });
  });
});
