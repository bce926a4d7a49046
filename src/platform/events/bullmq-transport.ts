import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/app-config.js';
import type { EventEnvelope } from '../contracts/integration-event.js';
import type { DatabaseEngine } from '../database/database-engine.js';
import { applyOnce, errorText } from './apply-once.js';
import type { DeadLetters } from './dead-letters.js';
import type { EventRoutes } from './event-consumers.js';
import type { Delivery, EventTransport } from './event-transport.js';
import { producerConnection, warnUnlessNoEviction, workerConnection } from './redis-connection.js';

interface JobData {
  envelope: EventEnvelope;
  subscription: string;
}

/** Each consuming module has its own queue, so an extracted module can take its queue with it. */
export function queueNameOf(consumer: string): string {
  return `shop-events-${consumer}`;
}

const WORKER_CONCURRENCY = 32;

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
      const connection = workerConnection(this.url, this.logger);
      this.workerConnections.push(connection);
      const worker = new Worker<JobData>(queueNameOf(consumer), (job) => this.process(job), {
        connection,
        prefix: this.config.events.queuePrefix,
        concurrency: WORKER_CONCURRENCY,
      });
      worker.on('error', (error) => this.logger.warn({ err: error, consumer }, 'event worker error'));
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
    const byConsumer = new Map<string, Delivery[]>();
    for (const delivery of deliveries) {
      const list = byConsumer.get(delivery.subscription.consumer) ?? [];
      list.push(delivery);
      byConsumer.set(delivery.subscription.consumer, list);
    }
    const { maxAttempts, backoffMs } = this.config.events;
    await Promise.all(
      [...byConsumer].map(([consumer, list]) =>
        this.queue(consumer).addBulk(
          list.map(({ envelope, subscription, attemptKey }) => ({
            name: subscription.name,
            data: { envelope, subscription: subscription.name },
            opts: {
              // Same event and subscription, same job: a relay retry does not queue it twice
              // while the first is pending. Replays and re-drives carry their own key.
              jobId: [envelope.id, subscription.name, attemptKey].filter(Boolean).join('.'),
              attempts: maxAttempts,
              backoff: { type: 'exponential', delay: backoffMs, jitter: 0.5 },
              removeOnComplete: true,
              removeOnFail: true,
            },
          })),
        ),
      ),
    );
  }

  private async process(job: Job<JobData>): Promise<void> {
    const subscription = this.routes.subscription(job.data.subscription);
    if (!subscription) throw new Error(`no subscription ${job.data.subscription} in this process`);
    try {
      await applyOnce(this.engine, subscription, job.data.envelope);
    } catch (error) {
      const attempt = job.attemptsMade + 1;
      if (attempt < this.config.events.maxAttempts) throw error;
      await this.deadLetters.record(subscription, job.data.envelope, attempt, errorText(error));
      this.logger.error(
        { err: error, eventId: job.data.envelope.id, subscription: subscription.name, attempts: attempt },
        'event dead-lettered',
      );
    }
  }

  /** Workers first (they finish their active jobs), then queues, then connections. */
  async stop(): Promise<void> {
    await Promise.allSettled(this.workers.map((worker) => worker.close()));
    await Promise.allSettled([...this.queues.values()].map((queue) => queue.close()));
    for (const connection of [...this.workerConnections, this.producer]) connection.disconnect();
  }
}
