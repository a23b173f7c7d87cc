import { randomBytes } from 'node:crypto';
import type { HttpClient } from './http-client.js';
import type { TestApp } from './test-app.js';

export interface TestApplication {
  id: string;
  key: string;
  developer: HttpClient;
}

/**
 * An approved application and its API key, made the way a developer and an operator would:
 * register (session), approve (operator), fetch the key once. For tests that call
 * `/api/file`, `/api/stat` or `/api/sublogin` with Basic, Bearer or OTP, which need a key
 * (send it as `headers: { 'x-api-key': key }`).
 */
export async function approvedApplication(t: Pick<TestApp, 'client' | 'admin'>, name = 'Test client'): Promise<TestApplication> {
  const admin = await t.admin();
  const login = `dev${randomBytes(6).toString('hex')}`;
  const password = `${login}-password`;
  await expectStatus(admin.post('/api/admin/accounts', { json: { login, password, email: `${login}@example.com` } }), 201);
  const developer = t.client();
  await developer.login(login, password);
  const app = await expectStatus(developer.post('/api/apps', { json: { name } }), 201);
  await expectStatus(admin.post(`/api/admin/apps/${app.id}/approve`), 200);
  const issued = await expectStatus(developer.post(`/api/apps/${app.id}/key`), 201);
  return { id: app.id, key: issued.key, developer };
}

async function expectStatus(res: ReturnType<HttpClient['get']>, status: number): Promise<any> {
  const r = await res;
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${r.text}`);
  return r.body;
}
