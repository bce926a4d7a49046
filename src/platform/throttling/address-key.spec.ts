import { describe, expect, it } from 'vitest';
import { addressKeyOf } from './address-key.js';

describe('addressKeyOf', () => {
  it('should count an IPv4 address by itself, mapped into IPv6 or not', () => {
    expect(addressKeyOf('192.0.2.7')).toBe('192.0.2.7');
    expect(addressKeyOf('::ffff:192.0.2.7')).toBe('192.0.2.7');
  });

  it('should count every IPv6 address of one /64 as one client, however it is written', () => {
    const one = addressKeyOf('2001:db8:1:2:aaaa:bbbb:cccc:dddd');
    expect(one).toBe('2001:db8:1:2::/64');
    expect(addressKeyOf('2001:0db8:0001:0002::1')).toBe(one);
    expect(addressKeyOf('2001:DB8:1:2::ffff')).toBe(one);
    expect(addressKeyOf('2001:db8:1:3::1')).not.toBe(one);
    expect(addressKeyOf('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKeyOf('::1')).toBe('0:0:0:0::/64');
    expect(addressKeyOf('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });
});
