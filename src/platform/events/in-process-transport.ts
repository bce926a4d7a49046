import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/app-config.js';
import type { DatabaseEngine } from '../database/database-engine.js';
import { errorText } from '../logging/safe-error.js';
import { applyEach, applyOnce, backoffDelay } from './apply-once.js';
import type { DeadLetters } from './dead-letters.js';
import type { EventRoutes } from './event-routes.js';
import type { Subscription } from './subscriptions.js';
import { batchesOf, type Delivery, type EventTransport } from './event-transport.js';

/**
 * Without Redis: deliveries run in this process, each with its own retries
 * (exponential backoff with jitter) and, after the last attempt, a dead letter. The
 * relay keeps the outbox row unpublished until all are settled, so a crash
 * mid-way means redelivery, which the inbox absorbs.
 */
const MAX_CONCURRENT_BATCHES = 4;

export class InProcessEventTransport implements EventTransport {
  readonly kind = 'in-process' as const;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly engine: DatabaseEngine,
    private readonly routes: EventRoutes,
    private readonly deadLetters: DeadLetters,
    private readonly config: AppConfig,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {}

  /**
   * Settles every delivery, then fails if any could not be settled, so the relay keeps
   * the rows for a later try only once nothing of this batch is still running. The
   * first attempt applies the events of each subscription together (a bounded number
   * of batches at a time, so they do not queue on the consumer's pool); an event whose
   * first attempt failed goes on alone through its retries.
   */
  async dispatch(deliveries: Delivery[]): Promise<void> {
    const work = settleAll(batchesOf(deliveries), MAX_CONCURRENT_BATCHES, (batch) => this.deliverBatch(batch));
    this.inFlight.add(work);
    try {
      const failures = (await work).filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failures.length) throw failures[0]!.reason;
    } finally {
      this.inFlight.delete(work);
    }
  }

  private async deliverBatch(batch: Delivery[]): Promise<void> {
    const subscription = this.local(batch[0]!);
    const results = await applyEach(this.engine, subscription, batch.map((delivery) => delivery.envelope));
    const retries = await Promise.allSettled(
      results.map((result, index) =>
        result.status === 'fulfilled' ? undefined : this.retry(batch[index]!.envelope, subscription, result.reason),
      ),
    );
    const failed = retries.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Without Redis every module runs in this one process (extraction requires REDIS_URL), so every consumer is here. */
  private local(delivery: Delivery): Subscription {
    const subscription = this.routes.subscription(delivery.subscription.name);
    if (!subscription) throw new Error(`${delivery.subscription.name} has no handler in this process`);
    return subscription;
  }

  /** Attempts 2 to N of one event, then its dead letter. */
  private async retry(envelope: Delivery['envelope'], subscription: Subscription, firstError: unknown): Promise<void> {
    const { maxAttempts, backoffMs } = this.config.events;
    let error = firstError;
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1) {
        try {
          await applyOnce(this.engine, subscription, envelope);
          return;
        } catch (failure) {
          error = failure;
        }
      }
      const stopping = this.stopping.signal.aborted;
      if (attempt >= maxAttempts || stopping) {
        if (stopping && attempt < maxAttempts) throw error; // left unpublished: retried after restart
        await this.deadLetters.record(subscription, envelope, attempt, errorText(error));
        this.logger.error(
          { err: error, eventId: envelope.id, type: envelope.type, subscription: subscription.name, attempts: attempt },
          'event dead-lettered',
        );
        return;
      }
      this.logger.warn({ err: error, eventId: envelope.id, subscription: subscription.name, attempt }, 'event handler failed; retrying');
      await sleep(backoffDelay(attempt, backoffMs), undefined, { signal: this.stopping.signal }).catch(() => undefined);
    }
  }

  /** Cuts retry waits short and waits for deliveries in hand. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled([...this.inFlight]);
  }
}

async function settleAll<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<PromiseSettledResult<void>[]> {
  const results: PromiseSettledResult<void>[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        try {
          await work(items[index]!);
          results[index] = { status: 'fulfilled', value: undefined };
        } catch (reason) {
          results[index] = { status: 'rejected', reason };
        }
      }
    }),
  );
  return results;
}
