import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { HashingSlots } from './hashing-slots.js';

const scrypt = (password: string, salt: Buffer, keylen: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) =>
    scryptCb(password, salt, keylen, options, (error, key) => (error ? reject(error) : resolve(key))),
  );

// OWASP's scrypt minimum: N=2^17, r=8, p=1. Parameters are stored in each hash, so
// they can be raised later without invalidating existing passwords.
const PARAMS = { N: 2 ** 17, r: 8, p: 1, keylen: 32 };
const MAXMEM = 256 * 1024 * 1024;

/** scrypt, a memory-hard KDF, through Node's crypto (runs on the libuv thread pool). */
@Injectable()
export class PasswordHasher {
  // Two at once fits the thread pool (4 threads) and the 2 cores this runs on here.
  private readonly slots = new HashingSlots(2, 64);

  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await this.slots.run(() =>
      scrypt(password, salt, PARAMS.keylen, { N: PARAMS.N, r: PARAMS.r, p: PARAMS.p, maxmem: MAXMEM }),
    );
    return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64'), key.toString('base64')].join('$');
  }

  async verify(password: string, stored: string): Promise<boolean> {
    const [scheme, n, r, p, salt, key] = stored.split('$');
    if (scheme !== 'scrypt' || !n || !r || !p || !salt || !key) return false;
    const expected = Buffer.from(key, 'base64');
    const actual = await this.slots.run(() =>
      scrypt(password, Buffer.from(salt, 'base64'), expected.length, {
        N: Number(n),
        r: Number(r),
        p: Number(p),
        maxmem: MAXMEM,
      }),
    );
    return timingSafeEqual(actual, expected);
  }

  /** Spends the same time as a real check, so unknown emails cannot be told apart by timing. */
  async burn(password: string): Promise<void> {
    await this.hash(password);
  }
}
