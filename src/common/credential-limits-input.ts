import { DomainError } from '../errors/domain-error.js';
import { type CredentialLimits, normalizeAddressRanges } from './credential-limits.js';

/** Limits as an API client sends them: each field absent (unchanged), null (none) or a value. */
export interface LimitsInput {
  /** ISO 8601 instant (`2026-12-31T18:00:00Z`, or a date: midnight UTC). */
  expiresAt?: string | null;
  /** Addresses and CIDR ranges, IPv4 or IPv6. An empty list is none. */
  allowedRanges?: readonly string[] | null;
}

/** Checked and normalised limits: an absent field leaves the stored value as it is. */
export interface LimitsChange {
  expiresAt?: Date | null;
  allowedRanges?: string[] | null;
}

// A time zone is required with a time of day: an instant must not depend on the server's zone.
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/i;

/**
 * Reads limits from an API body: `400 validation_failed` naming the offending entry (the first
 * range that is not an address or CIDR range, an expiry that is not an ISO 8601 instant), before
 * anything changes.
 */
export function parseLimitsInput(input: LimitsInput): LimitsChange {
  const out: LimitsChange = {};
  if (input.expiresAt !== undefined) {
    if (input.expiresAt === null) out.expiresAt = null;
    else {
      const at = ISO_8601.test(input.expiresAt) ? Date.parse(input.expiresAt) : Number.NaN;
      if (!Number.isFinite(at)) throw new DomainError('validation_failed', `expiresAt must be an ISO 8601 instant with a time zone, e.g. 2026-12-31T18:00:00Z (got ${JSON.stringify(input.expiresAt)})`, {}, { field: 'expiresAt' });
      out.expiresAt = new Date(at);
    }
  }
  if (input.allowedRanges !== undefined) {
    if (input.allowedRanges === null) out.allowedRanges = null;
    else {
      const normalized = normalizeAddressRanges(input.allowedRanges);
      if ('invalid' in normalized) {
        throw new DomainError('validation_failed', `allowedRanges: ${JSON.stringify(normalized.invalid)} is not an IP address or CIDR range (e.g. 192.0.2.0/24, 2001:db8::/32)`, {}, { field: 'allowedRanges', entry: normalized.invalid });
      }
      out.allowedRanges = normalized.ranges.length ? normalized.ranges : null;
    }
  }
  return out;
}

/** The limits a row will have once `change` is applied to `current`. */
export function limitsAfter(current: { expiresAt: Date | null; allowedRanges: string[] | null }, change: LimitsChange): CredentialLimits {
  const expiresAt = change.expiresAt !== undefined ? change.expiresAt : current.expiresAt;
  const allowedRanges = change.allowedRanges !== undefined ? change.allowedRanges : current.allowedRanges;
  return { expiresAt: expiresAt?.getTime() ?? null, allowedRanges: allowedRanges?.length ? allowedRanges : null };
}
