import { randomBytes } from 'node:crypto';

// RFC 4648 base32: upper case, no 0/1/8/9, so a number read out over the phone is unambiguous.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * `SHP-` and 12 random base32 characters (60 bits): readable, unguessable, and unique
 * in practice; the unique index on tracking_number turns the improbable collision
 * into an error instead of two parcels sharing a number.
 */
export function newTrackingNumber(): string {
  // 256 is a multiple of 32, so taking each byte modulo 32 is uniform.
  return `SHP-${Array.from(randomBytes(12), (byte) => ALPHABET[byte % 32]).join('')}`;
}
