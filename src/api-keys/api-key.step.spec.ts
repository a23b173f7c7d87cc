import type { FastifyRequest } from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import type { AuthMethod, Principal } from '../auth/principal.js';
import { loadConfig } from '../config/config.js';
import type { KeyRing } from '../crypto/secrets.js';
import type { KnownKey } from './api-key-cache.js';
import { ApiKeyStep } from './api-key.step.js';

const KEY = 'A'.repeat(32);
const principal = (method: AuthMethod, application: Principal['application'] = null): Principal => ({ method, account: { id: 'acc1', login: 'alice', role: 'user' }, sublogin: null, application, scopes: null });
const known = (over: Partial<KnownKey> = {}): KnownKey => ({ keyId: 'k1', keyStatus: 'active', application: { id: 'app1', name: 'Sync', status: 'approved' }, blockedBy: new Set(), ownerLogin: 'dev', limits: null, ...over });
const request = (headers: Record<string, string> = {}) => ({ ip: '127.0.0.1', headers, raw: {}, id: 'r1', authChallenges: 'Basic realm="Portcullis"' }) as unknown as FastifyRequest;

function step(key: KnownKey | null = known(), cachedKey?: KnownKey | null) {
  const cache = { cached: vi.fn(() => cachedKey), load: vi.fn(async () => key) };
  const usage = { used: vi.fn(), refused: vi.fn() };
  const keyRing = { hmac: vi.fn(() => 'f'.repeat(64)) };
  return { step: new ApiKeyStep(loadConfig({}), keyRing as unknown as KeyRing, cache as never, usage as never), cache, usage };
}

describe('ApiKeyStep', () => {
  it('ignores keys on routes without a policy, and has no principal to name on public routes', async () => {
    const s = step();
    expect(await s.step.check(request({ 'x-api-key': 'bad' }), null, principal('basic'))).toEqual(principal('basic'));
    expect(await s.step.check(request({ 'x-api-key': 'bad' }), 'required', undefined)).toBeUndefined();
    expect(s.usage.refused).not.toHaveBeenCalled();
  });

  it('requires a key of Basic, Bearer and OTP where the route says so, with the route\'s challenges and the key\'s', async () => {
    const s = step();
    for (const method of ['basic', 'bearer', 'otp'] as const) {
      await expect(async () => s.step.check(request(), 'required', principal(method))).rejects.toMatchObject({
        code: 'api_key_required',
        status: 401,
        headers: { 'WWW-Authenticate': expect.stringMatching(/^Basic realm="Portcullis", ApiKey realm="Portcullis", header="X-API-KEY", matrix-parameter="api_key"$/) },
      });
    }
    expect(s.usage.refused).toHaveBeenCalledWith('api_key_required', principal('otp'), expect.objectContaining({ ip: '127.0.0.1' }));
    // A session needs none; an optional policy neither.
    expect(await s.step.check(request(), 'required', principal('session'))).toEqual(principal('session'));
    expect(await s.step.check(request(), 'optional', principal('basic'))).toEqual(principal('basic'));
  });

  it('checks a key that is sent, also where none is needed', async () => {
    await expect(async () => step().step.check(request({ 'x-api-key': 'not-a-key' }), 'optional', principal('session'))).rejects.toMatchObject({ code: 'api_key_malformed', status: 400 });
    await expect(async () => step(null).step.check(request({ 'x-api-key': KEY }), 'optional', principal('basic'))).rejects.toMatchObject({ code: 'api_key_invalid', status: 403 });
    await expect(async () => step(known({ keyStatus: 'replaced' as KnownKey['keyStatus'] })).step.check(request({ 'x-api-key': KEY }), 'required', principal('basic'))).rejects.toMatchObject({ code: 'api_key_invalid' });
    await expect(async () => step(known({ blockedBy: new Set(['acc1']) })).step.check(request({ 'x-api-key': KEY }), 'required', principal('basic'))).rejects.toMatchObject({ code: 'api_key_blocked' });
    // A token's own OAuth client does not mix with another application's key.
    await expect(async () => step().step.check(request({ 'x-api-key': KEY }), 'required', principal('bearer', { id: 'other', name: 'Other' }))).rejects.toMatchObject({ code: 'api_key_invalid' });
  });

  it('names the application on a copy of the principal, and records the use', async () => {
    const s = step();
    const shared = principal('basic');
    const keyed = await s.step.check(request({ 'x-api-key': KEY }), 'required', shared);
    expect(keyed).toEqual({ ...shared, application: { id: 'app1', name: 'Sync' } });
    // The verification cache's principal is shared between requests: never changed in place.
    expect(shared.application).toBeNull();
    expect(s.usage.used).toHaveBeenCalledWith(known(), shared, expect.objectContaining({ ip: '127.0.0.1' }));
  });

  it("refuses a recognised key outside its developer's limits: expiry first, then address, naming only the one that failed", async () => {
    const expired = step(known({ limits: { expiresAt: Date.now() - 1, allowedRanges: ['10.0.0.0/8'] } }));
    const err = await Promise.resolve().then(() => expired.step.check(request({ 'x-api-key': KEY }), 'required', principal('basic'))).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'credential_expired', status: 401 });
    expect((err as { headers: Record<string, string> }).headers['WWW-Authenticate']).toContain('ApiKey realm=');
    expect(expired.usage.refused).toHaveBeenCalledWith('credential_expired', principal('basic'), expect.anything(), expect.objectContaining({ applicationId: 'app1' }));
    const outside = step(known({ limits: { expiresAt: Date.now() + 60_000, allowedRanges: ['10.0.0.0/8'] } }));
    const refused = await Promise.resolve().then(() => outside.step.check(request({ 'x-api-key': KEY }), 'required', principal('basic'))).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'address_not_allowed', status: 403 });
    expect((refused as Error).message).not.toMatch(/expir|10\.0/);
    expect(outside.usage.used).not.toHaveBeenCalled();
    // Inside the limits, a session too (the key is checked wherever it is sent).
    const inside = step(known({ limits: { expiresAt: Date.now() + 60_000, allowedRanges: ['127.0.0.0/8'] } }));
    expect(await inside.step.check(request({ 'x-api-key': KEY }), 'optional', principal('session'))).toMatchObject({ application: { id: 'app1' } });
    // An unknown key is api_key_invalid whatever limits other keys have: the key is recognised first.
    await expect(async () => step(null).step.check(request({ 'x-api-key': KEY }), 'required', principal('basic'))).rejects.toMatchObject({ code: 'api_key_invalid' });
  });

  it('decides a cached key without a promise (the pipeline stays synchronous), and loads an unknown one', async () => {
    const cached = step(null, known());
    const keyed = cached.step.check(request({ 'x-api-key': KEY }), 'required', principal('basic'));
    expect(keyed).not.toBeInstanceOf(Promise);
    expect(keyed).toMatchObject({ application: { id: 'app1', name: 'Sync' } });
    expect(cached.cache.load).not.toHaveBeenCalled();
    // Remembered as unknown: refused at once, also without a promise.
    expect(() => step(known(), null).step.check(request({ 'x-api-key': KEY }), 'required', principal('basic'))).toThrow(expect.objectContaining({ code: 'api_key_invalid' }));
    const loading = step();
    const later = loading.step.check(request({ 'x-api-key': KEY }), 'required', principal('basic'));
    expect(later).toBeInstanceOf(Promise);
    expect(await later).toMatchObject({ application: { id: 'app1' } });
    expect(loading.cache.load).toHaveBeenCalledWith(KEY);
  });
});
