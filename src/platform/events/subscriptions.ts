import type { EventEnvelope, IntegrationEventType } from '../contracts/integration-event.js';
import type { Db } from '../database/module-database.js';

/**
 * Runs the handler's writes in the consumer's own transaction, the same one that
 * records the event in its inbox, so the effect and "seen this event" commit together
 * or not at all. If the event was already applied, `work` does not run.
 */
export type ApplyOnce = (work: (tx: Db) => Promise<void>) => Promise<void>;

/**
 * A consumer's handler. Reads from other modules (through the ContractBus) happen
 * before `apply`, outside any transaction: on the embedded database, with its single
 * connection, a contract call from inside a transaction would wait on itself.
 */
export type EventHandler<P> = (event: EventEnvelope<P>, apply: ApplyOnce) => Promise<void>;

export interface SubscriptionOptions {
  /** `<consumer module>.<Name>`: stable, unique; names the inbox and dead-letter rows. */
  name: string;
  /**
   * The handler's work only writes the consumer's own tables: no message sent, no
   * outside call, so running it again after a rollback changes nothing outside. A
   * batch of such events then shares its transaction without a savepoint per event
   * (a round trip each); if one fails, the whole batch is undone and each event is
   * applied alone. Leave it unset when the work has an outside effect.
   */
  databaseOnly?: boolean;
}

export interface Subscription {
  name: string;
  consumer: string;
  eventType: string;
  handle: EventHandler<unknown>;
  /** See SubscriptionOptions.databaseOnly. */
  databaseOnly?: boolean;
}

const SUBSCRIPTIONS = Symbol.for('shop.events.subscriptions');

interface Declared {
  method: string | symbol;
  eventType: IntegrationEventType<unknown>;
  name: string;
  databaseOnly: boolean;
}

/**
 * Declares, in the consuming module, that a provider method reacts to an event.
 * Delivery routes are derived from these declarations; the publisher knows nothing.
 */
export function OnIntegrationEvent<P>(eventType: IntegrationEventType<P>, options: SubscriptionOptions): MethodDecorator {
  if (!/^[a-z][a-z0-9_]*\.[A-Z][A-Za-z0-9]*$/.test(options.name)) {
    throw new Error(`subscription name "${options.name}" must look like "<module>.<Name>"`);
  }
  return (target, method) => {
    const list = (Reflect.getMetadata(SUBSCRIPTIONS, target.constructor) as Declared[] | undefined) ?? [];
    Reflect.defineMetadata(
      SUBSCRIPTIONS,
      [
        ...list,
        { method, eventType: eventType as IntegrationEventType<unknown>, name: options.name, databaseOnly: options.databaseOnly ?? false },
      ],
      target.constructor,
    );
  };
}

/** The subscriptions declared on one provider instance, bound to it. */
export function subscriptionsOf(instance: object): Subscription[] {
  const declared = (Reflect.getMetadata(SUBSCRIPTIONS, instance.constructor) as Declared[] | undefined) ?? [];
  return declared.map(({ method, eventType, name, databaseOnly }) => {
    const fn = (instance as Record<string | symbol, unknown>)[method];
    if (typeof fn !== 'function') throw new Error(`${name}: ${String(method)} is not a method`);
    return {
      name,
      consumer: name.slice(0, name.indexOf('.')),
      eventType: eventType.wireName,
      handle: (fn as EventHandler<unknown>).bind(instance),
      databaseOnly,
    };
  });
}
