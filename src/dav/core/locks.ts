/**
 * Write locks (RFC 4918 §6, §7), as pure functions over a list of locks: the storage (database
 * rows, Redis, memory) only has to hand over the locks of one mount and persist the results.
 *
 * Paths are decoded, absolute paths inside one mount (`/docs/a.txt`); a trailing `/` is
 * ignored, so `/docs/` and `/docs` are the same resource. Times are epoch milliseconds, passed
 * in (default `Date.now()`) so that tests and several instances agree on "now". An expired lock
 * is treated everywhere as if it did not exist, whether or not storage has purged it yet.
 */

export type LockScope = 'exclusive' | 'shared';
export type LockDepth = 0 | 'infinity';

export interface DavLock {
  /** `urn:uuid:...` (see `newLockToken`). */
  readonly token: string;
  /** The locked resource (the lock root), decoded path inside the mount. */
  readonly root: string;
  readonly depth: LockDepth;
  readonly scope: LockScope;
  /** Serialized content of the client's `<D:owner>`, shown back in lockdiscovery. */
  readonly owner: string | null;
  /** Login that created the lock: only it may use the token (RFC 4918 §6.4). */
  readonly principal: string;
  /** Epoch ms. */
  readonly expiresAt: number;
}

/** What `liveProps.lockdiscovery` shows of a lock. */
export interface ActiveLock {
  readonly token: string;
  readonly root: string;
  readonly depth: LockDepth;
  readonly scope: LockScope;
  readonly owner: string | null;
  readonly timeoutSeconds: number | 'infinite';
}

export interface LockRequest {
  readonly root: string;
  readonly depth: LockDepth;
  readonly scope: LockScope;
}

/** Something a request is about to change: one resource (depth 0) or a whole subtree. */
export interface WriteTarget {
  readonly path: string;
  readonly depth: LockDepth;
}

export type WriteCheck =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly status: 423;
      readonly precondition: 'lock-token-submitted';
      /** Root of the lock whose token is missing (goes in the error body's href). */
      readonly lockRoot: string;
      /** The resource that is locked. */
      readonly path: string;
    };

export type UnlockCheck =
  | { readonly ok: true; readonly lock: DavLock }
  | { readonly ok: false; readonly status: 409; readonly precondition: 'lock-token-matches-request-uri' }
  | { readonly ok: false; readonly status: 403 };

/** A fresh lock token; a UUID URN is the form RFC 4918 §6.5 recommends. */
export const newLockToken = (): string => `urn:uuid:${crypto.randomUUID()}`;

/** `/a/b/` → `/a/b`; `/` stays `/`. */
export function normalizeLockPath(path: string): string {
  if (!path.startsWith('/')) throw new TypeError(`lock paths are absolute: ${JSON.stringify(path)}`);
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

/** The collection holding `path`; null for the mount root. */
export function parentPath(path: string): string | null {
  const p = normalizeLockPath(path);
  if (p === '/') return null;
  const cut = p.lastIndexOf('/');
  return cut === 0 ? '/' : p.slice(0, cut);
}

/** `path` is `root` or inside it, segment-wise (`/ab` is not inside `/a`). */
function isWithin(path: string, root: string): boolean {
  return root === '/' || path === root || path.startsWith(`${root}/`);
}

export const isExpired = (lock: DavLock, now: number = Date.now()): boolean => lock.expiresAt <= now;

/** Whether `lock` applies to the resource at `path` (a normalized path). */
function covers(lock: { root: string; depth: LockDepth }, path: string): boolean {
  const root = normalizeLockPath(lock.root);
  return lock.depth === 'infinity' ? isWithin(path, root) : path === root;
}

/**
 * The live locks that apply to `path`: those rooted at it, and depth-infinity locks rooted at
 * one of its ancestors. A depth-0 lock on a collection covers the collection only (its
 * properties and its membership), not the members' contents.
 */
export function locksCovering(locks: readonly DavLock[], path: string, now: number = Date.now()): DavLock[] {
  const p = normalizeLockPath(path);
  return locks.filter((l) => !isExpired(l, now) && covers(l, p));
}

/** The live locks rooted at `path` or anywhere below it. */
export function locksWithin(locks: readonly DavLock[], path: string, now: number = Date.now()): DavLock[] {
  const p = normalizeLockPath(path);
  return locks.filter((l) => !isExpired(l, now) && isWithin(normalizeLockPath(l.root), p));
}

/**
 * The live locks that forbid granting `requested` (RFC 4918 §6.1, §7): locks whose scope
 * overlaps it (either one covers the other's root) where at least one of the two is exclusive.
 * Shared locks never conflict with each other. Who holds the lock does not matter: a principal
 * cannot stack an exclusive lock on its own exclusive lock either. Empty = the lock may be
 * granted; otherwise answer 423 with `no-conflicting-lock` naming the roots.
 */
export function conflicts(existing: readonly DavLock[], requested: LockRequest, now: number = Date.now()): DavLock[] {
  const root = normalizeLockPath(requested.root);
  return existing.filter(
    (l) =>
      !isExpired(l, now) &&
      (l.scope === 'exclusive' || requested.scope === 'exclusive') &&
      (covers(l, root) || covers(requested, normalizeLockPath(l.root))),
  );
}

/**
 * Whether a request may change `targets` (RFC 4918 §7.1, §7.4, §9): every locked resource it
 * touches must be covered by at least one lock whose token was submitted (in the If header) by
 * the principal that created that lock — a token alone is not enough (§6.4). With several
 * shared locks on a resource, any one of them suffices.
 *
 * The caller lists what the method changes:
 * - the resource itself, depth 0 (PUT, PROPPATCH, LOCK's target, MOVE/COPY destination file);
 * - a subtree with depth 'infinity' (DELETE or MOVE of a collection, COPY/MOVE onto an
 *   existing collection): locks rooted anywhere inside count too;
 * - the parent collection, depth 0, when a member is added or removed (PUT of a new file,
 *   MKCOL, DELETE, MOVE both ends): even a depth-0 lock on a collection protects its membership.
 *
 * A string target means `{ path, depth: 0 }`. The first failure is reported, naming the root
 * of the nearest lock in the way.
 */
export function checkWritable(
  locks: readonly DavLock[],
  targets: ReadonlyArray<string | WriteTarget>,
  submittedTokens: Iterable<string>,
  principal: string,
  now: number = Date.now(),
): WriteCheck {
  const submitted = new Set(submittedTokens);
  const live = locks.filter((l) => !isExpired(l, now));
  const usable = (l: DavLock) => submitted.has(l.token) && l.principal === principal;

  for (const target of targets) {
    const { path, depth } = typeof target === 'string' ? { path: target, depth: 0 as const } : target;
    const p = normalizeLockPath(path);
    // The coverage of a subtree only changes at lock roots, so checking the target and every
    // lock root inside it checks every resource in it.
    const resources =
      depth === 0 ? [p] : [p, ...new Set(locksWithin(live, p, now).map((l) => normalizeLockPath(l.root)))];
    for (const resource of resources) {
      const covering = live.filter((l) => covers(l, resource));
      if (covering.length > 0 && !covering.some(usable)) return locked(covering, resource);
      if (depth === 'infinity') {
        // Members below `resource` that are not lock roots themselves lose its depth-0 locks
        // and keep only the depth-infinity ones: those must be satisfied too. (We do not know
        // whether such members exist; assuming they do errs on the side of the lock.)
        const inherited = covering.filter((l) => l.depth === 'infinity');
        if (inherited.length > 0 && !inherited.some(usable)) return locked(inherited, resource);
      }
    }
  }
  return { ok: true };
}

function locked(covering: readonly DavLock[], path: string): WriteCheck {
  // The nearest lock (longest root) is the one the client most likely forgot.
  const depthOf = (l: DavLock) => normalizeLockPath(l.root).length;
  const nearest = covering.reduce((a, b) => (depthOf(b) > depthOf(a) ? b : a));
  return { ok: false, status: 423, precondition: 'lock-token-submitted', lockRoot: nearest.root, path };
}

/**
 * Who asks to remove a lock: the login, and whether it is the account owner (a full login, not
 * a sublogin) of the account whose locks are checked.
 */
export interface LockRemover {
  readonly login: string;
  readonly accountOwner: boolean;
}

/**
 * UNLOCK (RFC 4918 §9.11): the token must name a live lock that covers the request URI
 * (else 409 lock-token-matches-request-uri), and only the principal that created it may
 * remove it (else 403) — or the account owner, for any lock on its own resources (a sublogin's
 * lock must not shut the owner out of its files). `locks` are one account's; a string
 * `principal` is a login that is not the account owner.
 */
export function checkUnlock(
  locks: readonly DavLock[],
  path: string,
  token: string,
  principal: string | LockRemover,
  now: number = Date.now(),
): UnlockCheck {
  const who = typeof principal === 'string' ? { login: principal, accountOwner: false } : principal;
  const lock = locksCovering(locks, path, now).find((l) => l.token === token);
  if (lock === undefined) return { ok: false, status: 409, precondition: 'lock-token-matches-request-uri' };
  if (lock.principal !== who.login && !who.accountOwner) return { ok: false, status: 403 };
  return { ok: true, lock };
}

/**
 * LOCK refresh (RFC 4918 §9.10.2, empty body): the locks covering `path` whose tokens the
 * principal that owns them submitted. Empty → 412 Precondition Failed.
 */
export function locksToRefresh(
  locks: readonly DavLock[],
  path: string,
  submittedTokens: Iterable<string>,
  principal: string,
  now: number = Date.now(),
): DavLock[] {
  const submitted = new Set(submittedTokens);
  return locksCovering(locks, path, now).filter((l) => submitted.has(l.token) && l.principal === principal);
}

/** The lockdiscovery view of a lock at `now`: the timeout left, rounded up to the second. */
export function describeLock(lock: DavLock, now: number = Date.now()): ActiveLock {
  return {
    token: lock.token,
    root: lock.root,
    depth: lock.depth,
    scope: lock.scope,
    owner: lock.owner,
    timeoutSeconds: Math.max(0, Math.ceil((lock.expiresAt - now) / 1000)),
  };
}
