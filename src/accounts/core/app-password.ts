// Pure parts of an account's app passwords (contract §4.2): the name rule, the stored rule set,
// and the limits a password's principal carries. Persistence lives in app-password.service.ts.
import type { CredentialLimits } from '../../common/credential-limits.js';

/** A rule of an app password's rule set: the sublogin rule syntax (contract §6), canonical. */
export interface AppPasswordRule {
  path: string;
  effect: 'allow' | 'deny';
}

export const APP_PASSWORD_NAME_MAX = 64;
/** The name the connection's own issuance (enable, reissue) and the migration give. */
export const DEFAULT_APP_PASSWORD_NAME = 'app password';
/** At most this many app passwords per account: one per device or program, not an unbounded table. */
export const MAX_APP_PASSWORDS = 100;

// Printable: no control, format, surrogate or unassigned code points (\p{C}); no edge spaces.
const NAME = /^[^\p{C}\s](?:[^\p{C}]*[^\p{C}\s])?$/u;

/** Why `name` is not a valid app-password name, or null. */
export function appPasswordNameProblem(name: string): string | null {
  const length = [...name].length;
  if (length < 1 || length > APP_PASSWORD_NAME_MAX) return `name must be 1 to ${APP_PASSWORD_NAME_MAX} characters`;
  if (!NAME.test(name)) return 'name must be printable characters, without spaces at either end';
  return null;
}

/** The stored rule set (JSON text, or null for the account's full rights) as rules. */
export function parseStoredRules(text: string | null): AppPasswordRule[] | null {
  if (text === null) return null;
  const parsed: unknown = JSON.parse(text);
  // A stored set that no longer reads as rules must not widen the password: it then allows nothing.
  if (!Array.isArray(parsed)) return [];
  return parsed.filter((r): r is AppPasswordRule => typeof r?.path === 'string' && (r.effect === 'allow' || r.effect === 'deny'));
}

/** The limits a principal of this password carries (contract §4.7), or null when it has none. */
export function appPasswordLimits(p: { expiresAt: Date | null; allowedRanges: readonly string[] | null }): CredentialLimits | null {
  const ranges = p.allowedRanges?.length ? p.allowedRanges : null;
  if (p.expiresAt === null && ranges === null) return null;
  return { expiresAt: p.expiresAt?.getTime() ?? null, allowedRanges: ranges };
}
