import { BlockList, isIP } from 'node:net';
import { parseAddressRange } from './address-range.js';

/** An IPv4 client seen on a dual-stack socket (`::ffff:127.0.0.1`) is that IPv4 address. */
function unmapped(ip: string): string {
  return ip.toLowerCase().startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

/** Addresses and CIDR ranges a client address is checked against: METRICS_ALLOW, a credential's allowed ranges. */
export class AddressAllowList {
  private readonly list = new BlockList();
  readonly empty: boolean;

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const range = parseAddressRange(entry);
      if (!range) throw new RangeError(`not an IP address or CIDR range: ${entry}`);
      this.list.addSubnet(range.address, range.prefix, range.family);
    }
    this.empty = entries.length === 0;
  }

  allows(ip: string | undefined): boolean {
    if (!ip || this.empty) return false;
    const address = unmapped(ip);
    const version = isIP(address);
    if (version === 0) return false;
    return this.list.check(address, version === 4 ? 'ipv4' : 'ipv6');
  }
}
