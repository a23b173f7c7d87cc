import { describe, expect, it } from 'vitest';
import { APPLICATION_STATUSES, type ApplicationStatus, keysUsable, type ReviewAction, reviewTransition } from './application-lifecycle.js';

describe('application review transitions', () => {
  // Every (status, action) pair, so an added status or action cannot slip through untested.
  const table: Record<ApplicationStatus, Record<ReviewAction, ApplicationStatus | null>> = {
    pending: { approve: 'approved', reject: 'rejected', revoke: null },
    approved: { approve: null, reject: null, revoke: 'revoked' },
    rejected: { approve: 'approved', reject: null, revoke: null },
    revoked: { approve: null, reject: null, revoke: null },
  };
  for (const status of APPLICATION_STATUSES) {
    for (const action of ['approve', 'reject', 'revoke'] as const) {
      it(`${status} --${action}--> ${table[status][action] ?? 'refused'}`, () => {
        expect(reviewTransition(status, action)).toBe(table[status][action]);
      });
    }
  }

  it('accepts keys of approved applications only', () => {
    expect(APPLICATION_STATUSES.filter(keysUsable)).toEqual(['approved']);
  });
});
