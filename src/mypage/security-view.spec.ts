import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../audit/audit-event.entity.js';
import { staleClients } from './security-view.js';

function failure(at: number, detail: Record<string, unknown> | null, ip = '192.0.2.1'): AuditEvent {
  return { id: at, at: new Date(at), type: 'auth.basic', outcome: 'failure', login: 'alice', accountId: 'a', actor: null, code: 'invalid_credentials', ip, userAgent: 'rclone', detail };
}

describe('staleClients', () => {
  it('groups failures by wrong credential, keeps the newest sighting and the highest repeat count', () => {
    // Newest first, as the audit query answers.
    const events = [failure(400, { credential: 'c1', repeats: 4 }, '192.0.2.9'), failure(300, { credential: 'c2', repeats: 1 }), failure(200, { credential: 'c1', repeats: 2 }), failure(100, { credential: 'c1', repeats: 1 })];
    expect(staleClients(events)).toEqual([{ credential: 'c1', repeats: 4, lastSeen: new Date(400), ip: '192.0.2.9', userAgent: 'rclone' }]);
  });

  it('ignores failures without a credential fingerprint, and single attempts', () => {
    expect(staleClients([failure(1, null), failure(2, { repeats: 9 }), failure(3, { credential: 'c3', repeats: 1 })])).toEqual([]);
  });
});
