import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientSubnet, expandIPv6, formatIPv6 } from './client-subnet.js';

// WHATWG URL serialises IPv6 hosts the RFC 5952 way: an independent oracle.
const urlForm = (ip: string) => new URL(`http://[${ip}]/`).hostname.slice(1, -1);

describe('clientSubnet', () => {
  it.each([
    ['1.2.3.4', '1.2.3.4'],
    ['255.255.255.255', '255.255.255.255'],
    ['0.0.0.0', '0.0.0.0'],
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['::FFFF:10.0.0.1', '10.0.0.1'],
    ['::ffff:102:304', '1.2.3.4'],
    ['0:0:0:0:0:ffff:c0a8:0101', '192.168.1.1'],
    ['2001:db8:0:ab12:3456:789a:bcde:f012', '2001:db8:0:ab00::/56'],
    ['2001:0DB8:0000:ABFF::1', '2001:db8:0:ab00::/56'],
    ['2001:db8:1:2ff::', '2001:db8:1:200::/56'],
    ['2001:db8::1', '2001:db8::/56'],
    ['::1', '::/56'],
    ['::', '::/56'],
    ['fe80::1%eth0', 'fe80::/56'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffff:ffff:ffff:ff00::/56'],
    ['::1.2.3.4', '::/56'], // IPv4-compatible (deprecated) is IPv6, not mapped
    ['64:ff9b::1.2.3.4', '64:ff9b::/56'], // NAT64 stays IPv6
    ['::ffff:0:1.2.3.4', '::/56'], // SIIT (::ffff:0:0/96) is not IPv4-mapped
    ['1:0:0:0:0:0:0:0', '1::/56'],
    ['0:0:1::', '0:0:1::/56'],
  ])('%s → %s', (ip, expected) => {
    expect(clientSubnet(ip)).toBe(expected);
  });

  it.each(['', 'localhost', '1.2.3', '01.2.3.4', '1.2.3.4/32', '[::1]', ' 1.2.3.4', '1:2:3:4:5:6:7:8:9', 'gggg::'])(
    'refuses %j',
    (ip) => {
      expect(() => clientSubnet(ip)).toThrow(RangeError);
    },
  );
});

const group = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
const groups = fc.array(group, { minLength: 8, maxLength: 8 });
const ipv4 = fc.tuple(...[0, 1, 2, 3].map(() => fc.integer({ min: 0, max: 255 }))).map((o) => o.join('.'));

/** Every valid spelling: leading zeros or not, any case, any zero run compressed, dotted tail. */
function spellings(g: number[]): string[] {
  const out = [g.map((x) => x.toString(16).padStart(4, '0')).join(':'), g.map((x) => x.toString(16).toUpperCase()).join(':')];
  const hex = g.map((x) => x.toString(16));
  for (let i = 0; i < 8; i++) {
    for (let j = i + 1; j <= 8 && g[j - 1] === 0; j++) {
      out.push(`${hex.slice(0, i).join(':')}::${hex.slice(j).join(':')}`);
    }
  }
  const quad = `${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`;
  out.push(`${hex.slice(0, 6).join(':')}:${quad}`);
  return out;
}

describe('IPv6 helpers', () => {
  it('expandIPv6 reads every valid spelling back to the same groups', () => {
    fc.assert(
      fc.property(groups, (g) => {
        for (const s of spellings(g)) {
          expect(isIP(s), s).toBe(6);
          expect(expandIPv6(s), s).toEqual(g);
          expect(expandIPv6(`${s}%en0`), s).toEqual(g);
        }
      }),
    );
  });

  it('formatIPv6 matches the WHATWG URL serialisation (RFC 5952)', () => {
    fc.assert(
      fc.property(groups, (g) => {
        expect(formatIPv6(g)).toBe(urlForm(g.map((x) => x.toString(16)).join(':')));
      }),
    );
  });

  it.each([
    [[0, 0, 0, 0, 0, 0, 0, 0], '::'],
    [[0, 0, 0, 0, 0, 0, 0, 1], '::1'],
    [[1, 0, 0, 0, 0, 0, 0, 0], '1::'],
    [[0x2001, 0xdb8, 0, 1, 0, 0, 0, 1], '2001:db8:0:1::1'],
    [[1, 0, 0, 2, 0, 0, 3, 4], '1::2:0:0:3:4'], // tie: the first run
    [[1, 0, 2, 3, 4, 5, 6, 7], '1:0:2:3:4:5:6:7'], // single zero not compressed
  ])('formatIPv6(%j) = %s', (g, expected) => {
    expect(formatIPv6(g)).toBe(expected);
  });
});

describe('clientSubnet properties', () => {
  const v6 = groups.filter((g) => !(g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff));

  it('keeps exactly the first 56 bits and is stable under re-application', () => {
    fc.assert(
      fc.property(v6, (g) => {
        const subnet = clientSubnet(g.map((x) => x.toString(16)).join(':'));
        expect(subnet.endsWith('/56')).toBe(true);
        const prefix = subnet.slice(0, -3);
        expect(expandIPv6(prefix)).toEqual([g[0], g[1], g[2], g[3]! & 0xff00, 0, 0, 0, 0]);
        expect(urlForm(prefix)).toBe(prefix);
        expect(clientSubnet(prefix)).toBe(subnet);
      }),
    );
  });

  it('addresses agree on the subnet exactly when their first 56 bits agree', () => {
    fc.assert(
      fc.property(v6, v6, (a, b) => {
        const same = a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3]! >> 8 === b[3]! >> 8;
        const sa = clientSubnet(a.map((x) => x.toString(16)).join(':'));
        const sb = clientSubnet(b.map((x) => x.toString(16)).join(':'));
        expect(sa === sb).toBe(same);
      }),
    );
  });

  it('an IPv4 client has one key whether seen as IPv4 or IPv4-mapped IPv6', () => {
    fc.assert(
      fc.property(ipv4, (ip) => {
        expect(clientSubnet(ip)).toBe(ip);
        expect(clientSubnet(`::ffff:${ip}`)).toBe(ip);
        expect(clientSubnet(urlForm(`::ffff:${ip}`))).toBe(ip);
      }),
    );
  });

  it('IPv4 keys and IPv6 keys never collide', () => {
    fc.assert(
      fc.property(ipv4, v6, (a, g) => {
        expect(clientSubnet(a)).not.toBe(clientSubnet(g.map((x) => x.toString(16)).join(':')));
      }),
    );
  });
});
