import { describe, expect, it } from 'vitest';
import { parseAddressRange } from './address-range.js';
import { AddressAllowList } from './address-allow.js';

describe('AddressAllowList', () => {
  const loopback = new AddressAllowList(['127.0.0.0/8', '::1']);

  it.each([
    ['127.0.0.1', true],
    ['127.9.8.7', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['::FFFF:127.0.0.2', true],
    ['128.0.0.1', false],
    ['10.0.0.1', false],
    ['::2', false],
    ['::ffff:10.0.0.1', false],
    ['', false],
    [undefined, false],
    ['localhost', false],
  ])('loopback list: %s → %s', (ip, allowed) => {
    expect(loopback.allows(ip)).toBe(allowed);
  });

  it('matches CIDR ranges and single addresses of both families', () => {
    const list = new AddressAllowList(['10.1.0.0/16', '192.0.2.7', 'fd00::/8']);
    expect(list.allows('10.1.255.3')).toBe(true);
    expect(list.allows('10.2.0.1')).toBe(false);
    expect(list.allows('192.0.2.7')).toBe(true);
    expect(list.allows('192.0.2.8')).toBe(false);
    expect(list.allows('fd12:3456::1')).toBe(true);
    expect(list.allows('fe80::1')).toBe(false);
  });

  it('allows nobody when empty', () => {
    expect(new AddressAllowList([]).allows('127.0.0.1')).toBe(false);
  });

  it.each(['10.0.0.0/33', '::/129', '10.0.0.0/8/8', 'example.com', '10.0.0.0/x', '10.0.0.0/'])('refuses %s', (entry) => {
    expect(parseAddressRange(entry)).toBeNull();
    expect(() => new AddressAllowList([entry])).toThrow(RangeError);
  });
});
