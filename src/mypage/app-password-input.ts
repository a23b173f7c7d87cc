import type { AppPasswordSpec } from '../accounts/app-password.service.js';
import { appPasswordNameProblem } from '../accounts/core/app-password.js';
import { normalizeRuleSet } from '../acl/rule-set.js';
import { normalizeAddressRanges } from '../common/credential-limits.js';
import { DomainError } from '../errors/domain-error.js';

/** An app password's limits as the API or the MyPage form sent them, before any check. */
export interface AppPasswordInput {
  name: string;
  /** ISO 8601 date-time, or null/absent for none. */
  expiresAt?: string | null;
  allowedRanges?: readonly string[] | null;
  rules?: readonly { path: string; effect: 'allow' | 'deny' }[] | null;
}

/**
 * Checks and normalises a new app password's name, expiry (in the future), address ranges
 * (normalised CIDR) and rules (the sublogin rule-set check: `400 acl_rule_invalid`). Anything
 * wrong throws a 400 naming it, before anything is stored.
 */
export function appPasswordSpec(input: AppPasswordInput, now = Date.now()): AppPasswordSpec {
  const problem = appPasswordNameProblem(input.name);
  if (problem) throw new DomainError('validation_failed', problem, {}, [{ field: 'name', problems: [problem] }]);
  let expiresAt: Date | null = null;
  if (input.expiresAt != null) {
    expiresAt = new Date(input.expiresAt);
    if (Number.isNaN(expiresAt.getTime())) throw invalid('expiresAt', 'expiresAt is not a date-time');
    if (expiresAt.getTime() <= now) throw invalid('expiresAt', 'expiresAt must be in the future');
  }
  let allowedRanges: string[] | null = null;
  if (input.allowedRanges?.length) {
    const normalized = normalizeAddressRanges(input.allowedRanges);
    if ('invalid' in normalized) throw invalid('allowedRanges', `allowedRanges: ${JSON.stringify(normalized.invalid.slice(0, 100))} is not an address or CIDR range`);
    allowedRanges = normalized.ranges;
  }
  const rules = input.rules == null ? null : normalizeRuleSet(input.rules);
  return { name: input.name, expiresAt, allowedRanges, rules };
}

function invalid(field: string, message: string): DomainError {
  return new DomainError('validation_failed', message, {}, [{ field, problems: [message] }]);
}
