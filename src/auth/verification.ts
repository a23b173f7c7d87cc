import type { ErrorCode } from '../errors/error-codes.js';

/** The customer a presented login belongs to: the account itself, or a sublogin's customer. */
export interface LoginOwner {
  id: string;
  login: string;
}

/**
 * A credential whose last use is recorded (contract §4.1): a sublogin, an account's app password,
 * its app connection (the login password while legacy), an OAuth grant.
 */
export interface LastUse {
  kind: 'sublogin' | 'app-password' | 'app-connection' | 'grant';
  id: string;
}

/**
 * Where a verified answer is kept so that the next request with the same credential skips its
 * strategy (and argon2): the verification cache (Basic), or the bearer tokens' own cache. The
 * generation was read before verifying, so an answer that raced with a credential change is dropped.
 */
export type Remember =
  | { cache: 'verification'; key: string; tags: readonly string[]; generation: number }
  | { cache: 'bearer'; hash: string; grantId: string; expiresAt: number; tags: readonly string[]; generation: number };

export type AuthAuditType = 'auth.basic' | 'auth.otp' | 'auth.bearer' | 'auth.link';

/**
 * What a strategy says beside the principal (Passport's `info`): the facts the access pipeline's
 * AuthOutcome recorder acts on. A strategy records nothing itself.
 */
export interface Verification {
  /** The success's audit record (absent: the method audits no success, e.g. a cache hit or a session). */
  audit?: { type: AuthAuditType; login: string; detail?: Record<string, unknown> };
  remember?: Remember;
  lastUse?: LastUse;
}

/** The audit record of a refused credential, and how often it is written. */
export interface RefusalAudit {
  type: AuthAuditType;
  code: ErrorCode;
  login: string | null;
  accountId: string | null;
  detail?: Record<string, unknown>;
  /** Fields of the throttle's count added to the detail: how often this wrong secret was tried, and a short id of it. */
  counted?: readonly ('repeats' | 'credential')[];
  /**
   * `refusal`: each one. `doubling`: at the 1st, 2nd, 4th, 8th… try of one wrong secret (a stale
   * client retrying an old password is a few lines, not thousands). `{ minute }`: once a minute per key.
   */
  every: 'refusal' | 'doubling' | { minute: string };
}

/** What the outcome recorder needs to know of a refused credential; never shown to the client. */
export interface Refusal {
  /** The login presented, or null when none could be read (or the refusal counts for nobody). */
  login: string | null;
  /**
   * Its customer as the verifier found it: an owner; null when it looked and there is no such
   * login; absent when it refused before looking (throttled, an expired OTP).
   */
  owner?: LoginOwner | null;
  /** The wrong secret, when the brute-force throttle counts this refusal (each distinct wrong secret once). */
  wrongSecret?: string;
  audit?: RefusalAudit;
}

/**
 * A strategy's refusal: `answer` is what the client is told (a DomainError, or an unexpected error
 * as it was thrown), `refusal` what the outcome recorder needs. Kept apart so no response can show
 * the latter.
 */
export class CredentialRefused extends Error {
  override readonly name = 'CredentialRefused';

  constructor(
    readonly answer: unknown,
    readonly refusal: Refusal,
  ) {
    super(answer instanceof Error ? answer.message : 'credential refused');
  }
}
