import type { EventEnvelope, IntegrationEventSubscription } from '../contracts/integration-event.js';
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
  /**
   * The handler's work only writes the consumer's own tables: no message sent, no
   * outside call, so running it again after a rollback changes nothing outside. A
   * batch of such events then shares its transaction without a savepoint per event
   * (a round trip each); if one fails, the whole batch is undone and each event is
   * applied alone. Leave it unset when the work has an outside effect.
   */
  databaseOnly?: boolean;
}

/**
 * Where one kind of event goes: a subscription as its consumer's contract declares it.
 * Every process knows every route, whether or not it hosts the consumer.
 */
export interface EventRoute {
  /** `<consumer module>.<Name>`. */
  name: string;
  consumer: string;
  eventType: string;
  /** The event version the consumer reads. */
  version: number;
}

/** A route whose consumer runs in this process, bound to its handler. */
export interface Subscription extends EventRoute {
  /** The declaration, with the payload schema the handler's input is checked against. */
  declared: IntegrationEventSubscription;
  handle: EventHandler<unknown>;
  /** See SubscriptionOptions.databaseOnly. */
  databaseOnly?: boolean;
}

export function routeOf(declared: IntegrationEventSubscription): EventRoute {
  return { name: declared.name, consumer: declared.consumer, eventType: declared.event.wireName, version: declared.event.version };
}

const SUBSCRIPTIONS = Symbol.for('shop.events.subscriptions');

interface Declared {
  method: string | symbol;
  subscription: IntegrationEventSubscription;
  databaseOnly: boolean;
}

/**
 * Marks a provider method of the consuming module as the handler of a subscription
 * its contract.ts declares (defineSubscription). The route exists by the declaration;
 * this binds it to the code that runs where the consumer is hosted.
 */
export function OnIntegrationEvent<P>(subscription: IntegrationEventSubscription<P>, options: SubscriptionOptions = {}): MethodDecorator {
  return (target, method) => {
    const list = (Reflect.getMetadata(SUBSCRIPTIONS, target.constructor) as Declared[] | undefined) ?? [];
    Reflect.defineMetadata(
      SUBSCRIPTIONS,
      [...list, { method, subscription: subscription as IntegrationEventSubscription, databaseOnly: options.databaseOnly ?? false }],
      target.constructor,
    );
  };
}

/** The subscriptions handled by one provider instance, bound to it. */
export function subscriptionsOf(instance: object): Subscription[] {
  const declared = (Reflect.getMetadata(SUBSCRIPTIONS, instance.constructor) as Declared[] | undefined) ?? [];
  return declared.map(({ method, subscription, databaseOnly }) => {
    const fn = (instance as Record<string | symbol, unknown>)[method];
    if (typeof fn !== 'function') throw new Error(`${subscription.name}: ${String(method)} is not a method`);
    return {
      ...routeOf(subscription),
      declared: subscription,
      handle: (fn as EventHandler<unknown>).bind(instance),
      databaseOnly,
    };
  });
}
