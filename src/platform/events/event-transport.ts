import type { EventEnvelope } from '../contracts/integration-event.js';
import type { EventRoute } from './subscriptions.js';

/** One event for one subscription, wherever its consumer runs. */
export interface Delivery {
  envelope: EventEnvelope;
  subscription: EventRoute;
  /** Distinguishes a replay or re-drive from the first delivery (queue job ids). */
  attemptKey?: string;
}

/**
 * Carries events from the relay to their subscribers. `dispatch` resolves once every
 * delivery is durably handed over (BullMQ: in Redis) or settled (in-process: applied
 * or dead-lettered); until then the outbox row stays unpublished.
 */
export interface EventTransport {
  readonly kind: 'in-process' | 'bullmq';
  start(): Promise<void>;
  dispatch(deliveries: Delivery[]): Promise<void>;
  /** Stops taking work and waits for work in hand. */
  stop(): Promise<void>;
}

/**
 * Events of one subscription applied in one consumer transaction (see applyEach), and
 * carried in one queue job. Large enough to spread a commit over many events; below
 * 64 because each event's work sits behind a savepoint, and a transaction with more
 * than 64 subtransactions that wrote overflows PostgreSQL's per-backend cache of them,
 * which slows every other session's snapshots.
 */
export const MAX_EVENTS_PER_APPLY = 50;

/** Deliveries grouped by subscription, in their order, at most MAX_EVENTS_PER_APPLY per batch. */
export function batchesOf(deliveries: Delivery[]): Delivery[][] {
  const bySubscription = new Map<string, Delivery[][]>();
  for (const delivery of deliveries) {
    const batches = bySubscription.get(delivery.subscription.name) ?? [];
    const last = batches.at(-1);
    if (last && last.length < MAX_EVENTS_PER_APPLY) last.push(delivery);
    else batches.push([delivery]);
    bySubscription.set(delivery.subscription.name, batches);
  }
  return [...bySubscription.values()].flat();
}

export const EVENT_TRANSPORT = Symbol('EVENT_TRANSPORT');
