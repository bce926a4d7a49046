import type { EventEnvelope } from '../contracts/integration-event.js';
import type { DatabaseEngine } from '../database/database-engine.js';
import { preparedStatement } from '../database/prepared-statement.js';
import { requestContext } from '../logging/request-context.js';
import type { ApplyOnce, Subscription } from './subscriptions.js';

export type ApplyOutcome = 'applied' | 'duplicate';

const inboxInserts = new Map<string, ReturnType<typeof preparedStatement>>();

function inboxInsertOf(consumer: string) {
  let statement = inboxInserts.get(consumer);
  if (!statement) {
    if (!/^[a-z][a-z0-9_]*$/.test(consumer)) throw new Error(`invalid module name ${consumer}`);
    statement = preparedStatement(
      `inbox_insert_${consumer}`,
      `INSERT INTO "${consumer}".inbox (event_id, subscription) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING event_id`,
    );
    inboxInserts.set(consumer, statement);
  }
  return statement;
}

/**
 * Applies one event to one subscription exactly once: the inbox row and the
 * handler's effect share the consumer's transaction. A redelivery (relay retry,
 * stalled job, replay, re-drive) finds the inbox row and changes nothing.
 */
export async function applyOnce(
  engine: DatabaseEngine,
  subscription: Subscription,
  envelope: EventEnvelope,
): Promise<ApplyOutcome> {
  const consumer = engine.forModule(subscription.consumer);
  const context = {
    requestId: envelope.id,
    correlationId: envelope.correlationId,
    causationId: envelope.id,
    traceparent: envelope.traceparent,
  };
  let outcome: ApplyOutcome | undefined;
  let called = false;
  const apply: ApplyOnce = async (work) => {
    if (called) throw new Error(`${subscription.name} called apply twice for one event`);
    called = true;
    outcome = await consumer.transaction(async (tx) => {
      const recorded = await inboxInsertOf(subscription.consumer).run(tx, [envelope.id, subscription.name]);
      if (recorded.length === 0) return 'duplicate';
      await work(tx);
      return 'applied';
    });
  };
  await requestContext.run(context, () => subscription.handle(envelope, apply));
  if (!called) {
    // A handler that decided there was nothing to do still marks the event as seen.
    await apply(async () => undefined);
  } else if (!outcome) {
    // apply failed and the handler swallowed the error: the event was not applied.
    throw new Error(`${subscription.name} returned after its apply failed; the event was not applied`);
  }
  return outcome!;
}

/** Exponential backoff with jitter: attempt 1 waits about `base`, then doubling, ±25 %. */
export function backoffDelay(attempt: number, baseMs: number): number {
  const ceiling = baseMs * 2 ** Math.max(0, attempt - 1);
  return Math.round(ceiling * (0.75 + Math.random() * 0.5));
}

export function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 2000);
  return String(error).slice(0, 2000);
}
