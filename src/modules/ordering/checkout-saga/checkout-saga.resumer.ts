import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/app-config.js';
import { LOGGER } from '../../../platform/logging/logger.token.js';
import { CheckoutSagasRepository } from '../db/checkout-sagas.repository.js';
import { CheckoutSagaRunner } from './checkout-saga.runner.js';

const BATCH = 50;

/**
 * Finds unfinished sagas nobody drives (after a restart, a crashed process's expired
 * lease, a retry that is due) at startup and then every CHECKOUT_RESUME_EVERY_MS,
 * and hands them to the runner.
 */
@Injectable()
export class CheckoutSagaResumer implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;

  constructor(
    private readonly sagas: CheckoutSagasRepository,
    private readonly runner: CheckoutSagaRunner,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.resume(), this.config.checkout.resumeEveryMs);
    this.timer.unref();
    void this.resume();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.scanning;
    await this.runner.stop();
  }

  resume(): Promise<void> {
    this.scanning ??= this.scan().finally(() => {
      this.scanning = undefined;
    });
    return this.scanning;
  }

  private async scan(): Promise<void> {
    try {
      const due = await this.sagas.resumable(BATCH);
      for (const orderId of due) if (!this.runner.isDriving(orderId)) void this.runner.drive(orderId);
      if (due.length) this.logger.info({ sagas: due.length }, 'resuming unfinished checkout sagas');
    } catch (error) {
      this.logger.warn({ err: error }, 'could not look for unfinished checkout sagas; will try again');
    }
  }
}
