import type { AuditEvent } from '../audit/audit-event.entity.js';

export interface StaleClient {
  /** Short id of the wrong credential (not reversible). */
  credential: string;
  /** Times this same wrong credential was tried in the window, at least. */
  repeats: number;
  lastSeen: Date;
  ip: string | null;
  userAgent: string | null;
}

/**
 * Clients repeating one wrong password (a device with an old password saved), from an
 * account's failure events, newest first: the throttle fingerprints each wrong credential
 * (`detail.credential`) and counts its repeats (`detail.repeats`). Used by `GET /api/me/security`
 * and the MyPage security page.
 */
export function staleClients(failures: readonly AuditEvent[]): StaleClient[] {
  const stale = new Map<string, StaleClient>();
  for (const e of failures) {
    const credential = typeof e.detail?.credential === 'string' ? e.detail.credential : undefined;
    const repeats = typeof e.detail?.repeats === 'number' ? e.detail.repeats : 1;
    if (!credential) continue;
    const seen = stale.get(credential);
    if (!seen) stale.set(credential, { credential, repeats, lastSeen: e.at, ip: e.ip, userAgent: e.userAgent });
    else seen.repeats = Math.max(seen.repeats, repeats);
  }
  return [...stale.values()].filter((s) => s.repeats > 1);
}
