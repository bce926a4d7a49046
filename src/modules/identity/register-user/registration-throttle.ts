import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/app-config.js';
import { addressKeyOf } from '../../../platform/throttling/address-key.js';
import type { Throttle } from '../../../platform/throttling/throttle.js';
import { Throttles } from '../../../platform/throttling/throttles.js';
import { TooManyRegistrationsError } from '../domain/identity-errors.js';

/**
 * Registrations per client address and hour, counted before the password is hashed:
 * a script creating accounts (or probing which emails exist, through 409s) is cut off
 * without taking the hashing slots that everybody's sign-in needs.
 */
@Injectable()
export class RegistrationThrottle {
  private readonly perAddress: Throttle;

  constructor(throttles: Throttles, @Inject(APP_CONFIG) config: AppConfig) {
    this.perAddress = throttles.create({
      name: 'identity.registrations-per-address',
      points: config.throttle.registrationsPerAddress,
      windowSeconds: 60 * 60,
      refuse: (seconds) => new TooManyRegistrationsError(seconds),
    });
  }

  async count(clientAddress: string): Promise<void> {
    await this.perAddress.take(addressKeyOf(clientAddress));
  }
}
