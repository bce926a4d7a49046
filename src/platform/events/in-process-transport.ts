import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/app-config.js';
import type { DatabaseEngine } from '../database/database-engine.js';
import { applyOnce, backoffDelay, errorText } from './apply-once.js';
import type { DeadLetters } from './dead-letters.js';
import type { Delivery, EventTransport } from './event-transport.js';

/**
 * Without Redis: deliveries run in this process, each with its own retries
 * (exponential backoff with jitter) and, after the last attempt, a dead letter. The
 * relay keeps the outbox row unpublished until all are settled, so a crash
 * mid-way means redelivery, which the inbox absorbs.
 */
export class InProcessEventTransport implements EventTransport {
  readonly kind = 'in-process' as const;
  private readonly inFlight = new Set<Promise<void>>();
  private stopping = false;

  constructor(
    private readonly engine: DatabaseEngine,
    private readonly deadLetters: DeadLetters,
    private readonly config: AppConfig,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {}

  async dispatch(deliveries: Delivery[]): Promise<void> {
    const work = Promise.all(deliveries.map((delivery) => this.deliver(delivery))).then(() => undefined);
    this.inFlight.add(work);
    try {
      await work;
    } finally {
      this.inFlight.delete(work);
    }
  }

  private async deliver({ envelope, subscription }: Delivery): Promise<void> {
    const { maxAttempts, backoffMs } = this.config.events;
    for (let attempt = 1; ; attempt++) {
      try {
        await applyOnce(this.engine, subscription, envelope);
        return;
      } catch (error) {
        if (attempt >= maxAttempts || this.stopping) {
          if (this.stopping && attempt < maxAttempts) throw error; // left unpublished: retried after restart
          await this.deadLetters.record(subscription, envelope, attempt, errorText(error));
          this.logger.error(
            { err: error, eventId: envelope.id, type: envelope.type, subscription: subscription.name, attempts: attempt },
            'event dead-lettered',
          );
          return;
        }
        this.logger.warn(
          { err: error, eventId: envelope.id, subscription: subscription.name, attempt },
          'event handler failed; retrying',
        );
        await sleep(backoffDelay(attempt, backoffMs));
      }
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.inFlight]);
  }
}
