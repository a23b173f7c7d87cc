import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkUnlock,
  checkWritable,
  conflicts,
  type DavLock,
  describeLock,
  isExpired,
  type LockDepth,
  type LockScope,
  locksCovering,
  locksToRefresh,
  locksWithin,
  newLockToken,
  normalizeLockPath,
  parentPath,
} from './locks.js';

const NOW = 1_700_000_000_000;
let serial = 0;

function lock(root: string, depth: LockDepth, scope: LockScope = 'exclusive', principal = 'alice', extra: Partial<DavLock> = {}): DavLock {
  return { token: `urn:uuid:t${++serial}`, root, depth, scope, owner: null, principal, expiresAt: NOW + 60_000, ...extra };
}

describe('paths', () => {
  it.each([
    ['/', '/'],
    ['/a', '/a'],
    ['/a/', '/a'],
    ['/a/b//', '/a/b'],
  ])('normalizeLockPath(%s) = %s', (p, n) => {
    expect(normalizeLockPath(p)).toBe(n);
  });

  it('refuses relative paths', () => {
    expect(() => normalizeLockPath('a/b')).toThrow(TypeError);
  });

  it.each([
    ['/', null],
    ['/a', '/'],
    ['/a/', '/'],
    ['/a/b', '/a'],
    ['/a/b/c/', '/a/b'],
  ])('parentPath(%s) = %s', (p, parent) => {
    expect(parentPath(p)).toBe(parent);
  });

  it('newLockToken is a fresh UUID URN', () => {
    const a = newLockToken();
    expect(a).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(newLockToken()).not.toBe(a);
  });
});

describe('locksCovering', () => {
  it.each<[string, LockDepth, string, boolean]>([
    // lock root, depth, path, covered
    ['/a', 'infinity', '/a', true],
    ['/a', 'infinity', '/a/', true],
    ['/a', 'infinity', '/a/b', true],
    ['/a', 'infinity', '/a/b/c', true],
    ['/a/', 'infinity', '/a/b', true],
    ['/a', 'infinity', '/ab', false],
    ['/a', 'infinity', '/', false],
    ['/a/b', 'infinity', '/a', false],
    ['/', 'infinity', '/x/y', true],
    ['/', 'infinity', '/', true],
    ['/a', 0, '/a', true],
    ['/a', 0, '/a/', true],
    ['/a/', 0, '/a', true],
    ['/a', 0, '/a/b', false],
    ['/', 0, '/a', false],
  ])('lock %s depth %s covers %s: %s', (root, depth, path, covered) => {
    const l = lock(root, depth);
    expect(locksCovering([l], path, NOW)).toEqual(covered ? [l] : []);
  });

  it('ignores expired locks', () => {
    const expired = lock('/a', 'infinity', 'exclusive', 'alice', { expiresAt: NOW });
    expect(isExpired(expired, NOW)).toBe(true);
    expect(locksCovering([expired], '/a/b', NOW)).toEqual([]);
    expect(locksCovering([expired], '/a/b', NOW - 1)).toEqual([expired]);
  });

  it('locksWithin lists locks rooted at or below a path', () => {
    const [a, ab, abc, ax] = [lock('/a', 0), lock('/a/b', 0, 'shared'), lock('/a/b/c', 'infinity', 'shared'), lock('/ax', 0)];
    expect(locksWithin([a, ab, abc, ax], '/a/b', NOW)).toEqual([ab, abc]);
    expect(locksWithin([a, ab, abc, ax], '/', NOW)).toEqual([a, ab, abc, ax]);
  });

  // Reference: RFC 4918 §7 read literally, on segment arrays.
  const segs = (p: string) => p.split('/').filter((s) => s !== '');
  const pathArb = fc.array(fc.constantFrom('a', 'b', 'ab'), { maxLength: 4 }).map((s) => `/${s.join('/')}`);

  it('agrees with a segment-wise reference (property-based)', () => {
    fc.assert(
      fc.property(pathArb, fc.constantFrom<LockDepth>(0, 'infinity'), pathArb, (root, depth, path) => {
        const r = segs(root);
        const p = segs(path);
        const expected = depth === 0 ? r.join('/') === p.join('/') : r.length <= p.length && r.every((s, i) => s === p[i]);
        expect(locksCovering([lock(root, depth)], path, NOW).length === 1).toBe(expected);
      }),
    );
  });
});

describe('conflicts', () => {
  it.each<[string, [string, LockDepth, LockScope], [string, LockDepth, LockScope], boolean]>([
    // existing, requested, conflict
    ['exclusive on the same resource', ['/a', 0, 'exclusive'], ['/a', 0, 'exclusive'], true],
    ['shared on an exclusive', ['/a', 0, 'exclusive'], ['/a', 0, 'shared'], true],
    ['exclusive on a shared', ['/a', 0, 'shared'], ['/a', 0, 'exclusive'], true],
    ['shared on a shared', ['/a', 0, 'shared'], ['/a', 0, 'shared'], false],
    ['shared infinity over shared member', ['/a/b', 0, 'shared'], ['/a', 'infinity', 'shared'], false],
    ['member under an infinity lock', ['/a', 'infinity', 'exclusive'], ['/a/b/c', 0, 'exclusive'], true],
    ['member under a depth-0 lock', ['/a', 0, 'exclusive'], ['/a/b', 0, 'exclusive'], false],
    ['member infinity under a depth-0 lock', ['/a', 0, 'exclusive'], ['/a/b', 'infinity', 'exclusive'], false],
    ['infinity over a locked member', ['/a/b/c', 0, 'exclusive'], ['/a', 'infinity', 'shared'], true],
    ['depth 0 over a locked member', ['/a/b', 0, 'exclusive'], ['/a', 0, 'exclusive'], false],
    ['siblings', ['/a/b', 'infinity', 'exclusive'], ['/a/c', 'infinity', 'exclusive'], false],
    ['name prefix is not a path prefix', ['/a', 'infinity', 'exclusive'], ['/ab', 0, 'exclusive'], false],
    ['root infinity', ['/', 'infinity', 'exclusive'], ['/x', 0, 'shared'], true],
    ['trailing slashes do not matter', ['/a/', 'infinity', 'exclusive'], ['/a/b/', 0, 'exclusive'], true],
  ])('%s: %s', (_, [eRoot, eDepth, eScope], [rRoot, rDepth, rScope], conflict) => {
    const existing = lock(eRoot, eDepth, eScope);
    expect(conflicts([existing], { root: rRoot, depth: rDepth, scope: rScope }, NOW)).toEqual(conflict ? [existing] : []);
  });

  it('the lock holder cannot stack an exclusive lock on its own either', () => {
    const mine = lock('/a', 0, 'exclusive', 'alice');
    expect(conflicts([mine], { root: '/a', depth: 0, scope: 'exclusive' }, NOW)).toEqual([mine]);
  });

  it('expired locks do not conflict', () => {
    const old = lock('/a', 'infinity', 'exclusive', 'bob', { expiresAt: NOW - 1 });
    expect(conflicts([old], { root: '/a', depth: 0, scope: 'exclusive' }, NOW)).toEqual([]);
  });

  it('lists every conflicting lock', () => {
    const [s1, s2, other] = [lock('/a', 0, 'shared'), lock('/a/b', 0, 'shared', 'bob'), lock('/c', 0)];
    expect(conflicts([s1, s2, other], { root: '/a', depth: 'infinity', scope: 'exclusive' }, NOW)).toEqual([s1, s2]);
  });

  const lockArb = fc.record({
    root: fc.array(fc.constantFrom('a', 'b'), { maxLength: 3 }).map((s) => `/${s.join('/')}`),
    depth: fc.constantFrom<LockDepth>(0, 'infinity'),
    scope: fc.constantFrom<LockScope>('exclusive', 'shared'),
  });

  it('is symmetric, and shared never conflicts with shared (property-based)', () => {
    fc.assert(
      fc.property(lockArb, lockArb, (a, b) => {
        const ab = conflicts([lock(a.root, a.depth, a.scope)], b, NOW).length > 0;
        const ba = conflicts([lock(b.root, b.depth, b.scope)], a, NOW).length > 0;
        expect(ab).toBe(ba);
        if (a.scope === 'shared' && b.scope === 'shared') expect(ab).toBe(false);
      }),
    );
  });

  it('two locks conflict iff some resource would be covered by both, one exclusive (property-based)', () => {
    const child = (root: string) => `${normalizeLockPath(root)}/z`.replace('//', '/');
    fc.assert(
      fc.property(lockArb, lockArb, (a, b) => {
        const la = lock(a.root, a.depth, a.scope);
        const lb = lock(b.root, b.depth, b.scope);
        // If two scopes share a resource, the deeper root is one (a depth-0 scope is its root;
        // two subtrees that meet nest): the roots are enough witnesses, members are extra.
        const all = [a.root, b.root, child(a.root), child(b.root)];
        const overlap = all.some((p) => locksCovering([la], p, NOW).length > 0 && locksCovering([lb], p, NOW).length > 0);
        const exclusive = a.scope === 'exclusive' || b.scope === 'exclusive';
        expect(conflicts([la], b, NOW).length > 0).toBe(overlap && exclusive);
      }),
    );
  });
});

describe('checkWritable', () => {
  const mine = lock('/docs', 'infinity', 'exclusive', 'alice');
  const bobs = lock('/shared/file', 0, 'shared', 'bob');
  const alicesShared = lock('/shared/file', 0, 'shared', 'alice');
  const collection0 = lock('/coll', 0, 'exclusive', 'alice');
  const deep = lock('/tree/x/y', 0, 'exclusive', 'bob');
  const expired = lock('/old', 'infinity', 'exclusive', 'bob', { expiresAt: NOW - 1 });
  const all = [mine, bobs, alicesShared, collection0, deep, expired];
  const ok = { ok: true };
  const locked = (lockRoot: string, path: string) => ({ ok: false, status: 423, precondition: 'lock-token-submitted', lockRoot, path });

  it.each<[string, Parameters<typeof checkWritable>[1], string[], string, object]>([
    ['unlocked resource', ['/free/x'], [], 'alice', ok],
    ['expired lock is ignored', ['/old/x'], [], 'alice', ok],
    ['locked, no token', ['/docs/a.txt'], [], 'alice', locked('/docs', '/docs/a.txt')],
    ['locked, token from its owner', ['/docs/a.txt'], [mine.token], 'alice', ok],
    ['locked, token from someone else (§6.4)', ['/docs/a.txt'], [mine.token], 'bob', locked('/docs', '/docs/a.txt')],
    ['locked, another lock token', ['/docs/a.txt'], [bobs.token], 'bob', locked('/docs', '/docs/a.txt')],
    ['two shared locks: either owner token suffices (bob)', ['/shared/file'], [bobs.token], 'bob', ok],
    ['two shared locks: either owner token suffices (alice)', ['/shared/file'], [alicesShared.token], 'alice', ok],
    ['two shared locks: token of the other owner is no use', ['/shared/file'], [bobs.token], 'alice', locked('/shared/file', '/shared/file')],
    ['depth-0 lock on a collection: member contents are free', ['/coll/member'], [], 'bob', ok],
    [
      'depth-0 lock on a collection: adding a member needs the token',
      ['/coll/new', '/coll'],
      [],
      'bob',
      locked('/coll', '/coll'),
    ],
    ['... with the token it is fine', ['/coll/new', '/coll'], [collection0.token], 'alice', ok],
    ['DELETE of a tree with a lock deep inside', [{ path: '/tree', depth: 'infinity' }], [], 'alice', locked('/tree/x/y', '/tree/x/y')],
    ['... the same tree, with that token by its owner', [{ path: '/tree', depth: 'infinity' }], [deep.token], 'bob', ok],
    ['a depth-0 target ignores locks below it', [{ path: '/tree', depth: 0 }], [], 'alice', ok],
    ['the first failing target is reported', ['/free', '/docs/x', '/coll'], [], 'bob', locked('/docs', '/docs/x')],
  ])('%s', (_, targets, tokens, principal, expected) => {
    expect(checkWritable(all, targets, tokens, principal, NOW)).toEqual(expected);
  });

  it('names the nearest lock in the way', () => {
    const outer = lock('/a', 'infinity', 'shared', 'bob');
    const inner = lock('/a/b', 'infinity', 'shared', 'carol');
    expect(checkWritable([outer, inner], ['/a/b/c'], [], 'alice', NOW)).toMatchObject({ lockRoot: '/a/b' });
  });

  it('a subtree whose root is satisfied only by a depth-0 lock is still held by an inherited lock', () => {
    // Bob shares /a (infinity); Alice holds a shared depth-0 lock on /a/x. Deleting /a/x with
    // Alice's token clears /a/x itself, but its members are covered by Bob's lock only.
    const bobsTree = lock('/a', 'infinity', 'shared', 'bob');
    const alices = lock('/a/x', 0, 'shared', 'alice');
    expect(checkWritable([bobsTree, alices], ['/a/x'], [alices.token], 'alice', NOW)).toEqual(ok);
    expect(checkWritable([bobsTree, alices], [{ path: '/a/x', depth: 'infinity' }], [alices.token], 'alice', NOW)).toEqual(locked('/a', '/a/x'));
  });

  const pathArb = fc.array(fc.constantFrom('a', 'b'), { maxLength: 3 }).map((s) => `/${s.join('/')}`);
  const lockListArb = fc.array(
    fc.record({
      root: pathArb,
      depth: fc.constantFrom<LockDepth>(0, 'infinity'),
      scope: fc.constantFrom<LockScope>('exclusive', 'shared'),
      principal: fc.constantFrom('alice', 'bob'),
      expired: fc.boolean(),
    }),
    { maxLength: 5 },
  );
  const targetArb = fc.record({ path: pathArb, depth: fc.constantFrom<LockDepth>(0, 'infinity') });

  it('is ok when nothing is locked, and when every token is submitted by its owner (property-based)', () => {
    fc.assert(
      fc.property(lockListArb, fc.array(targetArb, { maxLength: 3 }), (specs, targets) => {
        const locks = specs.map((s) => lock(s.root, s.depth, s.scope, s.principal, { expiresAt: s.expired ? NOW - 1 : NOW + 1 }));
        const mineOnly = locks.filter((l) => l.principal === 'alice');
        expect(checkWritable(mineOnly, targets, mineOnly.map((l) => l.token), 'alice', NOW)).toEqual(ok);
        const live = locks.filter((l) => !isExpired(l, NOW));
        const touched = targets.some(
          (t) => locksCovering(live, t.path, NOW).length > 0 || (t.depth === 'infinity' && locksWithin(live, t.path, NOW).length > 0),
        );
        expect(checkWritable(locks, targets, [], 'alice', NOW).ok).toBe(!touched);
      }),
    );
  });
});

describe('checkUnlock and locksToRefresh', () => {
  const l = lock('/a', 'infinity', 'exclusive', 'alice');

  it.each<[string, string, string, string, object]>([
    ['the lock root', '/a', l.token, 'alice', { ok: true, lock: l }],
    ['a member covered by the lock', '/a/b', l.token, 'alice', { ok: true, lock: l }],
    ['outside the lock', '/b', l.token, 'alice', { ok: false, status: 409, precondition: 'lock-token-matches-request-uri' }],
    ['unknown token', '/a', 'urn:uuid:nope', 'alice', { ok: false, status: 409, precondition: 'lock-token-matches-request-uri' }],
    ['another principal', '/a', l.token, 'bob', { ok: false, status: 403 }],
  ])('UNLOCK of %s', (_, path, token, principal, expected) => {
    expect(checkUnlock([l], path, token, principal, NOW)).toEqual(expected);
  });

  it('UNLOCK of an expired lock is a 409', () => {
    expect(checkUnlock([l], '/a', l.token, 'alice', l.expiresAt)).toMatchObject({ ok: false, status: 409 });
  });

  describe('the account owner', () => {
    // A sublogin's lock, as the store hands over one account's locks.
    const sub = lock('/proj', 'infinity', 'exclusive', 'owner-sub');
    const owner = { login: 'owner', accountOwner: true } as const;

    it('may remove a lock another login of the account took', () => {
      expect(checkUnlock([sub], '/proj', sub.token, owner, NOW)).toEqual({ ok: true, lock: sub });
      expect(checkUnlock([sub], '/proj/secret', sub.token, owner, NOW)).toEqual({ ok: true, lock: sub });
    });

    it('still needs a live lock covering the request URI (409)', () => {
      expect(checkUnlock([sub], '/other', sub.token, owner, NOW)).toEqual({ ok: false, status: 409, precondition: 'lock-token-matches-request-uri' });
      expect(checkUnlock([sub], '/proj', 'urn:uuid:nope', owner, NOW)).toMatchObject({ ok: false, status: 409 });
      expect(checkUnlock([sub], '/proj', sub.token, owner, sub.expiresAt)).toMatchObject({ ok: false, status: 409 });
    });

    it('is the only one: another sublogin, or the same login not flagged as owner, gets 403', () => {
      expect(checkUnlock([sub], '/proj', sub.token, { login: 'owner-other', accountOwner: false }, NOW)).toEqual({ ok: false, status: 403 });
      expect(checkUnlock([sub], '/proj', sub.token, 'owner-other', NOW)).toEqual({ ok: false, status: 403 });
      expect(checkUnlock([sub], '/proj', sub.token, { login: 'owner', accountOwner: false }, NOW)).toEqual({ ok: false, status: 403 });
      // The lock's own principal needs no owner flag.
      expect(checkUnlock([sub], '/proj', sub.token, { login: 'owner-sub', accountOwner: false }, NOW)).toEqual({ ok: true, lock: sub });
    });
  });

  it('refreshes only covering locks whose token the owner submitted', () => {
    const other = lock('/a/b', 0, 'shared', 'bob');
    expect(locksToRefresh([l, other], '/a/b', [l.token, other.token], 'alice', NOW)).toEqual([l]);
    expect(locksToRefresh([l, other], '/c', [l.token], 'alice', NOW)).toEqual([]);
    expect(locksToRefresh([l, other], '/a/b', [], 'alice', NOW)).toEqual([]);
  });
});

describe('describeLock', () => {
  it('shows the time left, rounded up to the second', () => {
    const l = lock('/a/', 0, 'shared', 'alice', { owner: 'me', expiresAt: NOW + 1500 });
    expect(describeLock(l, NOW)).toEqual({ token: l.token, root: '/a/', depth: 0, scope: 'shared', owner: 'me', timeoutSeconds: 2 });
    expect(describeLock(l, NOW + 5000).timeoutSeconds).toBe(0);
  });
});
