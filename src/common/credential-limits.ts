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
    // IPv6 in its one canonical spelling (lower case, compressed), so `2001:DB8::/32` is stored once.
    const address = range.family === 'ipv6' ? new URL(`http://[${range.address}]`).hostname.slice(1, -1) : range.address;
    out.add(`${address}/${range.prefix}`);
  }
  if (out.size > MAX_ALLOWED_RANGES) return { invalid: `more than ${MAX_ALLOWED_RANGES} ranges` };
  return { ranges: [...out] };
}

/** Limits given that reach past a limited giver's: a later (or no) expiry, or a range outside its own (null: no ranges at all). */
export type LimitExcess = { kind: 'expiry' } | { kind: 'range'; range: string | null };

/**
 * Whether limits a limited actor gives (to a sublogin it manages) stay within every one of its
 * own: an expiry no later than each of its expiries, and, where it has ranges, each given range
 * inside one of them. The first excess found, or null. A credential so given can never be used
 * where or when its giver could not.
 */
export function limitsExcess(given: CredentialLimits, own: readonly CredentialLimits[]): LimitExcess | null {
  for (const limit of own) {
    if (limit.expiresAt !== null && (given.expiresAt === null || given.expiresAt > limit.expiresAt)) return { kind: 'expiry' };
  }
  for (const limit of own) {
    if (!limit.allowedRanges?.length) continue;
    if (!given.allowedRanges?.length) return { kind: 'range', range: null };
    const outer = limit.allowedRanges.map(parseAddressRange);
    for (const range of given.allowedRanges) {
      const inner = parseAddressRange(range);
      const inside = inner && outer.some((o) => o && o.family === inner.family && o.prefix <= inner.prefix && allowListOf([`${o.address}/${o.prefix}`]).allows(inner.address));
      if (!inside) return { kind: 'range', range };
    }
  }
  return null;
}

/** What a refused client is told: only the limit that failed (contract §4.7). */
export const LIMIT_MESSAGES: Readonly<Record<LimitRefusal, string>> = {
  credential_expired: 'this credential has expired',
  address_not_allowed: 'this credential may not be used from your address',
};
