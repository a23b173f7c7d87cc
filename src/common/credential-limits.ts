import { LRUCache } from 'lru-cache';
import { AddressAllowList } from './address-allow.js';
import { parseAddressRange } from './address-range.js';

/**
 * The optional limits a customer or developer puts on a credential (an app password, a sublogin,
 * an API key, a signed link): until when it works, and from which addresses. Checked on every
 * request, cached verification or not, after the secret itself was verified, so a refusal names
 * the limit that failed and says nothing of a wrong secret's limits.
 */
export interface CredentialLimits {
  /** Epoch milliseconds after which the credential is refused; null: no expiry. */
  expiresAt: number | null;
  /** Normalised CIDR ranges (see normalizeAddressRanges); null or empty: any address. */
  allowedRanges: readonly string[] | null;
}

export type LimitRefusal = 'credential_expired' | 'address_not_allowed';

/** At most this many ranges on one credential. */
export const MAX_ALLOWED_RANGES = 32;

// Range lists are few and shared by many requests; one compiled list each.
const compiled = new LRUCache<string, AddressAllowList>({ max: 1_000 });

function allowListOf(ranges: readonly string[]): AddressAllowList {
  const key = ranges.join(',');
  let list = compiled.get(key);
  if (!list) {
    list = new AddressAllowList(ranges);
    compiled.set(key, list);
  }
  return list;
}

/** The first limit that fails for a request from `ip` at `now`, or null when all hold. Expiry is decided first. */
export function limitRefusal(limits: CredentialLimits, now: number, ip: string | undefined): LimitRefusal | null {
  if (limits.expiresAt !== null && now >= limits.expiresAt) return 'credential_expired';
  if (limits.allowedRanges?.length && !allowListOf(limits.allowedRanges).allows(ip)) return 'address_not_allowed';
  return null;
}

/**
 * Checks and normalises a list of addresses and CIDR ranges as a customer typed them
 * (`10.0.0.0/8`, `2001:db8::/32`, `192.0.2.7`): each becomes `address/prefix`, duplicates go.
 * Returns the offending entry's text as `invalid` when one is not an address or range.
 */
export function normalizeAddressRanges(entries: readonly string[]): { ranges: string[] } | { invalid: string } {
  const out = new Set<string>();
  for (const entry of entries) {
    const range = parseAddressRange(entry);
    if (!range) return { invalid: entry };
    out.add(`${range.address}/${range.prefix}`);
  }
  if (out.size > MAX_ALLOWED_RANGES) return { invalid: `more than ${MAX_ALLOWED_RANGES} ranges` };
  return { ranges: [...out] };
}
