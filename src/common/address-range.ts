import { isIP } from 'node:net';

export interface AddressRange {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/**
 * `10.0.0.5`, `10.0.0.0/8`, `::1`, `fd00::/8`; null when it is none of those. Down here because
 * the configuration validates METRICS_ALLOW with it, and /metrics' allow list matches with it.
 */
export function parseAddressRange(entry: string): AddressRange | null {
  const [address = '', bits, extra] = entry.trim().split('/');
  if (extra !== undefined) return null;
  const version = isIP(address);
  if (version === 0) return null;
  const max = version === 4 ? 32 : 128;
  if (bits !== undefined && !/^\d{1,3}$/.test(bits)) return null;
  const prefix = bits === undefined ? max : Number(bits);
  if (prefix > max) return null;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}
