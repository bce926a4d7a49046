import { isIPv6 } from 'node:net';

/**
 * The key a client address is counted under. One IPv6 host usually holds a whole /64
 * (and may pick any address in it for every request), so IPv6 addresses are counted by
 * their /64; an IPv4 address, or one mapped into IPv6 (`::ffff:192.0.2.1`), by itself.
 */
export function addressKeyOf(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = address.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((group) => group.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
