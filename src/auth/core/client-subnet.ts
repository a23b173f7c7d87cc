// The "client subnet" of contract §8 brute-force limits: /32 for IPv4, /56 for IPv6 (a
// typical end-site delegation, so one customer cannot dodge limits by rotating through
// its own IPv6 addresses). The result is a counter key and is shown in audit views.
import { isIP } from 'node:net';

/**
 * IPv4 → the address itself; IPv6 → its /56 prefix in RFC 5952 form plus `/56`
 * (e.g. `2001:db8:0:ab00::/56`); IPv4-mapped IPv6 (`::ffff:1.2.3.4`) → the IPv4.
 * Throws RangeError for anything that is not an IP address: the caller passes a socket
 * or trusted-proxy address, and silently keying on junk would let junk dodge the limits.
 */
export function clientSubnet(ip: string): string {
  const family = isIP(ip);
  // node:net only accepts canonical dotted quads (no leading zeros), so the text is the key.
  if (family === 4) return ip;
  if (family !== 6) throw new RangeError('not an IP address');

  const g = expandIPv6(ip);
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    // A dual-stack socket reports IPv4 clients this way: same client, same key.
    return [g[6]! >> 8, g[6]! & 0xff, g[7]! >> 8, g[7]! & 0xff].join('.');
  }
  return `${formatIPv6([g[0]!, g[1]!, g[2]!, g[3]! & 0xff00, 0, 0, 0, 0])}/56`;
}

/**
 * The eight 16-bit groups of an IPv6 address that `isIP` accepted (`::`, a trailing
 * dotted quad and a `%zone` are handled). Not a validator: check with `isIP` first.
 */
export function expandIPv6(ip: string): number[] {
  let s = ip.split('%', 1)[0]!; // the zone names a local interface, not part of the address
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    // Rewrite `…:a.b.c.d` as two hex groups so only one syntax is left to expand.
    const [a, b, c, d] = tail.split('.').map(Number) as [number, number, number, number];
    s = `${s.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const gap = s.indexOf('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)));
  if (gap < 0) return parse(s);
  const head = parse(s.slice(0, gap));
  const rest = parse(s.slice(gap + 2));
  return [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
}

/** RFC 5952 text: lower-case hex, no leading zeros, the first longest run (≥ 2) of zero groups as `::`. */
export function formatIPv6(groups: readonly number[]): string {
  let best = -1;
  let bestLen = 1; // a single zero group is never compressed
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}
