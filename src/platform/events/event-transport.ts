import type { EventEnvelope } from '../contracts/integration-event.js';
import type { Subscription } from './subscriptions.js';

/** One event for one subscription. */
export interface Delivery {
  envelope: EventEnvelope;
  subscription: Subscription;
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

export const EVENT_TRANSPORT = Symbol('EVENT_TRANSPORT');
