/**
 * The review workflow of an application (contract §4.3), as a pure state machine:
 *
 *   pending ──approve──▶ approved ──revoke──▶ revoked (final)
 *      │                    ▲
 *      └──reject──▶ rejected ┘ approve (an operator may reconsider)
 *
 * Only an `approved` application's keys are accepted. `revoked` is final: its keys are retired,
 * and a developer who wants back in registers a new application (a new review).
 */
export const APPLICATION_STATUSES = ['pending', 'approved', 'rejected', 'revoked'] as const;
export type ApplicationStatus = (typeof APPLICATION_STATUSES)[number];

export type ReviewAction = 'approve' | 'reject' | 'revoke';

const TRANSITIONS: Record<ReviewAction, { from: readonly ApplicationStatus[]; to: ApplicationStatus }> = {
  approve: { from: ['pending', 'rejected'], to: 'approved' },
  reject: { from: ['pending'], to: 'rejected' },
  revoke: { from: ['approved'], to: 'revoked' },
};

/** The status after `action`, or null when the action does not apply to `status`. */
export function reviewTransition(status: ApplicationStatus, action: ReviewAction): ApplicationStatus | null {
  const t = TRANSITIONS[action];
  return t.from.includes(status) ? t.to : null;
}

export function allowedFrom(action: ReviewAction): readonly ApplicationStatus[] {
  return TRANSITIONS[action].from;
}

/** Keys are issued to, and accepted for, approved applications only. */
export function keysUsable(status: ApplicationStatus): boolean {
  return status === 'approved';
}
