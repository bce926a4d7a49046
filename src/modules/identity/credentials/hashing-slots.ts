import { DomainError } from '../../../platform/contracts/index.js';

export class CredentialsBusyError extends DomainError {
  readonly code = 'IDENTITY.BUSY';
  readonly kind = 'unavailable' as const;
  constructor() {
    super('Too many sign-ins are being checked right now; try again in a moment.');
  }
}

/**
 * Caps how many password hashes run at once (each scrypt call holds 128 MiB and a
 * thread-pool thread) and how many may wait. Beyond that, callers get 503 at once
 * instead of piling up memory: anonymous routes must not be able to exhaust the host.
 */
export class HashingSlots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly maxWaiting: number,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxWaiting) throw new CredentialsBusyError();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
