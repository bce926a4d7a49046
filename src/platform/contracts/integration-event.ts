import type { z } from 'zod';

/**
 * Integration events: facts a module publishes for others to react to, declared in
 * the publisher's contract.ts with a stable wire name, a version and the schema of
 * its payload. The payload is plain JSON; everything else (ids, time, correlation,
 * trace) travels in the envelope. A consumer checks what it receives against the
 * schema before it acts, so a publisher that sends something else is caught at the
 * consumer's door, not deep in its handler.
 */
export interface IntegrationEventType<P> {
  readonly module: string;
  readonly name: string;
  readonly version: number;
  /** `<module>.<Name>`: what is stored in the outbox and put on the wire. */
  readonly wireName: string;
  /** What a payload of this version looks like. */
  readonly payload: z.ZodType<P>;
  /** Phantom field carrying the payload type; never set at run time. */
  readonly __payload?: P;
}

export interface EventEnvelope<P = unknown> {
  /** Unique per event; consumers deduplicate on it (inbox). */
  id: string;
  type: string;
  version: number;
  /** The publishing module. */
  source: string;
  occurredAt: string;
  /** Shared by everything one request caused. */
  correlationId: string;
  /** The id of the request or event that directly caused this one. */
  causationId: string;
  /** W3C trace context of the request that caused it, when there was one. */
  traceparent: string | null;
  payload: P;
}

const declared = new Map<string, IntegrationEventType<unknown>>();

export function defineIntegrationEvent<P>(
  module: string,
  name: string,
  version: number,
  payload: z.ZodType<P>,
): IntegrationEventType<P> {
  if (!/^[a-z][a-z0-9_]*$/.test(module)) throw new Error(`event module "${module}" must be lower_snake_case`);
  if (!/^[A-Z][A-Za-z0-9]*$/.test(name)) throw new Error(`event name "${name}" must be PascalCase`);
  if (!Number.isInteger(version) || version < 1) throw new Error(`event version must be a positive integer`);
  const wireName = `${module}.${name}`;
  if (declared.has(wireName)) throw new Error(`integration event ${wireName} is declared twice`);
  const type: IntegrationEventType<P> = Object.freeze({ module, name, version, wireName, payload });
  declared.set(wireName, type as IntegrationEventType<unknown>);
  return type;
}

/** The event declared under a wire name, in any contract loaded in this process. */
export function integrationEventOf(wireName: string): IntegrationEventType<unknown> | undefined {
  return declared.get(wireName);
}

/**
 * A consumer's subscription to an event, declared in the consuming module's
 * contract.ts, so every process knows every route, wherever the consumer runs: the
 * publisher's relay reads the routes from these declarations, not from the handlers
 * it happens to host.
 */
export interface IntegrationEventSubscription<P = unknown> {
  /** `<consumer module>.<Name>`: stable, unique; names the inbox, queue jobs and dead letters. */
  readonly name: string;
  readonly consumer: string;
  readonly event: IntegrationEventType<P>;
}

const subscriptions = new Map<string, IntegrationEventSubscription>();

export function defineSubscription<P>(consumer: string, name: string, event: IntegrationEventType<P>): IntegrationEventSubscription<P> {
  if (!/^[a-z][a-z0-9_]*$/.test(consumer)) throw new Error(`subscriber module "${consumer}" must be lower_snake_case`);
  if (!/^[A-Z][A-Za-z0-9]*$/.test(name)) throw new Error(`subscription name "${name}" must be PascalCase`);
  const fullName = `${consumer}.${name}`;
  if (subscriptions.has(fullName)) throw new Error(`subscription ${fullName} is declared twice`);
  const subscription: IntegrationEventSubscription<P> = Object.freeze({ name: fullName, consumer, event });
  subscriptions.set(fullName, subscription as IntegrationEventSubscription);
  return subscription;
}

/** Every subscription declared by the contracts loaded in this process. */
export function declaredSubscriptions(): IntegrationEventSubscription[] {
  return [...subscriptions.values()];
}
