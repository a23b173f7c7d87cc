// External application connection of an account (contract §4.2): which password, if any,
// HTTP Basic (and OTP) accept for the account itself. Pure state machine plus the
// generator of the issued password; persistence and cache invalidation live elsewhere.
import { randomInt } from 'node:crypto';

export type AppConnectionState = 'legacy' | 'disabled' | 'issued';
export type AppConnectionAction = 'enable' | 'reissue' | 'disable';

export class AppConnectionError extends Error {
  override readonly name = 'AppConnectionError';
  readonly code = 'app_connection_conflict';
  constructor(
    readonly state: AppConnectionState,
    readonly action: AppConnectionAction,
  ) {
    super(`cannot ${action} an app connection that is ${state}`);
  }
}

/** Accounts registered strictly before the cutoff keep Basic with their login password. */
export function initialAppConnectionState(registeredAt: Date, legacyCutoff: Date): AppConnectionState {
  // An invalid date compares false either way; refuse it rather than guess a state.
  if (Number.isNaN(registeredAt.getTime()) || Number.isNaN(legacyCutoff.getTime())) {
    throw new RangeError('invalid date');
  }
  return registeredAt.getTime() < legacyCutoff.getTime() ? 'legacy' : 'disabled';
}

type Outcome = { state: AppConnectionState; issuesPassword: boolean };

// The whole machine. No entry leads to `legacy`: once left, it never comes back.
const TRANSITIONS: Readonly<Record<AppConnectionAction, Partial<Record<AppConnectionState, Outcome>>>> = {
  enable: { disabled: { state: 'issued', issuesPassword: true } },
  // From `issued` this is the rotation: the new password replaces the old one at once.
  reissue: {
    legacy: { state: 'issued', issuesPassword: true },
    issued: { state: 'issued', issuesPassword: true },
  },
  // Idempotent from `disabled`, so a repeated click is not an error.
  disable: {
    legacy: { state: 'disabled', issuesPassword: false },
    disabled: { state: 'disabled', issuesPassword: false },
    issued: { state: 'disabled', issuesPassword: false },
  },
};

/** Throws AppConnectionError (`app_connection_conflict`) for a transition the machine lacks. */
export function transition(state: AppConnectionState, action: AppConnectionAction): Outcome {
  // Object.hasOwn: a string like "__proto__" from a request must not reach the prototype.
  const row = Object.hasOwn(TRANSITIONS, action) ? TRANSITIONS[action] : undefined;
  const outcome = row && Object.hasOwn(row, state) ? row[state] : undefined;
  if (!outcome) throw new AppConnectionError(state, action);
  return { ...outcome };
}

/** Which password Basic accepts for the account in this state; null means Basic is refused. */
export function basicPasswordKind(state: AppConnectionState): 'login' | 'issued' | null {
  switch (state) {
    case 'legacy':
      return 'login';
    case 'issued':
      return 'issued';
    case 'disabled':
      return null;
  }
}

// 32 symbols: digits 2–9 and lower-case letters without l and o, so no 0/O, 1/l/I
// confusion and nothing that needs escaping in URLs, shells, OTP or Basic.
export const APP_PASSWORD_ALPHABET = '23456789abcdefghijkmnpqrstuvwxyz';
export const APP_PASSWORD_SYMBOLS = 28;
export const APP_PASSWORD_GROUP = 4;
// 28 symbols × log2(32) = 5 bits = 140 bits of entropy (≥ 128 as contract §4.2 requires).
export const APP_PASSWORD_ENTROPY_BITS = APP_PASSWORD_SYMBOLS * Math.log2(APP_PASSWORD_ALPHABET.length);

/**
 * A fresh issued password like `k7mq-x2cz-…` (7 groups of 4, 34 characters with the
 * hyphens, which are part of the password). Each symbol is drawn with crypto.randomInt,
 * which rejects out-of-range draws, so every symbol is uniform (no modulo bias).
 */
export function generateAppPassword(): string {
  let out = '';
  for (let i = 0; i < APP_PASSWORD_SYMBOLS; i++) {
    if (i > 0 && i % APP_PASSWORD_GROUP === 0) out += '-';
    out += APP_PASSWORD_ALPHABET[randomInt(APP_PASSWORD_ALPHABET.length)];
  }
  return out;
}
