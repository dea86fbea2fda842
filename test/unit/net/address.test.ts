import { describe, expect, it } from 'vitest';
import type { AddressScope } from '../../../shared/snapshot';
import {
  addressFamily,
  classifyAddress,
  expandIPv6,
  formatIPv6,
  isLoopback,
  isUnspecified,
  normalizeAddress,
  parseIPv4,
  parseIPv6,
} from '../../../electron/engine/net/address';

const table: [string, AddressScope][] = [
  // IPv4
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['169.254.10.1', 'link-local'],
  ['10.0.0.1', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['172.15.255.255', 'public'],
  ['172.32.0.0', 'public'],
  ['192.168.1.20', 'private'],
  ['100.64.0.1', 'cgnat'],
  ['100.127.255.255', 'cgnat'],
  ['100.128.0.0', 'public'],
  ['100.63.255.255', 'public'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'reserved'],
  ['224.0.0.251', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['240.0.0.1', 'reserved'],
  ['255.255.255.255', 'reserved'],
  ['8.8.8.8', 'public'],
  ['1.1.1.1', 'public'],
  // The lab's stand-ins for internet-facing interfaces are public on purpose.
  ['203.0.113.7', 'public'],
  ['198.18.0.1', 'public'],
  ['198.19.255.255', 'public'],
  ['192.0.2.1', 'public'],
  ['198.51.100.1', 'public'],
  // IPv6
  ['::1', 'loopback'],
  ['::', 'unspecified'],
  ['fe80::1', 'link-local'],
  ['febf:ffff::1', 'link-local'],
  ['fec0::1', 'public'],
  ['fc00::1', 'private'],
  ['fd12:3456:789a::1', 'private'],
  ['ff02::1', 'multicast'],
  ['2001:db8::1', 'public'],
  ['2a00:1450:4001::200e', 'public'],
  ['::2', 'public'],
  // IPv4-mapped IPv6 is classified by its IPv4 part
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:10.0.0.2', 'private'],
  ['::ffff:a00:2', 'private'],
  ['::ffff:0.0.0.0', 'unspecified'],
  ['::ffff:100.64.1.1', 'cgnat'],
  ['::ffff:8.8.8.8', 'public'],
  // decorations: brackets and zone ids
  ['[::1]', 'loopback'],
  ['[::ffff:192.168.0.4]', 'private'],
  ['fe80::1%eth0', 'link-local'],
  ['[fe80::abcd%wlp3s0]', 'link-local'],
  ['127.0.0.53%lo', 'loopback'],
  ['FE80::1', 'link-local'],
];

describe('classifyAddress', () => {
  it.each(table)('%s is %s', (address, scope) => {
    expect(classifyAddress(address)).toBe(scope);
  });

  it.each([
    '',
    'localhost',
    '*',
    '256.0.0.1',
    '01.2.3.4',
    '1.2.3',
    'fe80::1::2',
    '::ffff:1.2.3.256',
  ])('refuses %j, which is not an address', (text) => {
    expect(() => classifyAddress(text)).toThrow(RangeError);
  });
});

describe('normalizeAddress', () => {
  it.each([
    ['::ffff:10.0.0.2', '10.0.0.2'],
    ['::FFFF:7f00:1', '127.0.0.1'],
    ['[::ffff:192.168.1.5]', '192.168.1.5'],
    ['[::1]', '::1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['fe80::1%eth0', 'fe80::1%eth0'],
    ['[fe80::1%eth0]', 'fe80::1%eth0'],
    ['10.0.0.1', '10.0.0.1'],
    [' 10.0.0.1 ', '10.0.0.1'],
    ['not-an-address', 'not-an-address'],
  ])('%s becomes %s', (input, expected) => {
    expect(normalizeAddress(input)).toBe(expected);
  });
});

describe('helpers', () => {
  it('parseIPv4 reads dotted quads only', () => {
    expect(parseIPv4('192.168.1.1')).toBe(0xc0a80101);
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIPv4('1.2.3.04')).toBeNull();
    expect(parseIPv4('1.2.3')).toBeNull();
  });

  it('parseIPv6 fills the gap and folds a trailing dotted quad', () => {
    expect(parseIPv6('::1')).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6('1::')).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIPv6('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
    expect(parseIPv6('1:2:3:4:5:6:7.8.9.10')).toEqual([1, 2, 3, 4, 5, 6, 0x0708, 0x090a]);
    expect(parseIPv6('10.0.0.1')).toBeNull();
  });

  it('expandIPv6 writes every group out', () => {
    expect(expandIPv6('fe80::1')).toBe('fe80:0000:0000:0000:0000:0000:0000:0001');
    expect(expandIPv6('[::]')).toBe('0000:0000:0000:0000:0000:0000:0000:0000');
    expect(expandIPv6('nope')).toBeNull();
  });

  it('formatIPv6 follows RFC 5952', () => {
    expect(formatIPv6([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1])).toBe('2001:db8::1:0:0:1');
    expect(formatIPv6([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1])).toBe('2001:db8:0:1:1:1:1:1');
    expect(formatIPv6([0, 0, 0, 0, 0, 0, 0, 0])).toBe('::');
    expect(formatIPv6([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1])).toBe('::ffff:127.0.0.1');
  });

  it('isLoopback and isUnspecified accept every spelling and say no to non-addresses', () => {
    expect(['127.0.0.1', '::1', '[::1]', '::ffff:127.0.0.1'].every(isLoopback)).toBe(true);
    expect(isLoopback('localhost')).toBe(false);
    expect(['0.0.0.0', '::', '[::]', '::ffff:0.0.0.0'].every(isUnspecified)).toBe(true);
    expect(isUnspecified('*')).toBe(false);
  });

  it('addressFamily tells 4 from 6 through decorations', () => {
    expect(addressFamily('[::1]')).toBe(6);
    expect(addressFamily('127.0.0.53%lo')).toBe(4);
    expect(addressFamily('*')).toBeNull();
  });
});
