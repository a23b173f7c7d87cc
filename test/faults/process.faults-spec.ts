import { randomBytes } from 'node:crypto';
import { readdir, utimes } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseResponse, type RawHttpResponse } from '../corpus/support/raw-http.js';
import { HttpClient } from '../support/http-client.js';
import { eventually, RawSession } from '../support/raw-session.js';
import { ADMIN_PASSWORD, createTestEnv, type TestEnv } from '../support/test-env.js';
import { freePort } from './support/redis-server.js';
import { Service } from './support/service.js';
import { TcpProxy } from './support/tcp-proxy.js';

/**
 * Faults of the process itself, on the built service (`node dist/src/main.js`) as a child
 * process: the database unreachable at start, SIGTERM while uploads are in flight, kill -9 in the
 * middle of a PUT. On PostgreSQL when PORTCULLIS_TEST_POSTGRES is set (CI), else SQLite.
 */
const services: Service[] = [];
const track = (s: Service) => (services.push(s), s);
afterEach(async () => {
  for (const s of services.splice(0)) await s.stop();
});

/** Reads one HTTP response from a socket the test wrote a request to by hand. */
function responseOf(socket: Socket): Promise<RawHttpResponse | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => resolve(parseResponse(Buffer.concat(chunks))));
  });
}

/** Opens an upload (PUT, Connection: close unless `keepAlive`) and sends `first` of its `total` bytes. */
async function startUpload(url: string, session: RawSession, path: string, total: number, first: Buffer, keepAlive = false): Promise<Socket> {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port) });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', () => undefined);
  socket.write(
    `PUT /api/file/upload?path=${encodeURIComponent(path)} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nCookie: ${session.cookie}\r\n` +
      `X-CSRF-Token: ${session.csrf}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${total}\r\n${keepAlive ? '' : 'Connection: close\r\n'}\r\n`,
  );
  socket.write(first);
  return socket;
}

/** True when nothing accepts connections at `url` any more. */
function refused(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

async function tempFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true })).filter((n) => /(^|\/)\.portcullis-upload-/.test(n));
  } catch {
    return [];
  }
}

describe('the database unreachable at start', () => {
  it('retries with backoff, one line a try and no stack trace, then exits non-zero with one clear line', async () => {
    const port = await freePort(); // nothing listens there
    const env = await createTestEnv();
    try {
      const started = Date.now();
      const service = track(Service.spawn({ ...env.env, DATABASE_URL: `postgres://portcullis:secret-db-password@127.0.0.1:${port}/portcullis` }));
      const exit = await service.exited;
      const took = Date.now() - started;
      expect(exit.code, service.output()).toBe(1);
      const lines = service.stderr.trim().split('\n');
      const target = `postgres://portcullis@127.0.0.1:${port}/portcullis`;
      // 5 retries, 0.5 + 1 + 2 + 4 + 8 s apart, then the verdict.
      expect(lines, service.output()).toEqual([
        ...[['500 ms', 2], ['1 s', 3], ['2 s', 4], ['4 s', 5], ['8 s', 6]].map(([delay, n]) => expect.stringMatching(new RegExp(`^Database at ${target.replaceAll('.', '\\.')} unreachable \\(.*ECONNREFUSED.*\\); retrying in ${delay} \\(attempt ${n} of 6\\)$`))),
        expect.stringMatching(new RegExp(`^Portcullis failed to start: the database at ${target.replaceAll('.', '\\.')} is unreachable after 6 attempts \\(.*ECONNREFUSED.*\\)$`)),
      ]);
      expect(took).toBeGreaterThan(15_000);
      expect(service.stderr + service.stdout).not.toContain('secret-db-password');
      expect(service.stderr).not.toMatch(/^\s+at /m);
    } finally {
      await env.dispose();
    }
  }, 60_000);

  it('starts once the database comes up during the retries', async () => {
    // Needs PostgreSQL (a TCP relay in front of it plays the database coming up): .ci/run sets it.
    if (!process.env.PORTCULLIS_TEST_POSTGRES) throw new Error('the faults suite needs PORTCULLIS_TEST_POSTGRES (see .ci/run)');
    const server = new URL(process.env.PORTCULLIS_TEST_POSTGRES!);
    const proxy = new TcpProxy({ host: server.hostname, port: Number(server.port || 5432) });
    proxy.port = await freePort();
    const env = await createTestEnv();
    try {
      const viaProxy = new URL(env.env.DATABASE_URL!);
      viaProxy.hostname = '127.0.0.1';
      viaProxy.port = String(proxy.port);
      const service = track(Service.spawn({ ...env.env, DATABASE_URL: viaProxy.toString() }));
      await eventually(() => service.stderr.includes('(attempt 3 of 6)'), 10_000, 'two failed attempts');
      await proxy.open();
      const url = await service.listening(30_000);
      expect((await fetch(`${url}/ready`)).status).toBe(200);
    } finally {
      for (const s of services.splice(0)) await s.stop();
      await proxy.cut();
      await env.dispose();
    }
  }, 60_000);
});

describe('SIGTERM and kill -9 during uploads', () => {
  let env: TestEnv;
  let areaDir: string;
  let appPassword: string;
  const SIZE = 300_000;

  beforeAll(async () => {
    env = await createTestEnv({ BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD });
    const { service, url } = await Service.start(env.env);
    track(service);
    const admin = new HttpClient(url);
    await admin.login('admin', ADMIN_PASSWORD);
    const created = await admin.post('/api/admin/accounts', { json: { login: 'uploader', password: 'uploader-password', email: 'u@example.com' } });
    expect(created.status).toBe(201);
    areaDir = join(env.env.STORAGE_DIR!, created.body.id, 'main');
    const session = await RawSession.login(url, 'uploader', 'uploader-password');
    expect((await session.request('PUT', '/api/file/upload?path=%2Fkept.bin', { body: 'the old content' })).status).toBe(201);
    appPassword = (await session.request('POST', '/api/me/app-connection/enable')).json.password;
    await service.stop();
  });
  afterAll(async () => {
    await env?.dispose();
  });

  it('SIGTERM: an upload in flight finishes, a stalled one is cut after the grace period; no partial file, statistics flushed', async () => {
    const { service, url } = await Service.start(env.env);
    track(service);
    const session = await RawSession.login(url, 'uploader', 'uploader-password');
    const data = randomBytes(SIZE);
    const finishing = await startUpload(url, session, '/finished.bin', SIZE, data.subarray(0, 100_000));
    const stalled = await startUpload(url, session, '/stalled.bin', SIZE, data.subarray(0, 100_000));
    const finishingAnswer = responseOf(finishing);
    const stalledAnswer = responseOf(stalled);
    await eventually(async () => (await tempFiles(areaDir)).length === 2, 5_000, 'both uploads under way');

    const signalledAt = Date.now();
    service.signal('SIGTERM');
    // No new connections once it is shutting down.
    await eventually(() => refused(url), 5_000, 'the listener to close');
    // The first client sends the rest: its upload completes.
    finishing.write(data.subarray(100_000));
    const finished = await finishingAnswer;
    expect(finished?.status, service.output()).toBe(201);
    // The second never does: cut after the grace period (20 s), before a supervisor's SIGKILL.
    expect(await stalledAnswer).toBeNull();
    const exit = await service.exited;
    const took = Date.now() - signalledAt;
    expect(took).toBeGreaterThan(19_000);
    expect(took).toBeLessThan(28_000);
    expect(exit.code === 0 || exit.signal === 'SIGTERM', service.output()).toBe(true);
    expect(service.stdout + service.stderr, 'no error logged').not.toMatch(/"level":(50|60)/);

    // Nothing half-written is left; the finished file is whole.
    expect(await tempFiles(areaDir)).toEqual([]);
    const restarted = await Service.start(env.env);
    track(restarted.service);
    const again = await RawSession.login(restarted.url, 'uploader', 'uploader-password');
    const whole = await again.request('GET', '/api/file/download?path=%2Ffinished.bin');
    expect(whole.bytes.equals(data)).toBe(true);
    expect((await again.request('GET', '/api/file/info?path=%2Fstalled.bin')).status).toBe(404);
    // Both requests were counted and written before the exit: the finished one, and the cut one as 499.
    const traffic = await again.request('GET', '/api/stat/traffic');
    const puts = (traffic.json.items as Array<{ method: string; status: number; requests: number; bytesIn: number }>).filter((i) => i.method === 'PUT');
    expect(puts.find((i) => i.status === 201 && i.bytesIn >= SIZE), JSON.stringify(traffic.json)).toBeTruthy();
    expect(puts.find((i) => i.status === 499 && i.bytesIn >= 100_000), JSON.stringify(traffic.json)).toBeTruthy();
  }, 90_000);

  it('SIGTERM: a keep-alive connection whose upload ends after the signal does not hold the exit', async () => {
    const { service, url } = await Service.start(env.env);
    track(service);
    const session = await RawSession.login(url, 'uploader', 'uploader-password');
    const data = randomBytes(SIZE);
    const socket = await startUpload(url, session, '/keep-alive.bin', SIZE, data.subarray(0, 100_000), true);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    await eventually(async () => (await tempFiles(areaDir)).length === 1, 5_000, 'the upload under way');
    const signalledAt = Date.now();
    service.signal('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    socket.write(data.subarray(100_000));
    await eventually(() => parseResponse(Buffer.concat(chunks))?.status === 201, 5_000, 'the upload to be answered');
    // The client keeps its connection open; the service closes it once idle and exits, well
    // before the keep-alive timeout (72 s) or the grace period (20 s).
    await service.exited;
    expect(Date.now() - signalledAt).toBeLessThan(5_000);
    socket.destroy();
  }, 60_000);

  it('kill -9 in the middle of a PUT: after a restart the old file is whole and no partial file is visible', async () => {
    const { service, url } = await Service.start(env.env);
    track(service);
    const session = await RawSession.login(url, 'uploader', 'uploader-password');
    const socket = await startUpload(url, session, '/kept.bin', SIZE, randomBytes(150_000));
    await eventually(async () => (await tempFiles(areaDir)).length === 1, 5_000, 'the upload under way');
    service.signal('SIGKILL');
    await service.exited;
    socket.destroy();
    // The half-written upload is on disk (it is what kill -9 leaves) …
    const leftovers = await tempFiles(areaDir);
    expect(leftovers).toHaveLength(1);

    const restarted = await Service.start(env.env);
    track(restarted.service);
    const again = await RawSession.login(restarted.url, 'uploader', 'uploader-password');
    // … but never visible: the old version is served whole, listings and WebDAV do not show it.
    expect((await again.request('GET', '/api/file/download?path=%2Fkept.bin')).bytes.toString()).toBe('the old content');
    const names = ((await again.request('GET', '/api/file/list?path=%2F&recursive=true&fields=path')).json.items as Array<{ path: string }>).map((i) => i.path);
    expect(names.filter((n) => n.includes('.portcullis'))).toEqual([]);
    const dav = { authorization: `Basic ${Buffer.from(`uploader:${appPassword}`).toString('base64')}` };
    const propfind = await fetch(`${restarted.url}/dav/`, { method: 'PROPFIND', headers: { ...dav, depth: '1' } });
    expect(propfind.status).toBe(207);
    const listing = await propfind.text();
    expect(listing).toContain('kept.bin');
    expect(listing).not.toContain('.portcullis');
    // Named directly, the reserved name is refused, not served.
    const direct = await fetch(`${restarted.url}/dav/${leftovers[0]!.split('/').pop()}`, { headers: dav });
    expect(direct.status).toBe(400);
    await restarted.service.stop();

    // Leftovers older than an hour are swept at the next start.
    const old = new Date(Date.now() - 2 * 3600_000);
    await utimes(join(areaDir, leftovers[0]!), old, old);
    const third = await Service.start(env.env);
    track(third.service);
    await eventually(async () => (await tempFiles(areaDir)).length === 0, 10_000, 'the sweep');
  }, 90_000);
});
