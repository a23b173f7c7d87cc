/**
 * The OAuth subject (`sub`) of a token: who granted it. An account is its id; a sublogin is
 * `<account id>/<sublogin id>`, so that a token names its customer and never outlives a
 * sublogin deleted and re-created under the same name (ids are never reused, logins may be).
 */
export interface Subject {
  accountId: string;
  subloginId: string | null;
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const SUBJECT = new RegExp(`^(${UUID})(?:/(${UUID}))?$`);
// Built once (not per call): the token endpoint asks several times a grant. No `g` flag, so `test` keeps no state.
const UUID_ONLY = new RegExp(`^${UUID}$`);

export function formatSubject(s: Subject): string {
  return s.subloginId ? `${s.accountId}/${s.subloginId}` : s.accountId;
}

/** The subject named by `sub`, or null for anything else. */
export function parseSubject(sub: unknown): Subject | null {
  if (typeof sub !== 'string') return null;
  const m = SUBJECT.exec(sub);
  return m ? { accountId: m[1]!, subloginId: m[2] ?? null } : null;
}

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_ONLY.test(value);
}
