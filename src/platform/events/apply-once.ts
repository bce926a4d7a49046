import type { EventEnvelope } from '../contracts/integration-event.js';
import type { DatabaseEngine } from '../database/database-engine.js';
import type { Db } from '../database/module-database.js';
import { preparedStatement, runStatements, type PreparedStatement } from '../database/prepared-statement.js';
import { requestContext } from '../logging/request-context.js';
import type { ApplyOnce, Subscription } from './subscriptions.js';

export type ApplyOutcome = 'applied' | 'duplicate';

type InboxStatements = Record<'recordOne' | 'recordMany' | 'seen' | 'forget', PreparedStatement>;
const inboxStatements = new Map<string, InboxStatements>();

function inboxOf(consumer: string): InboxStatements {
  let statements = inboxStatements.get(consumer);
  if (!statements) {
    if (!/^[a-z][a-z0-9_]*$/.test(consumer)) throw new Error(`invalid module name ${consumer}`);
    const inbox = `"${consumer}".inbox`;
    statements = {
      recordOne: preparedStatement(
        `inbox_insert_${consumer}`,
        `INSERT INTO ${inbox} (event_id, subscription) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING event_id`,
      ),
      recordMany: preparedStatement(
        `inbox_insert_many_${consumer}`,
        `INSERT INTO ${inbox} (event_id, subscription) SELECT unnest($1::uuid[]), $2
           ON CONFLICT DO NOTHING RETURNING event_id`,
      ),
      forget: preparedStatement(
        `inbox_forget_${consumer}`,
        `DELETE FROM ${inbox} WHERE event_id = ANY($1::uuid[]) AND subscription = $2`,
      ),
      seen: preparedStatement(
        `inbox_seen_${consumer}`,
        `SELECT event_id FROM ${inbox} WHERE event_id = ANY($1::uuid[]) AND subscription = $2`,
      ),
    };
    inboxStatements.set(consumer, statements);
  }
  return statements;
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
  const [result] = await applyEach(engine, subscription, [envelope]);
  if (result!.status === 'rejected') throw result!.reason;
  return result!.value;
}

const SAVEPOINT = 'apply_each_event';

/** The event is not what the consumer subscribed to: another type or version, or a payload its schema refuses. */
export class UnreadableEventError extends Error {}

/**
 * The consumer's door: its handler runs only on the event type and version it
 * declared, with a payload its schema accepts. Anything else fails like a handler
 * error would, so it is retried and then parked as a dead letter, where an operator
 * sees it, instead of being half-handled.
 */
function assertReadable(subscription: Subscription, envelope: EventEnvelope): void {
  const { event } = subscription.declared;
  if (envelope.type !== event.wireName || envelope.version !== event.version) {
    throw new UnreadableEventError(
      `${subscription.name} reads ${event.wireName} v${event.version}, not ${envelope.type} v${envelope.version}`,
    );
  }
  const parsed = event.payload.safeParse(envelope.payload);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(payload)'}: ${issue.message}`);
    throw new UnreadableEventError(`${subscription.name} cannot read the payload of event ${envelope.id}: ${problems.join('; ')}`);
  }
}

/** The logging context of an event's handling: its log lines carry the event and its correlation. */
function contextOf(envelope: EventEnvelope) {
  return {
    requestId: envelope.id,
    correlationId: envelope.correlationId,
    causationId: envelope.id,
    traceparent: envelope.traceparent,
  };
}

/** An event's work, waiting for the transaction it will share with the others. */
interface Enlisted {
  envelope: EventEnvelope;
  /** The event's place in the batch: works run in that order, not in the order their handlers got to `apply`. */
  position: number;
  work: (tx: Db) => Promise<void>;
  settle: (outcome: PromiseSettledResult<ApplyOutcome>) => void;
}

/**
 * Applies several events to one subscription, each exactly once, with one result per
 * event (in order). Every handler runs as for a single event; their `apply` calls are
 * gathered and run together in one consumer transaction with a single inbox insert,
 * each event's work behind a savepoint of its own, which saves a commit (and its WAL
 * flush) per event. An event whose work fails is undone alone and reported failed;
 * the others commit, and their work is not run again. Only if the shared transaction
 * itself fails (a deadlock with another transaction, its commit, a lost connection)
 * is all of it undone, and each event's work runs again alone in its own
 * transaction: work with an outside effect (a message sent) must tolerate that, as it
 * must tolerate any redelivery (the sender's idempotency key).
 */
export async function applyEach(
  engine: DatabaseEngine,
  subscription: Subscription,
  envelopes: EventEnvelope[],
): Promise<PromiseSettledResult<ApplyOutcome>[]> {
  const consumer = engine.forModule(subscription.consumer);
  const inbox = inboxOf(subscription.consumer);
  const enlisted: Enlisted[] = [];
  let waitingFor = envelopes.length;
  let allEnlisted!: () => void;
  const ready = new Promise<void>((resolve) => (allEnlisted = resolve));
  const arrived = () => {
    if (--waitingFor === 0) allEnlisted();
  };
  const enlist = (envelope: EventEnvelope, position: number, work: Enlisted['work']) =>
    new Promise<ApplyOutcome>((resolve, reject) => {
      enlisted.push({
        envelope,
        position,
        work: (tx) => requestContext.run(contextOf(envelope), () => work(tx)),
        settle: (result) => (result.status === 'fulfilled' ? resolve(result.value) : reject(result.reason)),
      });
      arrived();
    });

  const runHandler = async (envelope: EventEnvelope, position: number): Promise<ApplyOutcome> => {
    let called = false;
    let outcome: ApplyOutcome | undefined;
    const apply: ApplyOnce = async (work) => {
      if (called) throw new Error(`${subscription.name} called apply twice for one event`);
      called = true;
      outcome = await enlist(envelope, position, work);
    };
    try {
      assertReadable(subscription, envelope);
      await requestContext.run(contextOf(envelope), () => subscription.handle(envelope, apply));
    } catch (error) {
      if (!called) arrived(); // failed before apply: nothing of it to wait for
      throw error;
    }
    if (!called) {
      // A handler that decided there was nothing to do still marks the event as seen.
      called = true;
      return enlist(envelope, position, async () => undefined);
    }
    // apply failed and the handler swallowed the error: the event was not applied.
    if (!outcome) throw new Error(`${subscription.name} returned after its apply failed; the event was not applied`);
    return outcome;
  };

  const results = Promise.allSettled(envelopes.map(runHandler));
  if (envelopes.length > 0) {
    await ready;
    // Every batch takes its rows in the order of its events (outbox order), not at random.
    enlisted.sort((a, b) => a.position - b.position);
    await runEnlisted(consumer, inbox, subscription, enlisted);
  }
  return results;
}

async function runEnlisted(
  consumer: { transaction<T>(work: (tx: Db) => Promise<T>): Promise<T> },
  inbox: InboxStatements,
  subscription: Pick<Subscription, 'name' | 'databaseOnly'>,
  enlisted: Enlisted[],
): Promise<void> {
  if (enlisted.length === 0) return;
  const subscriptionName = subscription.name;
  // Work that only writes the consumer's tables needs no savepoint of its own: if one
  // fails, all of the batch is undone and applied again event by event (below).
  const savepoints = !subscription.databaseOnly;
  if (enlisted.length > 1) {
    try {
      const outcomes = await consumer.transaction(async (tx) => {
        const ids = enlisted.map((item) => item.envelope.id);
        const recorded = new Set(
          (await inbox.recordMany.run<{ event_id: string }>(tx, [ids, subscriptionName])).map((row) => row.event_id),
        );
        const outcomes: PromiseSettledResult<ApplyOutcome>[] = [];
        const failed: string[] = [];
        // Each event's work behind a savepoint of its own: a failing one is undone alone,
        // and the others are not run again because of it (their work may include a
        // non-transactional call, such as sending a message). One name, released and set
        // again between events in the same round trip, so the savepoints do not nest.
        if (savepoints) await runStatements(tx, [`SAVEPOINT ${SAVEPOINT}`]);
        for (const item of enlisted) {
          // The first of two copies of one event takes the inbox row; the second is a duplicate.
          if (!recorded.delete(item.envelope.id)) {
            outcomes.push({ status: 'fulfilled', value: 'duplicate' });
            continue;
          }
          if (!savepoints) {
            await item.work(tx);
            outcomes.push({ status: 'fulfilled', value: 'applied' });
            continue;
          }
          try {
            await item.work(tx);
            await runStatements(tx, [`RELEASE SAVEPOINT ${SAVEPOINT}`, `SAVEPOINT ${SAVEPOINT}`]);
            outcomes.push({ status: 'fulfilled', value: 'applied' });
          } catch (reason) {
            await runStatements(tx, [`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`]);
            failed.push(item.envelope.id);
            outcomes.push({ status: 'rejected', reason });
          }
        }
        if (failed.length) await inbox.forget.run(tx, [failed, subscriptionName]);
        return outcomes;
      });
      enlisted.forEach((item, index) => item.settle(outcomes[index]!));
      return;
    } catch {
      // The shared transaction itself failed (its commit, say), or a database-only
      // work did: each event alone, so what can be applied is, and what cannot fails
      // on its own.
    }
  }
  for (const item of enlisted) {
    try {
      const outcome = await consumer.transaction(async (tx): Promise<ApplyOutcome> => {
        const recorded = await inbox.recordOne.run(tx, [item.envelope.id, subscriptionName]);
        if (recorded.length === 0) return 'duplicate';
        await item.work(tx);
        return 'applied';
      });
      item.settle({ status: 'fulfilled', value: outcome });
    } catch (reason) {
      item.settle({ status: 'rejected', reason });
    }
  }
}

/** The events of `envelopes` the subscription's inbox has not recorded. */
export async function unappliedOf(
  engine: DatabaseEngine,
  subscription: Pick<Subscription, 'consumer' | 'name'>,
  envelopes: EventEnvelope[],
): Promise<EventEnvelope[]> {
  if (envelopes.length === 0) return [];
  const seen = await inboxOf(subscription.consumer).seen.run<{ event_id: string }>(engine.forModule(subscription.consumer).db, [
    envelopes.map((envelope) => envelope.id),
    subscription.name,
  ]);
  const applied = new Set(seen.map((row) => row.event_id));
  return envelopes.filter((envelope) => !applied.has(envelope.id));
}

/** Exponential backoff with jitter: attempt 1 waits about `base`, then doubling, ±25 %. */
export function backoffDelay(attempt: number, baseMs: number): number {
  const ceiling = baseMs * 2 ** Math.max(0, attempt - 1);
  return Math.round(ceiling * (0.75 + Math.random() * 0.5));
}
