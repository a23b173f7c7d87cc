/**
 * The factors a web session records (contract §4.9). `password` is the login password;
 * the others are second factors. A passkey that verified its user is also a complete first factor.
 */
export type SessionFactor = 'password' | 'totp' | 'recovery' | 'passkey';
export type SecondFactorKind = Exclude<SessionFactor, 'password'>;
export const SECOND_FACTORS: readonly SecondFactorKind[] = ['totp', 'recovery', 'passkey'];

/**
 * A session that has its password but is not yet complete:
 * - `second_factor`: the account has a second factor, not given yet: only the routes that take one
 *   (`@PendingSessionAllowed('second_factor')`) accept the session;
 * - `enrolment`: the account must have a second factor (REQUIRE_ADMIN_2FA, REQUIRE_2FA) and has
 *   none: only the enrolment routes (`@PendingSessionAllowed('enrolment')`) accept it.
 */
export type PendingStage = 'second_factor' | 'enrolment';

/** A sensitive action needs a second factor given within this long (issue 21 item 5). */
export const RECENT_SECOND_FACTOR_MS = 10 * 60_000;

/** How long a pending session lives: long enough to find the phone, not a session of its own. */
export const PENDING_SESSION_MS = 10 * 60_000;

/** The second-factor state of a session principal, as the session strategy reads it. */
export interface SessionSecondFactor {
  factors: readonly SessionFactor[];
  /** When a second factor was last given in this session (epoch ms); null: never. */
  at: number | null;
  pending: PendingStage | null;
}

export function isSecondFactor(f: string): f is SecondFactorKind {
  return (SECOND_FACTORS as readonly string[]).includes(f);
}
