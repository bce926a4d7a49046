import { createHash } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/app-config.js';
import type { EventEnvelope } from '../contracts/integration-event.js';
import type { DatabaseEngine } from '../database/database-engine.js';
import { errorText } from '../logging/safe-error.js';
import { applyEach, unappliedOf } from './apply-once.js';
import type { DeadLetters } from './dead-letters.js';
import type { EventRoutes } from './event-routes.js';
import { batchesOf, type Delivery, type EventTransport } from './event-transport.js';
import { producerConnection, warnUnlessNoEviction, workerConnection } from './redis-connection.js';

/**
 * One job carries up to MAX_EVENTS_PER_APPLY events for one subscription, applied in
 * one consumer transaction: BullMQ's own cost per job (several Redis scripts) is then
 * shared by the batch. A retry carries only the events that failed. `envelope` is the
 * single-event shape of earlier versions, still read so jobs queued before an upgrade
 * are delivered.
 */
interface JobData {
  subscription: string;
  envelopes?: EventEnvelope[];
  envelope?: EventEnvelope;
}

function batchJobId(subscription: string, batch: Delivery[], attemptKey: string | undefined): string {
  const events = createHash('sha256');
  for (const delivery of batch) events.update(delivery.envelope.id);
  return [subscription, events.digest('hex').slice(0, 32), attemptKey].filter(Boolean).join('.');
}

const envelopesOf = (data: JobData): EventEnvelope[] => data.envelopes ?? (data.envelope ? [data.envelope] : []);

/** Each consuming module has its own queue, so an extracted module can take its queue with it. */
export function queueNameOf(consumer: string): string {
  return `shop-events-${consumer}`;
}

const HAND_OVER_TIMEOUT_MS = 5_000;
const WORKER_CLOSE_TIMEOUT_MS = 5_000;

/**
 * With Redis: one BullMQ queue per consuming module, and in this process a worker for
 * each local consumer that reads only its own queue. BullMQ retries with jittered
 * exponential backoff; the last failing attempt writes a dead letter instead of
 * leaving the job in BullMQ's failed set, where nobody looks.
 */
export class BullMqEventTransport implements EventTransport {
  readonly kind = 'bullmq' as const;
  private readonly producer: Redis;
  private readonly queues = new Map<string, Queue<JobData>>();
  private readonly workers: Worker<JobData>[] = [];
  private readonly workerConnections: Redis[] = [];

  constructor(
    private readonly url: string,
    private readonly engine: DatabaseEngine,
    private readonly routes: EventRoutes,
    private readonly deadLetters: DeadLetters,
    private readonly config: AppConfig,
    private readonly logger: Logger,
  ) {
    this.producer = producerConnection(url, logger);
  }

  async start(): Promise<void> {
    await warnUnlessNoEviction(this.producer, this.logger);
    for (const consumer of this.routes.consumers()) {
      this.queue(consumer); // created up front: a queue first used while Redis is down would wait for it
      const connection = workerConnection(this.url, this.logger);
      this.workerConnections.push(connection);
      // BullMQ keeps a failed job's error message and stack in Redis (failedReason,
      // stacktrace): it gets the safe text only, never a failed query's values.
      const process = (job: Job<JobData>) =>
        this.process(job).catch((error: unknown) => {
          throw new Error(errorText(error));
        });
      const worker = new Worker<JobData>(queueNameOf(consumer), process, {
        connection,
        prefix: this.config.events.queuePrefix,
        concurrency: this.config.events.workerConcurrency,
      });
      worker.on('error', (error) => this.logger.warn({ err: error, consumer }, 'event worker error'));
      worker.on('failed', (job, error) => void this.onFailedForGood(consumer, job, error));
      this.workers.push(worker);
    }
  }

  private queue(consumer: string): Queue<JobData> {
    let queue = this.queues.get(consumer);
    if (!queue) {
      queue = new Queue<JobData>(queueNameOf(consumer), {
        connection: this.producer,
        prefix: this.config.events.queuePrefix,
      });
      queue.on('error', () => undefined); // connection errors are reported once by the connection itself
      this.queues.set(consumer, queue);
    }
    return queue;
  }

  async dispatch(deliveries: Delivery[]): Promise<void> {
    const byConsumer = new Map<string, Delivery[][]>();
    for (const batch of batchesOf(deliveries)) {
      const consumer = batch[0]!.subscription.consumer;
      byConsumer.set(consumer, [...(byConsumer.get(consumer) ?? []), batch]);
    }
    const { maxAttempts, backoffMs } = this.config.events;
    const handedOver = Promise.all(
      [...byConsumer].map(([consumer, batches]) =>
        this.queue(consumer).addBulk(
          batches.map((batch) => {
            const { subscription, attemptKey } = batch[0]!;
            return {
              name: subscription.name,
              data: { subscription: subscription.name, envelopes: batch.map((delivery) => delivery.envelope) },
              opts: {
                // The same batch, the same job: a relay retry does not queue it twice while
                // the first is pending. The id names every event of the batch (a batch that
                // differs by one event is another job), and replays and re-drives carry their own key.
                jobId: batchJobId(subscription.name, batch, attemptKey),
                attempts: maxAttempts,
                backoff: { type: 'exponential', delay: backoffMs, jitter: 0.5 },
                removeOnComplete: true,
                // Kept for the retention period: a job that failed for good without a dead
                // letter (database down, stalled twice) stays visible in Redis.
                removeOnFail: { age: this.config.events.retentionDays * 86_400 },
              },
            };
          }),
        ),
      ),
    );
    // While Redis is away the call would wait for it; give up so the rows go back to the outbox.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('Redis did not take the events within 5 s')), HAND_OVER_TIMEOUT_MS);
    });
    try {
      await Promise.race([handedOver, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async process(job: Job<JobData>): Promise<void> {
    const envelopes = envelopesOf(job.data);
    let failed: { envelope: EventEnvelope; error: unknown }[];
    try {
      const subscription = this.routes.subscription(job.data.subscription);
      if (!subscription) throw new Error(`no subscription ${job.data.subscription} in this process`);
      const results = await applyEach(this.engine, subscription, envelopes);
      failed = results.flatMap((result, index) =>
        result.status === 'rejected' ? [{ envelope: envelopes[index]!, error: result.reason }] : [],
      );
    } catch (error) {
      failed = envelopes.map((envelope) => ({ envelope, error }));
    }
    if (failed.length === 0) return;
    // The job carries the attempts its producer gave it; that decides which is the last.
    const attempt = job.attemptsMade + 1;
    if (attempt < (job.opts.attempts ?? 1)) {
      // Only what failed is tried again; the rest is applied (and the inbox would absorb it anyway).
      if (failed.length < envelopes.length) {
        await job.updateData({ subscription: job.data.subscription, envelopes: failed.map((f) => f.envelope) });
      }
      throw failed[0]!.error;
    }
    // If a write fails, the job fails for good and onFailedForGood tries again.
    for (const { envelope, error } of failed) {
      await this.deadLetters.record(this.subscriptionRef(job), envelope, attempt, errorText(error));
      this.logger.error(
        { err: error, eventId: envelope.id, subscription: job.data.subscription, attempts: attempt },
        'event dead-lettered',
      );
    }
  }

  /**
   * A job BullMQ gave up on without our processor dead-lettering it: the dead-letter
   * write itself failed, or the job stalled more often than allowed (crashes mid-job).
   */
  private async onFailedForGood(consumer: string, job: Job<JobData> | undefined, error: Error): Promise<void> {
    if (!job) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1) || /stalled/i.test(error.message);
    if (!final) return;
    try {
      const subscription = this.subscriptionRef(job, consumer);
      // A stalled job may have applied some of its events before the crash: those are not letters.
      const unapplied = await unappliedOf(this.engine, subscription, envelopesOf(job.data));
      for (const envelope of unapplied) {
        await this.deadLetters.record(subscription, envelope, job.attemptsMade, errorText(error));
        this.logger.error({ err: error, eventId: envelope.id, subscription: job.data.subscription }, 'event dead-lettered');
      }
    } catch (recordError) {
      this.logger.error(
        { err: recordError, jobId: job.id, queue: queueNameOf(consumer) },
        'event failed for good and could not be dead-lettered; it stays in the BullMQ failed set',
      );
    }
  }

  private subscriptionRef(job: Job<JobData>, consumer?: string): { consumer: string; name: string } {
    const name = job.data.subscription;
    return { consumer: consumer ?? name.slice(0, name.indexOf('.')), name };
  }

  /** Workers first (they finish their active jobs, or are forced after a while), then queues, then connections. */
  async stop(): Promise<void> {
    await Promise.allSettled(
      this.workers.map(async (worker) => {
        let timer: NodeJS.Timeout | undefined;
        const forced = new Promise<'late'>((resolve) => {
          timer = setTimeout(() => resolve('late'), WORKER_CLOSE_TIMEOUT_MS);
        });
        const outcome = await Promise.race([worker.close(), forced]);
        clearTimeout(timer);
        if (outcome === 'late') await worker.close(true);
      }),
    );
    await Promise.allSettled([...this.queues.values()].map((queue) => queue.close()));
    for (const connection of [...this.workerConnections, this.producer]) connection.disconnect();
  }
}
