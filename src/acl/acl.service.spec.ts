import type { AppConfig } from '../config/config.js';
import { Logger } from '@nestjs/common';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Principal } from '../auth/principal.js';
import { DomainError } from '../errors/domain-error.js';
import { CredentialEvents } from '../shared-state/credential-events.js';
import { MemorySharedState } from '../shared-state/memory-shared-state.js';
import { AclRuleStore } from './acl-rule.store.js';
import { AclService, toCanonicalRequestPath } from './acl.service.js';
import { type AclPathError, canonicalizeRequestPath } from './core/acl-path.js';
import type { AclRule as Rule } from './core/acl-resolver.js';

/** Rules in memory, counting loads; `gate` holds loads back to stage races. */
class FakeStore extends AclRuleStore {
  readonly rules = new Map<string, Rule[]>();
  readonly sublogins = new Map<string, { id: string; login: string }>();
  loads = 0;
  gate: Promise<void> | undefined;

  async rulesOf(subloginId: string): Promise<Rule[]> {
    this.loads++;
    const snapshot = [...(this.rules.get(subloginId) ?? [])];
    await this.gate;
    return snapshot;
  }

  async findSublogin(accountId: string, name: string): Promise<{ id: string; login: string } | null> {
    return this.sublogins.get(`${accountId}/${name}`) ?? null;
  }
}

const account = (login: string) => ({ id: `id-${login}`, login, role: 'user' as const });

function full(login: string, scopes: string[] | null = null): Principal {
  return { method: 'session', account: account(login), sublogin: null, application: null, scopes };
}

function sub(customer: string, name: string, id = `${customer}-${name}-id`, scopes: string[] | null = null): Principal {
  return { method: 'basic', account: account(customer), sublogin: { id, login: `${customer}-${name}`, name }, application: null, scopes };
}

const SPEC_RULES: Rule[] = [
  { path: '/file/', effect: 'allow' },
  { path: '/file/delete', effect: 'deny' },
  { path: '/file/delete/tmp', effect: 'allow' },
];

describe('AclService', () => {
  let state: MemorySharedState;
  let events: CredentialEvents;
  let store: FakeStore;
  let acl: AclService;

  beforeEach(async () => {
    state = new MemorySharedState();
    events = new CredentialEvents(state);
    await events.onModuleInit();
    store = new FakeStore();
    acl = new AclService(store, events, { basicRealm: 'Portcullis' } as AppConfig);
    store.rules.set('alice-ro-id', SPEC_RULES);
    store.sublogins.set('id-alice/ro', { id: 'alice-ro-id', login: 'alice-ro' });
  });
  afterEach(async () => {
    vi.useRealTimers();
    await state.close();
  });

  it('allows a full login everything on its own resources, without reading rules', async () => {
    expect(await acl.decide(full('alice'), '/file/delete/keep')).toEqual({ allowed: true, rule: null, path: '/file/delete/keep', basis: 'account' });
    expect(await acl.decide(full('alice'), '/sublogin/replace-rules/x')).toMatchObject({ allowed: true, basis: 'account' });
    expect(store.loads).toBe(0);
  });

  it('requires without a promise once the rules are cached: the guard decides at once', async () => {
    const p = sub('alice', 'ro');
    const first = acl.require(p, '/file/list/docs');
    expect(first).toBeInstanceOf(Promise); // the rules are loaded
    await first;
    expect(acl.require(p, '/file/list/docs')).toBeUndefined();
    expect(acl.require(full('alice'), '/file/delete/x')).toBeUndefined();
    // A refusal is thrown as it is decided.
    expect(() => acl.require(p, '/file/delete/keep')).toThrow(DomainError);
    expect(store.loads).toBe(1);
  });

  it('decides a sublogin by its most specific rule (contract §6), denying where no rule covers', async () => {
    const p = sub('alice', 'ro');
    expect(await acl.decide(p, '/file/list/docs')).toEqual({ allowed: true, rule: SPEC_RULES[0], path: '/file/list/docs', basis: 'rule' });
    expect(await acl.decide(p, '/file/delete/keep/a')).toMatchObject({ allowed: false, rule: SPEC_RULES[1], basis: 'rule' });
    expect(await acl.decide(p, '/file/delete/tmp/a')).toMatchObject({ allowed: true, rule: SPEC_RULES[2], basis: 'rule' });
    expect(await acl.decide(p, '/stat/traffic')).toEqual({ allowed: false, rule: null, path: '/stat/traffic', basis: 'no_rule' });
  });

  it('denies everything to a sublogin without rules', async () => {
    expect(await acl.decide(sub('bob', 'none'), '/file/list')).toMatchObject({ allowed: false, basis: 'no_rule' });
  });

  it('loads a sublogin\'s rules once, also for concurrent first requests', async () => {
    const p = sub('alice', 'ro');
    await Promise.all(Array.from({ length: 20 }, () => acl.decide(p, '/file/list')));
    for (let i = 0; i < 20; i++) await acl.decide(p, '/file/delete/x');
    expect(store.loads).toBe(1);
    expect(acl.cachedCount).toBe(1);
  });

  it('drops the sublogin when CredentialEvents announces its login, and sees the new rules', async () => {
    const p = sub('alice', 'ro');
    expect((await acl.decide(p, '/file/delete/keep')).allowed).toBe(false);
    store.rules.set('alice-ro-id', [{ path: '/file/delete', effect: 'allow' }]);
    expect((await acl.decide(p, '/file/delete/keep')).allowed).toBe(false); // cached: nothing announced yet
    await events.changed('alice-ro');
    expect((await acl.decide(p, '/file/delete/keep')).allowed).toBe(true);
    expect(store.loads).toBe(2);
  });

  it('drops all of a customer\'s sublogins when the customer\'s login is announced, and only theirs', async () => {
    await acl.decide(sub('alice', 'ro'), '/file/list');
    await acl.decide(sub('alice', 'rw'), '/file/list');
    await acl.decide(sub('alicex', 'ro'), '/file/list'); // `alice` is not a prefix of this customer
    await acl.decide(sub('bob', 'ro'), '/file/list');
    expect(store.loads).toBe(4);
    await events.changed('alice');
    expect(acl.cachedCount).toBe(2);
    await acl.decide(sub('alice', 'ro'), '/file/list');
    await acl.decide(sub('alice', 'rw'), '/file/list');
    await acl.decide(sub('alicex', 'ro'), '/file/list');
    await acl.decide(sub('bob', 'ro'), '/file/list');
    expect(store.loads).toBe(6);
  });

  it('keeps other sublogins cached when one sublogin is announced', async () => {
    await acl.decide(sub('alice', 'ro'), '/file/list');
    await acl.decide(sub('alice', 'rw'), '/file/list');
    await events.changed('alice-rw');
    await acl.decide(sub('alice', 'ro'), '/file/list');
    expect(store.loads).toBe(2);
  });

  it('treats a sublogin re-created under the same login (a new id) as another sublogin', async () => {
    await acl.decide(sub('alice', 'ro'), '/file/list');
    store.rules.set('new-id', []);
    expect((await acl.decide(sub('alice', 'ro', 'new-id'), '/file/list')).allowed).toBe(false);
    expect(store.loads).toBe(2);
  });

  it('does not cache rules read before a change that was announced while they loaded', async () => {
    const p = sub('alice', 'ro');
    let release!: () => void;
    store.gate = new Promise((r) => (release = r));
    const first = acl.decide(p, '/file/delete/keep'); // reads the old rules, then waits
    await vi.waitFor(() => expect(store.loads).toBe(1));
    store.rules.set('alice-ro-id', [{ path: '/file/', effect: 'allow' }]);
    await events.changed('alice-ro');
    store.gate = undefined;
    // A request after the change does not join the stale load.
    expect((await acl.decide(p, '/file/delete/keep')).allowed).toBe(true);
    release();
    expect((await first).allowed).toBe(false); // the concurrent request saw the old rules...
    expect((await acl.decide(p, '/file/delete/keep')).allowed).toBe(true); // ...but they were not cached
  });

  it('rebuilds an entry after its TTL even when no event came', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const p = sub('alice', 'ro');
    await acl.decide(p, '/file/list');
    vi.setSystemTime(Date.now() + AclService.CACHE_TTL_MS - 1);
    await acl.decide(p, '/file/list');
    expect(store.loads).toBe(1);
    vi.setSystemTime(Date.now() + 2);
    await acl.decide(p, '/file/list');
    expect(store.loads).toBe(2);
  });

  it('keeps the cache within its rule budget, evicting the least recently used', async () => {
    const big = Array.from({ length: 30_000 }, (_, i) => ({ path: `/file/read/d${i}`, effect: 'allow' as const }));
    for (const name of ['a', 'b', 'c', 'd']) store.rules.set(`big-${name}-id`, big);
    await acl.decide(sub('big', 'a'), '/file/list');
    await acl.decide(sub('big', 'b'), '/file/list');
    await acl.decide(sub('big', 'c'), '/file/list');
    await acl.decide(sub('big', 'a'), '/file/list'); // a is now the most recently used
    await acl.decide(sub('big', 'd'), '/file/list'); // over budget: b goes
    expect(store.loads).toBe(4);
    expect(acl.cachedCount).toBe(3);
    await acl.decide(sub('big', 'a'), '/file/list');
    expect(store.loads).toBe(4);
    await acl.decide(sub('big', 'b'), '/file/list');
    expect(store.loads).toBe(5);
  });

  it('denies everything to a sublogin whose stored rules no longer parse, rather than skip one', async () => {
    const logged = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    store.rules.set('alice-bad-id', [{ path: '/file/', effect: 'allow' }, { path: '/file/../delete', effect: 'deny' }]);
    expect(await acl.decide(sub('alice', 'bad', 'alice-bad-id'), '/file/list')).toMatchObject({ allowed: false, basis: 'no_rule' });
    expect(logged).toHaveBeenCalledOnce();
    logged.mockRestore();
  });

  describe('OAuth scopes (contract §4.4): the token\'s scopes intersected with the user\'s rights', () => {
    it('limits a full login\'s token to its scopes', async () => {
      const p = full('alice', ['file:read']);
      expect(await acl.decide(p, '/file/list/docs')).toMatchObject({ allowed: true, basis: 'account' });
      expect(await acl.decide(p, '/file/download/a.txt')).toMatchObject({ allowed: true });
      expect(await acl.decide(p, '/file/delete/a.txt')).toEqual({ allowed: false, rule: null, path: '/file/delete/a.txt', basis: 'scope' });
      expect(await acl.decide(full('alice', []), '/file/list')).toMatchObject({ allowed: false, basis: 'scope' });
      expect(await acl.decide(full('alice', ['dav', 'unknown:scope']), '/dav/write/x')).toMatchObject({ allowed: true });
    });

    it('never lets a sublogin\'s token exceed the sublogin', async () => {
      const p = sub('alice', 'ro', 'alice-ro-id', ['file:read', 'file:delete']);
      expect(await acl.decide(p, '/file/delete/keep')).toMatchObject({ allowed: false, basis: 'rule', rule: SPEC_RULES[1] });
      expect(await acl.decide(p, '/file/delete/tmp/x')).toMatchObject({ allowed: true, basis: 'rule' });
      expect(await acl.decide(p, '/file/upload/tmp/x')).toMatchObject({ allowed: false, basis: 'scope' });
    });
  });

  describe('explain', () => {
    it('answers the decision and the deciding rule for a customer\'s sublogin, on the canonical path', async () => {
      expect(await acl.explain('id-alice', 'ro', '/FILE/delete//tmp/./a/../b.txt')).toEqual({ allowed: true, path: '/file/delete/tmp/b.txt', rule: SPEC_RULES[2] });
      expect(await acl.explain('id-alice', 'ro', '/file/delete/keep')).toEqual({ allowed: false, path: '/file/delete/keep', rule: SPEC_RULES[1] });
    });

    it('refuses an unknown (or another customer\'s) sublogin and a path no request could use', async () => {
      await expect(acl.explain('id-bob', 'ro', '/file/list')).rejects.toMatchObject({ code: 'not_found' });
      const err = await acl.explain('id-alice', 'ro', '/file/read/../../stat').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DomainError);
      expect(err).toMatchObject({ code: 'path_invalid', status: 400, details: { reason: 'climbs_above_action' } });
      await expect(acl.explain('id-alice', 'ro', 'file/list')).rejects.toMatchObject({ code: 'path_invalid' });
    });
  });
});

describe('toCanonicalRequestPath (remembers canonical forms of recent paths)', () => {
  /** The pure canonicalisation's answer: the canonical path, or the refusal's reason. */
  const pure = (raw: string) => {
    try {
      return { path: canonicalizeRequestPath(raw) };
    } catch (err) {
      return { reason: (err as AclPathError).reason };
    }
  };
  const remembered = (raw: string) => {
    try {
      return { path: toCanonicalRequestPath(raw) };
    } catch (err) {
      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).code).toBe('path_invalid');
      return { reason: ((err as DomainError).details as { reason?: string } | undefined)?.reason };
    }
  };

  it('answers as the pure canonicalisation does, the first time and every time after', () => {
    const segment = fc.constantFrom('file', 'FILE', 'list', 'Info', '.', '..', '', '%2e', '%2E%2e', 'a;b', '%2F', 'x%', 'é', '%C3%A9', 'a\u0000');
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 6 }), fc.boolean(), (segments, absolute) => {
        const raw = (absolute ? '/' : '') + segments.join('/');
        const expected = pure(raw);
        expect(remembered(raw)).toEqual(expected);
        expect(remembered(raw)).toEqual(expected);
      }),
      { numRuns: 2_000 },
    );
  });
});
