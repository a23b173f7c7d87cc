import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matrixValues, stripMatrixParams } from '../../src/api-keys/core/matrix-params.js';
import { makeOtp } from '../../src/otp/core/otp-token.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';
import { type CorpusCase, evalExpr, loadCorpus, template, templateDeep, type Vars } from './support/cases.js';
import { buildFixture, FILES, type Fixture } from './support/fixture.js';
import { type RawHttpResponse, sendRaw } from './support/raw-http.js';
import { snapshotState, type StateSnapshot } from './support/state.js';

/**
 * The hostile-input corpus (contract §8): every case in `data/*.jsonl` is sent as raw bytes to the
 * real service and must get exactly the status and error code it states, never a 5xx. Around
 * the cases: a snapshot of the storage tree and of every non-activity table before and after
 * (hostile input changes no state), and the legitimate flows afterwards (it broke nothing).
 *
 * Runs in the e2e project: on SQLite with in-process state under `npm test`, and on PostgreSQL
 * + Redis in CI. Each case comes from its own loopback address (127.80.x.y), so brute-force
 * throttling stays on with its production defaults and yet no case is refused for the failures
 * of the cases before it (the throttle itself has its own tests).
 *
 * PORTCULLIS_CORPUS_REPORT=file.json writes every case's actual answer (for reviewing new cases).
 */
const corpus = loadCorpus(join(import.meta.dirname, 'data'));
const MAX_UPLOAD = 256 * 1024;
/** The service's idle timeout here (120 s in production): a stalled client is cut off after it. */
const IDLE_TIMEOUT_MS = 1_500;
const ERROR_SHAPE = ['code', 'error', 'message', 'statusCode'];

describe('hostile-input corpus', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  let fx: Fixture;
  let vars: Vars;
  let port: number;
  let before: StateSnapshot;
  let clientNo = 0;
  const report: Array<{ id: string; status: number | string; code?: string }> = [];

  beforeAll(async () => {
    // A short idle timeout, so that a stalled client is seen to be cut off within the test.
    t = await startTestApp({ MAX_UPLOAD_BYTES: String(MAX_UPLOAD) }, { idleTimeoutMs: IDLE_TIMEOUT_MS });
    port = Number(new URL(t.url).port);
    fx = await buildFixture(t);
    vars = fx.vars;
    // The WebDAV cases need /dav/ served (an unknown route would be 404 not_found).
    const probe = await fetch(`${t.url}/dav/`, { method: 'OPTIONS' });
    expect(probe.status).not.toBe(404);
    before = await snapshotState(t, t.env.env.STORAGE_DIR!);
  });
  afterAll(async () => {
    if (process.env.PORTCULLIS_CORPUS_REPORT) writeFileSync(process.env.PORTCULLIS_CORPUS_REPORT, JSON.stringify(report, null, 1));
    await t?.stop();
  });

  /** A new loopback source address per request: its own client subnet for the throttle. */
  const nextClient = () => {
    clientNo++;
    return `127.80.${(clientNo >> 8) & 255}.${clientNo & 255}`;
  };

  function requestBytes(c: CorpusCase): Buffer {
    if (c.raw !== undefined) return evalExpr(c.raw, vars);
    const method = c.method ?? 'GET';
    const lines: Buffer[] = [Buffer.from(`${method} `, 'latin1'), evalExpr(c.path, vars), Buffer.from(` HTTP/1.1\r\nHost: ${vars.HOST}\r\nConnection: close\r\n`, 'latin1')];
    const header = (name: string, value: Buffer) => lines.push(Buffer.from(`${name}: `, 'latin1'), value, Buffer.from('\r\n', 'latin1'));
    const given = new Set(Object.keys(c.headers ?? {}).map((h) => h.toLowerCase()));
    const basic = (login: string, pw: string) => Buffer.from(`Basic ${Buffer.from(`${vars[login]}:${vars[pw]}`, 'utf8').toString('base64')}`, 'latin1');
    switch (c.as ?? 'none') {
      case 'owner':
        header('Authorization', basic('OWNER', 'APP_PW'));
        break;
      case 'sub':
        header('Authorization', basic('SUB', 'SUB_PW'));
        break;
      case 'walker':
        header('Authorization', basic('WALKER', 'WALKER_PW'));
        break;
      case 'walkerToken':
        header('Authorization', Buffer.from(`Bearer ${vars.WALKER_TOKEN}`, 'latin1'));
        break;
      case 'legacy':
        header('Authorization', basic('LEGACY', 'LEGACY_PW'));
        break;
      case 'other':
        header('Authorization', basic('OTHER', 'OTHER_PW'));
        break;
      case 'session':
      case 'admin': {
        const who = c.as === 'admin' ? 'ADMIN_' : '';
        if (!given.has('cookie')) header('Cookie', Buffer.from(vars[`${who}COOKIE`]!, 'latin1'));
        if (!given.has('x-csrf-token') && !['GET', 'HEAD'].includes(method)) header('X-CSRF-Token', Buffer.from(vars[`${who}CSRF`]!, 'latin1'));
        break;
      }
      case 'none':
        break;
    }
    if (c.key !== undefined && c.key !== false) header('X-API-KEY', c.key === true ? Buffer.from(vars.KEY!, 'latin1') : evalExpr(c.key, vars));
    for (const [name, value] of Object.entries(c.headers ?? {})) {
      for (const v of Array.isArray(value) ? value : [value]) header(name, evalExpr(v, vars));
    }
    let body: Buffer | undefined;
    if (c.json !== undefined) {
      body = Buffer.from(JSON.stringify(templateDeep(c.json, vars)), 'utf8');
      if (!given.has('content-type')) header('Content-Type', Buffer.from('application/json', 'latin1'));
    } else if (c.body !== undefined) {
      body = evalExpr(c.body, vars);
    }
    if (!given.has('content-length') && !given.has('transfer-encoding')) {
      if (c.contentLength !== false && (c.contentLength !== undefined || body !== undefined || !['GET', 'HEAD', 'OPTIONS', 'DELETE'].includes(method))) {
        header('Content-Length', Buffer.from(String(c.contentLength ?? body?.length ?? 0), 'latin1'));
      }
    }
    lines.push(Buffer.from('\r\n', 'latin1'));
    if (body) lines.push(body);
    return Buffer.concat(lines);
  }

  function split(bytes: Buffer, pieces: number): Buffer[] {
    const size = Math.ceil(bytes.length / pieces);
    const out: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size));
    return out;
  }

  async function send(c: CorpusCase): Promise<RawHttpResponse | 'abandoned' | 'closed'> {
    const bytes = requestBytes(c);
    const base = { host: '127.0.0.1', port, localAddress: nextClient() };
    if (c.abandonAfter !== undefined) {
      const r = await sendRaw({ ...base, pieces: [bytes.subarray(0, c.abandonAfter)], abandon: true });
      return r.kind === 'abandoned' ? 'abandoned' : Promise.reject(new Error('not abandoned'));
    }
    if (c.stallAfter !== undefined) {
      // The server must end the connection by itself, well before our own patience ends.
      const started = Date.now();
      const r = await sendRaw({ ...base, pieces: [bytes.subarray(0, c.stallAfter)], timeoutMs: IDLE_TIMEOUT_MS * 4 });
      expect(Date.now() - started, `${c.id}: cut off after the idle timeout`).toBeLessThan(IDLE_TIMEOUT_MS * 3);
      return r.kind === 'response' ? r.response : 'closed';
    }
    const r = await sendRaw({ ...base, pieces: c.slow ? split(bytes, c.slow.pieces) : [bytes], delayMs: c.slow?.delayMs });
    if (r.kind !== 'response') throw new Error(`the connection closed without an HTTP answer (${r.kind === 'closed' ? r.bytes : 0} bytes)`);
    return r.response;
  }

  for (const file of corpus) {
    describe(file.name, () => {
      it.for(file.cases)('$id: $what', async (c) => {
        const got = await send(c);
        if (got === 'abandoned' || got === 'closed') {
          report.push({ id: c.id, status: got });
          expect(c.expect).toBe(got);
          return;
        }
        report.push({ id: c.id, status: got.status, code: got.json?.code });
        const said = `${c.id} answered ${got.status} ${got.body.toString('utf8').slice(0, 300)}`;
        // Never a 5xx, but for the one the contract names for client input: RFC 4918 §9.8.5's 502
        // for a WebDAV Destination on another server.
        if (!(got.status === 502 && got.json?.code === 'bad_gateway' && c.dav)) expect(got.status, said).toBeLessThan(500);
        expect(Array.isArray(c.expect), said).toBe(true);
        const [status, code] = c.expect as [number, string | string[] | null];
        expect(got.status, said).toBe(status);
        if (code !== null) {
          // The contract's error shape (contract §8), with the code the case names.
          expect(Array.isArray(code) ? code : [code], said).toContain(got.json?.code);
          expect(Object.keys(got.json).sort(), said).toEqual(expect.arrayContaining(ERROR_SHAPE));
          expect(got.json.statusCode, said).toBe(got.status);
        }
        if (c.expectJson) expect(got.json, said).toMatchObject(templateDeep(c.expectJson, vars) as object);
        if (!c.bare) expect(got.headers['x-request-id'], `${c.id}: every answer has a request id`).toBeTruthy();
        // RFC 9110 §11.6.1: a 401 names the ways in (issue 16).
        if (got.status === 401) expect(got.headers['www-authenticate'], `${c.id}: every 401 carries WWW-Authenticate`).toBeTruthy();
      });
    });
  }

  describe('fuzzed through HTTP (fast-check)', () => {
    // Properties over generated input, against the running service: whatever is sent, the
    // answer is one of the contract's 4xx for that input, never a 5xx.
    const get = async (path: string, headers: Record<string, string> = {}): Promise<RawHttpResponse> => {
      const head = Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      const r = await sendRaw({ host: '127.0.0.1', port, localAddress: nextClient(), pieces: [Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${vars.HOST}\r\nConnection: close\r\n${head}\r\n`, 'latin1')] });
      if (r.kind !== 'response') throw new Error('no answer');
      return r.response;
    };
    const runs = { numRuns: 60 };

    it('an OTP parameter of any text is a 401 with one of the OTP codes, or invalid_credentials', async () => {
      const otpText = fc.oneof(
        fc.string({ maxLength: 80 }),
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        fc.tuple(fc.constantFrom('corpus', 'corpus-reader', 'nobody', ''), fc.oneof(fc.nat(), fc.string({ maxLength: 13 })), fc.string({ maxLength: 20 }), fc.stringMatching(/^[0-9a-fA-F]{0,70}$/)).map((p) => p.join(':')),
      );
      await fc.assert(
        fc.asyncProperty(otpText, async (otp) => {
          const r = await get(`/api/whoami?otp=${encodeURIComponent(otp)}`);
          expect(r.status, otp).toBe(401);
          expect(r.headers['www-authenticate'], otp).toBeTruthy();
          expect(['otp_malformed', 'otp_expired', 'otp_too_long', 'invalid_credentials'], `${otp} → ${r.json?.code}`).toContain(r.json?.code);
        }),
        runs,
      );
    });

    it('a well-formed OTP with a wrong AUTH for a real login is invalid_credentials', async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 3600 }), fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !/[\u0000-\u001f\u007f]/.test(s) && s.isWellFormed()), async (ttl, salt) => {
          const otp = makeOtp(vars.SUB!, 'not-the-password', Math.floor(Date.now() / 1000) + ttl, salt);
          const r = await get(`/api/whoami?otp=${encodeURIComponent(otp)}`);
          expect(r.status).toBe(401);
          expect(r.json?.code).toBe('invalid_credentials');
        }),
        runs,
      );
    });

    it('matrix parameters of any shape on any segment route as the plain path; only an api_key can change the answer', async () => {
      const piece = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_%=.~-]{0,10}$/), fc.constantFrom('api_key', `api_key=${vars.KEY}`, 'api_key=', `api%5Fkey=${vars.KEY}`, `api_key=${vars.KEY_LOWER}`, 'api_key=%zz', 'otp=x'));
      const matrix = fc.array(piece, { minLength: 1, maxLength: 3 }).map((ps) => `;${ps.join(';')}`);
      const headers = { authorization: `Basic ${Buffer.from(`${vars.SUB}:${vars.SUB_PW}`).toString('base64')}`, 'x-api-key': vars.KEY! };
      await fc.assert(
        fc.asyncProperty(fc.tuple(fc.option(matrix, { nil: '' }), fc.option(matrix, { nil: '' }), fc.option(matrix, { nil: '' })), async ([a, b, c]) => {
          const path = `/api${a}/file${b}/list${c}?path=%2Fdocs`;
          const r = await get(path, headers);
          // The header carries the key; a matrix key that differs from it is refused, the same one is fine.
          const keys = matrixValues(stripMatrixParams(path).params, 'api_key');
          if (keys.every((k) => k === vars.KEY)) {
            expect(r.status, path).toBe(200);
          } else {
            expect(r.status, path).toBe(400);
            expect(r.json?.code, path).toBe('api_key_malformed');
          }
        }),
        runs,
      );
    });

    it('a Basic header of any bytes is 400 malformed_authorization or 401, never more', async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 60 }), fc.constantFrom('Basic ', 'basic ', 'BASIC '), async (bytes, scheme) => {
          const r = await get('/api/whoami', { authorization: scheme + Buffer.from(bytes).toString('base64') });
          expect([400, 401], String(bytes)).toContain(r.status);
          expect(['malformed_authorization', 'invalid_credentials', 'basic_disabled'], `${r.status} ${r.json?.code}`).toContain(r.json?.code);
        }),
        runs,
      );
    });

    it('a file path of any text is a 2xx/404/409 inside the area or a 400 path code, never another customer\'s file', async () => {
      const segment = fc.oneof(fc.constantFrom('..', '.', '', '%2e%2e', 'docs', 'a.txt', '\\', '\u0000', 'secret.txt', 'other', vars.OTHER_ID!), fc.string({ maxLength: 8 }));
      await fc.assert(
        fc.asyncProperty(fc.array(segment, { maxLength: 6 }), async (segments) => {
          const p = segments.join('/');
          const r = await get(`/api/file/download?path=${encodeURIComponent(p)}`, { cookie: vars.COOKIE! });
          expect(r.status, p).toBeLessThan(500);
          expect(r.body.toString('utf8')).not.toContain('other customer secret');
          if (r.status >= 400) expect(['path_invalid', 'path_escape', 'path_too_long', 'not_found', 'conflict', 'validation_failed'], `${p} → ${r.json?.code}`).toContain(r.json?.code);
        }),
        runs,
      );
    });
  });

  it('changed no state: the storage tree and every table are as before', async () => {
    // Abandoned uploads clean up asynchronously: give them a moment.
    await expect.poll(async () => snapshotState(t, t.env.env.STORAGE_DIR!), { timeout: 5_000, interval: 100 }).toEqual(before);
    expect(before.tables.accounts?.length).toBeGreaterThanOrEqual(7);
    expect(before.tables.sublogins).toHaveLength(3);
    expect(before.tables.api_keys?.length).toBeGreaterThanOrEqual(4);
  });

  it('still serves the legitimate flows afterwards', async () => {
    const basic = (l: string, p: string) => `Basic ${Buffer.from(`${vars[l]}:${vars[p]}`).toString('base64')}`;
    const call = (path: string, init: RequestInit = {}) => fetch(t.url + path, init);
    // The owner with the issued password and the key: list, upload, download, delete.
    const owner = { authorization: basic('OWNER', 'APP_PW'), 'x-api-key': vars.KEY! };
    const listed = await call('/api/file/list?path=%2Fdocs&fields=name', { headers: owner });
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { items: Array<{ name: string }> }).items.map((i) => i.name)).toEqual(['a.txt', 'b.txt']);
    expect((await call('/api/file/upload?path=%2Fafter%2Fnew.txt', { method: 'PUT', headers: owner, body: 'after the corpus' })).status).toBe(201);
    const down = await call('/api/file/download?path=%2Fafter%2Fnew.txt', { headers: owner });
    expect(await down.text()).toBe('after the corpus');
    expect((await call('/api/file/delete', { method: 'POST', headers: { ...owner, 'content-type': 'application/json' }, body: JSON.stringify({ path: '/after' }) })).status).toBe(204);
    // The key as a matrix parameter.
    expect((await call(`/api;api_key=${vars.KEY}/file/info?path=%2Fdocs%2Fa.txt`, { headers: { authorization: owner.authorization } })).status).toBe(200);
    // The sublogin: reads, is denied what its rules deny, and its check explains why.
    const sub = { authorization: basic('SUB', 'SUB_PW'), 'x-api-key': vars.KEY! };
    expect(await (await call('/api/file/download?path=%2Fkeep%2Fy.txt', { headers: sub })).text()).toBe(FILES['/keep/y.txt']);
    const denied = await call('/api/file/delete', { method: 'POST', headers: { ...sub, 'content-type': 'application/json' }, body: JSON.stringify({ path: '/keep/y.txt' }) });
    expect(denied.status).toBe(403);
    const check = await call(`/api/sublogin/check?name=reader&path=${encodeURIComponent('/file/delete/tmp/x.txt')}`, { headers: sub });
    expect(check.status).toBe(200);
    expect(((await check.json()) as { allowed: boolean }).allowed).toBe(true);
    // An OTP: accepted once, then replayed.
    const otp = makeOtp(vars.SUB!, vars.SUB_PW!, Math.floor(Date.now() / 1000) + 300, 'after-corpus');
    expect((await call(`/api/whoami?otp=${encodeURIComponent(otp)}`)).status).toBe(200);
    expect((await call(`/api/whoami?otp=${encodeURIComponent(otp)}`)).status).toBe(401);
    // A legacy account, the session, and the operator.
    expect((await call('/api/whoami', { headers: { authorization: basic('LEGACY', 'LEGACY_PW') } })).status).toBe(200);
    expect((await fx.ownerSession.request('GET', '/api/me')).status).toBe(200);
    expect((await (await t.admin()).get('/api/admin/accounts?limit=50')).status).toBe(200);
    {
      const propfind = await call('/dav/docs/', { method: 'PROPFIND', headers: { authorization: basic('OWNER', 'APP_PW'), depth: '1' } });
      expect(propfind.status).toBe(207);
      expect(await (await call('/dav/docs/a.txt', { headers: { authorization: basic('OWNER', 'APP_PW') } })).text()).toBe(FILES['/docs/a.txt']);
    }
  });

  it('holds at least 300 cases', () => {
    expect(corpus.reduce((n, f) => n + f.cases.length, 0)).toBeGreaterThanOrEqual(300);
    const ids = corpus.flatMap((f) => f.cases.map((c) => c.id));
    expect(new Set(ids).size, 'case ids are unique').toBe(ids.length);
    for (const f of corpus) for (const c of f.cases) expect(() => template(JSON.stringify(c), vars), c.id).not.toThrow();
  });
});
