import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';
import { launchBrowser, newContext } from './browser.js';

/**
 * Login CSRF in Chromium: a page on another site cannot sign the visitor in to the attacker's
 * account through `POST /auth/login` (form or fetch), while Swagger UI's "Try it out" on that
 * route (same origin, JSON), as the README describes it, still signs in.
 */
describe('POST /auth/login in Chromium: refused from another site, working from Swagger UI', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  let browser: Browser;
  let evil: Server;
  /** The attacker's site: another host name (localhost vs 127.0.0.1), so the browser calls it cross-site. */
  let evilUrl: string;
  let evilPage = '';

  beforeAll(async () => {
    t = await startTestApp();
    const admin = await t.admin();
    expect((await admin.post('/api/admin/accounts', { json: { login: 'mallory', password: 'mallory-password', email: 'mallory@example.com' } })).status).toBe(201);
    expect((await admin.post('/api/admin/accounts', { json: { login: 'alice', password: 'alice-password', email: 'alice@example.com', registeredAt: '2020-01-01T00:00:00Z' } })).status).toBe(201);
    evil = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(evilPage);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    evilUrl = `http://localhost:${(evil.address() as AddressInfo).port}`;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => evil?.close(resolve));
    await t?.stop();
  });

  async function sessionCookie(context: BrowserContext): Promise<string | undefined> {
    return (await context.cookies(t.url)).find((c) => c.name === 'portcullis_session')?.value;
  }

  it("refuses another site's auto-submitted form: 403 csrf_failed, and the browser holds no session", async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    evilPage = `<!doctype html><form method="post" action="${t.url}/auth/login">
      <input name="login" value="mallory"><input name="password" value="mallory-password"></form>
      <script>document.forms[0].submit()</script>`;
    const answer = page.waitForResponse(`${t.url}/auth/login`);
    await page.goto(evilUrl);
    const res = await answer;
    expect(res.status()).toBe(403);
    expect(await res.json()).toMatchObject({ code: 'csrf_failed' });
    expect(res.headers()['set-cookie']).toBeUndefined();
    expect(await sessionCookie(context)).toBeUndefined();
    await context.close();
  });

  it("refuses another site's fetch (no-cors, credentials included)", async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    evilPage = '<!doctype html><title>evil</title>';
    await page.goto(evilUrl);
    const answer = page.waitForResponse(`${t.url}/auth/login`);
    await page.evaluate(
      (url) =>
        fetch(url, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'mallory', password: 'mallory-password' }) }),
      `${t.url}/auth/login`,
    );
    expect((await answer).status()).toBe(403);
    expect(await sessionCookie(context)).toBeUndefined();
    await context.close();
  });

  it('signs in with "Try it out" on POST /auth/login in Swagger UI, and the session then works there', async () => {
    const context = await newContext(browser);
    const page: Page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${t.url}/docs`);
    const op = page.locator('#operations-session-AuthController_signIn');
    await op.locator('.opblock-summary').click();
    await op.locator('button.try-out__btn', { hasText: 'Try it out' }).click();
    await op.locator('textarea.body-param__text').fill(JSON.stringify({ login: 'alice', password: 'alice-password' }));
    await op.locator('button.execute').click();
    const status = op.locator('.live-responses-table tbody .response-col_status').first();
    await status.waitFor();
    expect(Number((await status.innerText()).trim())).toBe(200);
    expect(await sessionCookie(context)).toBeDefined();

    // A state-changing call with the session: the page adds the CSRF token.
    const me = page.locator('#operations-me-MeController_reissue');
    await me.locator('.opblock-summary').click();
    await me.locator('button.try-out__btn', { hasText: 'Try it out' }).click();
    await me.locator('button.execute').click();
    const meStatus = me.locator('.live-responses-table tbody .response-col_status').first();
    await meStatus.waitFor();
    expect(Number((await meStatus.innerText()).trim())).toBe(200);
    await context.close();
  });
});
