import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/app-config.js';
import { addressKeyOf } from '../../../platform/throttling/address-key.js';
import type { Throttle } from '../../../platform/throttling/throttle.js';
import { Throttles } from '../../../platform/throttling/throttles.js';
import { TooManyLoginAttemptsError } from '../domain/identity-errors.js';

const FIFTEEN_MINUTES = 15 * 60;
const ONE_HOUR = 60 * 60;

/**
 * Brute-force protection for sign-in, counted before the password is hashed, so a
 * refused guess costs no hashing slot (each scrypt check holds one of two).
 * - Per account and address: a run of failures for one account from one address
 *   blocks that pair. The account itself is never locked: its owner, from any other
 *   address, still signs in, so an attacker cannot lock a user out.
 * - Per address: failures against any accounts from one address (credential stuffing).
 * A success clears the account's count from that address and gives back its attempt.
 * (An IPv6 client counts by its /64: address-key.ts.)
 *
 * What it does not stop: one account guessed at from many addresses, each staying
 * under its limits. A limit on the account across all addresses would let anyone lock
 * its owner out; that needs a second factor or a challenge, which the shop lacks.
 */
@Injectable()
export class LoginThrottle {
  private readonly perAccount: Throttle;
  private readonly perAddress: Throttle;

  constructor(throttles: Throttles, @Inject(APP_CONFIG) config: AppConfig) {
    const refuse = (seconds: number) => new TooManyLoginAttemptsError(seconds);
    this.perAccount = throttles.create({
      name: 'identity.login-failures-per-account',
      points: config.throttle.loginFailuresPerAccount,
      windowSeconds: FIFTEEN_MINUTES,
      refuse,
    });
    this.perAddress = throttles.create({
      name: 'identity.login-failures-per-address',
      points: config.throttle.loginFailuresPerAddress,
      windowSeconds: ONE_HOUR,
      refuse,
    });
  }

  /** Counts an attempt before the password is checked; throws 429 when over a limit. */
  async begin(email: string, clientAddress: string): Promise<{ succeeded(): Promise<void> }> {
    const address = addressKeyOf(clientAddress);
    const accountKey = `${accountKeyOf(email)}@${address}`;
    await this.perAddress.take(address);
    await this.perAccount.take(accountKey);
    return {
      succeeded: async () => {
        await Promise.all([this.perAccount.reset(accountKey), this.perAddress.giveBack(address)]);
      },
    };
  }
}

/** Counters are keyed by a digest, so the store holds no email address. */
function accountKeyOf(email: string): string {
  return createHash('sha256').update(email.toLowerCase()).digest('base64url').slice(0, 27);
}
