import type { IncomingHttpHeaders } from 'node:http';
import type { GatewayConfig } from '../config/route-config.js';

/**
 * The weighted split: which side a user lands on for a route. A user is recognised by
 * a key (stickinessKeyOf), hashed with the route's name into one of 10,000 buckets
 * (bucketOf); the buckets below weight × 100 go to the extracted side (sideOf). The
 * hash has no seed, so every replica puts a user in the same bucket, and a bucket
 * never moves: while the weight holds, a user stays on one side, and raising it only
 * adds buckets to the extracted side.
 */
export type Side = 'monolith' | 'extracted';

/** Buckets per route: a weight can be set in hundredths of a percent. */
const BUCKETS = 10_000;

/** Beyond these lengths a header is not looked into: it is garbage, or an attack on the router. */
const MAX_AUTHORIZATION_LENGTH = 8_192;
const MAX_JWT_PAYLOAD_LENGTH = 4_096;
const MAX_COOKIE_HEADER_LENGTH = 8_192;
/** A key longer than this is hashed on its first characters only (bounded work per request). */
const MAX_KEY_LENGTH = 512;

const COOKIE_PREFIX_LENGTH = 'cookie:'.length;

/** `a` at `at` holds `b`'s `length` characters from `from` (ASCII case folded when asked): a comparison without a substring. */
function sameCharsAt(a: string, at: number, b: string, from: number, length: number, foldCase: boolean): boolean {
  for (let k = 0; k < length; k++) {
    const x = a.charCodeAt(at + k);
    const y = b.charCodeAt(from + k);
    if (x !== y && !(foldCase && (x | 0x20) === y && y >= 97 && y <= 122)) return false;
  }
  return true;
}

/**
 * The JWT `sub` of a `Bearer` token, read without verifying (routing only; the shop
 * verifies). Undefined for anything that is not one: no token, not three parts, bad
 * base64, not JSON, no string `sub`, or too long to be worth reading.
 */
function jwtSubOf(authorization: string | undefined): string | undefined {
  if (authorization === undefined || authorization.length > MAX_AUTHORIZATION_LENGTH || authorization.length < 8) return undefined;
  if (authorization.charCodeAt(6) !== 32 || !sameCharsAt(authorization, 0, 'bearer', 0, 6, true)) return undefined;
  const first = authorization.indexOf('.', 7);
  if (first < 0) return undefined;
  const second = authorization.indexOf('.', first + 1);
  if (second < 0 || second - first - 1 > MAX_JWT_PAYLOAD_LENGTH) return undefined;
  // Node's base64url decoding skips characters outside the alphabet instead of throwing.
  const json = Buffer.from(authorization.slice(first + 1, second), 'base64url').toString('utf8');
  if (json.charCodeAt(0) !== 123) return undefined; // '{': no object, no sub
  try {
    const sub = (JSON.parse(json) as { sub?: unknown }).sub;
    return typeof sub === 'string' && sub.length > 0 ? sub : undefined;
  } catch {
    return undefined;
  }
}

/** The value of the cookie whose name is `stickiness` after `cookie:`, or undefined. */
function cookieOf(header: string | undefined, stickiness: string): string | undefined {
  if (header === undefined) return undefined;
  const nameLength = stickiness.length - COOKIE_PREFIX_LENGTH;
  const limit = Math.min(header.length, MAX_COOKIE_HEADER_LENGTH);
  let i = 0;
  while (i < limit) {
    while (i < limit && (header.charCodeAt(i) === 32 || header.charCodeAt(i) === 9)) i++;
    let end = header.indexOf(';', i);
    if (end < 0 || end > limit) end = limit;
    if (i + nameLength < end && header.charCodeAt(i + nameLength) === 61 /* = */ && sameCharsAt(header, i, stickiness, COOKIE_PREFIX_LENGTH, nameLength, false)) {
      let value = header.slice(i + nameLength + 1, end).trim();
      if (value.length >= 2 && value.charCodeAt(0) === 34 && value.charCodeAt(value.length - 1) === 34) value = value.slice(1, -1);
      return value.length > 0 ? value : undefined;
    }
    i = end + 1;
  }
  return undefined;
}

/**
 * The key a user is recognised by, for one route's stickiness: the JWT `sub` (read
 * without verifying: routing only), a cookie's value, or the client address; falls
 * back to the client address when the key is missing.
 */
export function stickinessKeyOf(headers: IncomingHttpHeaders, stickiness: string, clientAddress: string): string {
  if (stickiness === 'jwt-sub') return jwtSubOf(headers.authorization) ?? clientAddress;
  if (stickiness.startsWith('cookie:')) return cookieOf(headers.cookie, stickiness) ?? clientAddress;
  return clientAddress;
}

/**
 * A stable bucket 0 ≤ b < 10000 for a user on a route: FNV-1a (32-bit) of the route's
 * name, a separator and the key, then murmur3's finalizer, whose avalanche evens out
 * FNV's weak low bits before the modulo. Hashing with the route's name gives each
 * route its own draw: the 30% of users on one route are not the same 30% on all.
 */
export function bucketOf(routeName: string, key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < routeName.length; i++) hash = Math.imul(hash ^ routeName.charCodeAt(i), 0x01000193);
  hash = Math.imul(hash ^ 0, 0x01000193);
  const length = Math.min(key.length, MAX_KEY_LENGTH);
  for (let i = 0; i < length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) % BUCKETS;
}

/** extracted when bucket < weight × 100: raising the weight only ever moves users from the monolith to the extracted side. */
export function sideOf(bucket: number, weight: number): Side {
  return bucket < weight * 100 ? 'extracted' : 'monolith';
}

/** The tester's override header (`monolith` or `extracted`, case-insensitive), only when enabled in the config. */
export function overrideOf(headers: IncomingHttpHeaders, override: GatewayConfig['headerOverride']): Side | undefined {
  if (!override.enabled) return undefined;
  const raw = headers[override.header];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined) return undefined;
  if (value.length === 8 && value.toLowerCase() === 'monolith') return 'monolith';
  if (value.length === 9 && value.toLowerCase() === 'extracted') return 'extracted';
  return undefined;
}
