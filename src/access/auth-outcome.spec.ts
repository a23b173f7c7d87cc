import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { AuditRecord } from '../audit/audit.service.js';
import type { Principal } from '../auth/principal.js';
import type { RequestMeta } from '../auth/request-meta.js';
import { CredentialRefused, type Refusal } from '../auth/verification.js';
import { loadConfig } from '../config/config.js';
import { DomainError } from '../errors/domain-error.js';
import type { CredentialEvents } from '../shared-state/credential-events.js';
import { AuthOutcome, type CredentialAttempt } from './auth-outcome.js';
import { FailureOwners } from './failure-owners.js';

const meta: RequestMeta = { ip: '192.0.2.7', userAgent: 'curl/8', requestId: 'r1', principal: undefined };
const alice: Principal = { method: 'basic', account: { id: 'acc-alice', login: 'alice', role: 'user' }, sublogin: null, application: null, scopes: null };

function recorder() {
  const stats = { recordAuth: vi.fn() };
  const audit = { record: vi.fn<(r: AuditRecord) => void>() };
  let repeats = 0;
  const throttle = { recordFailure: vi.fn(async () => ({ repeated: repeats > 0, repeats: ++repeats, fingerprintId: 'fp123' })) };
  const lastUse = { touch: vi.fn() };
  const verified = { set: vi.fn() };
  const tokens = { remember: vi.fn(), recordUse: vi.fn() };
  const changes: Array<(login: string) => void> = [];
  const owners = new FailureOwners(loadConfig({}), { onChange: (l: (login: string) => void) => changes.push(l) } as unknown as CredentialEvents);
  const outcome = new AuthOutcome(stats as never, audit as never, throttle as never, lastUse as never, verified as never, tokens as never, owners);
  return { outcome, stats, audit, throttle, lastUse, verified, tokens, changeLogin: (login: string) => changes.forEach((c) => c(login)) };
}

const refused = (code: string, refusal: Refusal, method: 'basic' | 'otp' | 'bearer' = 'basic'): CredentialAttempt => {
  const answer = new DomainError(code as never, 'no');
  return { kind: 'refused', method, error: new CredentialRefused(answer, refusal), answer };
};

describe('AuthOutcome', () => {
  let r: ReturnType<typeof recorder>;
  beforeEach(() => {
    r = recorder();
  });

  it('records a fresh verification: cache fill, audit, last use, statistics', async () => {
    await r.outcome.record(
      {
        kind: 'authenticated',
        principal: alice,
        verification: {
          audit: { type: 'auth.basic', login: 'alice' },
          remember: { cache: 'verification', key: 'k', tags: ['alice'], generation: 3 },
          lastUse: { kind: 'app-connection', id: 'acc-alice' },
        },
      },
      meta,
    );
    expect(r.verified.set).toHaveBeenCalledWith('k', alice, ['alice'], 3);
    expect(r.audit.record).toHaveBeenCalledWith({ type: 'auth.basic', outcome: 'success', login: 'alice', accountId: 'acc-alice', detail: undefined, origin: meta });
    expect(r.lastUse.touch).toHaveBeenCalledWith('app-connection', 'acc-alice', '192.0.2.7');
    expect(r.stats.recordAuth).toHaveBeenCalledWith('basic', 'success', 'acc-alice');
  });

  it('records a refusal by the credential\'s limits: counted and audited with its code (once a minute), still cached, no last use', () => {
    const sub: Principal = { ...alice, sublogin: { id: 's1', login: 'alice-backup', name: 'backup' }, limits: [{ expiresAt: 1, allowedRanges: null }] };
    const limited = (remember?: boolean): CredentialAttempt => ({
      kind: 'limited',
      principal: sub,
      verification: {
        audit: { type: 'auth.basic', login: 'alice-backup' },
        ...(remember ? { remember: { cache: 'verification' as const, key: 'k', tags: ['alice-backup', 'alice'], generation: 1 } } : {}),
        lastUse: { kind: 'sublogin', id: 's1' },
      },
      code: 'credential_expired',
      answer: new DomainError('credential_expired'),
    });
    r.outcome.record(limited(true), meta);
    r.outcome.record(limited(false), meta); // the next request, from the cache
    expect(r.verified.set).toHaveBeenCalledTimes(1);
    expect(r.verified.set).toHaveBeenCalledWith('k', sub, ['alice-backup', 'alice'], 1);
    expect(r.stats.recordAuth.mock.calls).toEqual([
      ['basic', 'credential_expired', 'acc-alice'],
      ['basic', 'credential_expired', 'acc-alice'],
    ]);
    expect(r.audit.record).toHaveBeenCalledTimes(1);
    expect(r.audit.record).toHaveBeenCalledWith(expect.objectContaining({ type: 'auth.basic', outcome: 'failure', login: 'alice-backup', code: 'credential_expired', accountId: 'acc-alice' }));
    expect(r.lastUse.touch).not.toHaveBeenCalled();
  });

  it('records a cache hit as a success and a last use only', () => {
    const bearer = { ...alice, method: 'bearer' as const };
    expect(r.outcome.record({ kind: 'authenticated', principal: bearer, verification: { lastUse: { kind: 'grant', id: 'g1' } } }, meta)).toBeUndefined();
    expect(r.tokens.recordUse).toHaveBeenCalledWith('g1', '192.0.2.7');
    expect(r.audit.record).not.toHaveBeenCalled();
    expect(r.verified.set).not.toHaveBeenCalled();
    expect(r.stats.recordAuth).toHaveBeenCalledWith('bearer', 'success', 'acc-alice');
  });

  it('keeps a verified token in the bearer tokens\' cache', async () => {
    const fill = { cache: 'bearer' as const, hash: 'h', grantId: 'g1', expiresAt: 9, tags: ['token:h'], generation: 1 };
    await r.outcome.record({ kind: 'authenticated', principal: alice, verification: { remember: fill } }, meta);
    expect(r.tokens.remember).toHaveBeenCalledWith(alice, fill);
  });

  it('counts a wrong secret with the throttle before answering, and audits a stale client at doubling repeats', async () => {
    const refusal: Refusal = {
      login: 'alice',
      owner: { id: 'acc-alice', login: 'alice' },
      wrongSecret: 'guess',
      audit: { type: 'auth.basic', code: 'invalid_credentials', login: 'alice', accountId: 'acc-alice', counted: ['repeats', 'credential'], every: 'doubling' },
    };
    for (let i = 0; i < 5; i++) await r.outcome.record(refused('invalid_credentials', refusal), meta);
    expect(r.throttle.recordFailure).toHaveBeenCalledTimes(5);
    expect(r.throttle.recordFailure).toHaveBeenCalledWith('alice', 'guess', meta);
    // 1st, 2nd and 4th try: not the 3rd or 5th.
    expect(r.audit.record.mock.calls.map(([a]) => a.detail)).toEqual([
      { repeats: 1, credential: 'fp123' },
      { repeats: 2, credential: 'fp123' },
      { repeats: 4, credential: 'fp123' },
    ]);
    expect(r.audit.record.mock.calls[0]![0]).toMatchObject({ type: 'auth.basic', outcome: 'failure', login: 'alice', accountId: 'acc-alice', code: 'invalid_credentials', origin: meta });
    expect(r.stats.recordAuth).toHaveBeenCalledTimes(5);
    expect(r.stats.recordAuth).toHaveBeenLastCalledWith('basic', 'invalid_credentials', 'acc-alice');
  });

  it('writes a rate-limited refusal at most once a minute per key', async () => {
    const refusal: Refusal = { login: null, audit: { type: 'auth.bearer', code: 'invalid_token', login: null, accountId: null, detail: { reason: 'unknown' }, every: { minute: 'bearer:t:unknown' } } };
    for (let i = 0; i < 3; i++) await r.outcome.record(refused('invalid_token', refusal, 'bearer'), meta);
    expect(r.audit.record).toHaveBeenCalledTimes(1);
    expect(r.audit.record.mock.calls[0]![0]).toMatchObject({ detail: { reason: 'unknown' }, code: 'invalid_token' });
    expect(r.throttle.recordFailure).not.toHaveBeenCalled();
    // A token names no presented login: counted for nobody.
    expect(r.stats.recordAuth).toHaveBeenCalledWith('bearer', 'invalid_token', null);
  });

  it("counts a refusal made before the look-up for the customer last seen failing with that login, until it changes", async () => {
    await r.outcome.record(refused('invalid_credentials', { login: 'alice-sync', owner: { id: 'acc-alice', login: 'alice' }, wrongSecret: 'x' }), meta);
    await r.outcome.record(refused('too_many_requests', { login: 'alice-sync' }), meta);
    expect(r.stats.recordAuth).toHaveBeenLastCalledWith('basic', 'too_many_requests', 'acc-alice');
    // No such login: nobody, and never remembered.
    await r.outcome.record(refused('invalid_credentials', { login: 'ghost', owner: null, wrongSecret: 'x' }), meta);
    await r.outcome.record(refused('too_many_requests', { login: 'ghost' }), meta);
    expect(r.stats.recordAuth).toHaveBeenLastCalledWith('basic', 'too_many_requests', null);
    // The customer changed: its failures are not attributed from memory any more.
    r.changeLogin('alice');
    await r.outcome.record(refused('too_many_requests', { login: 'alice-sync' }), meta);
    expect(r.stats.recordAuth).toHaveBeenLastCalledWith('basic', 'too_many_requests', null);
  });

  it('counts a refusal without facts (a malformed header, an expired session) for nobody, and records nothing else', () => {
    const answer = new DomainError('malformed_authorization', 'no');
    expect(r.outcome.record({ kind: 'refused', method: 'basic', error: answer, answer }, meta)).toBeUndefined();
    expect(r.stats.recordAuth).toHaveBeenCalledWith('basic', 'malformed_authorization');
    expect(r.audit.record).not.toHaveBeenCalled();
  });

  it('counts no outcome for an unexpected error (a 500, not an authentication failure)', async () => {
    const err = new Error('database down');
    await r.outcome.record({ kind: 'refused', method: 'otp', error: new CredentialRefused(err, { login: 'alice' }), answer: err }, meta);
    expect(r.stats.recordAuth).not.toHaveBeenCalled();
  });

  it('counts a request without credentials as method none', () => {
    r.outcome.record({ kind: 'missing', answer: new DomainError('authentication_required') }, meta);
    expect(r.stats.recordAuth).toHaveBeenCalledWith('none', 'authentication_required');
  });

  it('records nothing for a public route', () => {
    r.outcome.record({ kind: 'public' }, meta);
    expect(r.stats.recordAuth).not.toHaveBeenCalled();
  });
});
