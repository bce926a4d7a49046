import { randomUUID } from 'node:crypto';
import type { Provider } from '@nestjs/common';
import { is } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import type { EventEnvelope, IntegrationEventType } from '../contracts/integration-event.js';
import { afterCommit } from '../database/after-commit.js';
import { preparedStatement, type PreparedStatement } from '../database/prepared-statement.js';
import type { Db } from '../database/module-database.js';
import { OUTBOX_ANNOUNCER as OutboxAnnouncerToken, type OutboxAnnouncer } from './outbox-announcer.js';
import { requestContext, type RequestContext } from '../logging/request-context.js';

/** Postgres channel the outbox announces new rows on; the payload is the module name. */
export const OUTBOX_CHANNEL = 'shop_outbox';

export class EventOutsideTransactionError extends Error {
  constructor(type: string) {
    super(
      `${type} was published outside a transaction. Publish inside the transaction that makes ` +
        'the change (database.transaction(async (tx) => { …; await outbox.publish(tx, …) })), ' +
        'so the event commits, or rolls back, with it.',
    );
  }
}

/**
 * A module's outbox: publishing writes the event into `<module>.outbox` in the
 * caller's transaction. If the transaction rolls back, the event never existed; if
 * it commits, the relay will deliver it, even after a crash.
 */
export class Outbox {
  private readonly insert: PreparedStatement;
  private readonly insertAndNotify: PreparedStatement;
  private readonly insertMany: PreparedStatement;
  private readonly insertManyAndNotify: PreparedStatement;

  /** Without an announcer (or outside a ModuleDatabase transaction) a NOTIFY rides in the transaction. */
  constructor(
    readonly module: string,
    private readonly announcer?: OutboxAnnouncer,
  ) {
    if (!/^[a-z][a-z0-9_]*$/.test(module)) throw new Error(`invalid module name ${module}`);
    const insert = `INSERT INTO "${module}".outbox
         (id, type, version, payload, occurred_at, correlation_id, causation_id, traceparent)
       VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8)`;
    this.insert = preparedStatement(`outbox_insert_${module}`, insert);
    // One round trip: the row, and a NOTIFY that listeners receive only when (and if)
    // the transaction commits.
    this.insertAndNotify = preparedStatement(
      `outbox_insert_notify_${module}`,
      `WITH written AS (${insert} RETURNING 1) SELECT pg_notify('${OUTBOX_CHANNEL}', '${module}') FROM written`,
    );
    // Many rows in one statement: one array per column, unnested in step.
    const insertMany = `INSERT INTO "${module}".outbox
         (id, type, version, payload, occurred_at, correlation_id, causation_id, traceparent)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::jsonb[], $5::timestamptz[], $6::text[], $7::text[], $8::text[])`;
    this.insertMany = preparedStatement(`outbox_insert_many_${module}`, insertMany);
    this.insertManyAndNotify = preparedStatement(
      `outbox_insert_many_notify_${module}`,
      `WITH written AS (${insertMany} RETURNING 1) SELECT pg_notify('${OUTBOX_CHANNEL}', '${module}') LIMIT 1`,
    );
  }

  /**
   * Writes one event in `tx`. Its correlation and causation ids come from `context`,
   * by default the request context the call runs in.
   */
  async publish<P>(tx: Db, type: IntegrationEventType<P>, payload: P, context?: RequestContext): Promise<EventEnvelope<P>> {
    const [envelope] = await this.publishAll(tx, [{ type, payload, context }]);
    return envelope as EventEnvelope<P>;
  }

  /**
   * Writes several events in `tx` with one statement: a batch of work done for many
   * callers at once (see GroupCommit) publishes all its events in one round trip, each
   * with its own caller's context.
   */
  async publishAll(tx: Db, events: readonly PublishedEvent[]): Promise<EventEnvelope<unknown>[]> {
    if (events.length === 0) return [];
    for (const { type } of events) {
      if (!is(tx, PgTransaction)) throw new EventOutsideTransactionError(type.wireName);
      if (type.module !== this.module) {
        throw new Error(`${this.module} cannot publish ${type.wireName}: a module publishes only its own events`);
      }
    }
    const envelopes = events.map(({ type, payload, context }) => this.envelope(type, payload, context ?? requestContext.current()));
    const announced = this.announcer !== undefined && afterCommit(tx, () => this.announcer!.committed(this.module));
    if (envelopes.length === 1) {
      await (announced ? this.insert : this.insertAndNotify).run(tx, valuesOf(envelopes[0]!));
    } else {
      const columns = envelopes.map(valuesOf);
      const values = columns[0]!.map((_, c) => columns.map((row) => row[c]));
      await (announced ? this.insertMany : this.insertManyAndNotify).run(tx, values);
    }
    return envelopes;
  }

  private envelope<P>(type: IntegrationEventType<P>, payload: P, context: RequestContext | undefined): EventEnvelope<P> {
    return {
      id: randomUUID(),
      type: type.wireName,
      version: type.version,
      source: this.module,
      occurredAt: new Date().toISOString(),
      correlationId: context?.correlationId ?? randomUUID(),
      causationId: context?.causationId ?? 'system',
      traceparent: context?.traceparent ?? null,
      payload,
    };
  }
}

/** An event to publish: its type, its payload and, optionally, the context it was caused in. */
export interface PublishedEvent {
  type: IntegrationEventType<any>;
  payload: unknown;
  context?: RequestContext | undefined;
}

function valuesOf(envelope: EventEnvelope<unknown>): unknown[] {
  return [
    envelope.id,
    envelope.type,
    envelope.version,
    JSON.stringify(envelope.payload),
    envelope.occurredAt,
    envelope.correlationId,
    envelope.causationId,
    envelope.traceparent,
  ];
}

/** Injection token of the module's own Outbox. */
export const OUTBOX = Symbol('OUTBOX');

export function moduleOutboxProvider(module: string): Provider {
  return {
    provide: OUTBOX,
    useFactory: (announcer: OutboxAnnouncer) => new Outbox(module, announcer),
    inject: [OutboxAnnouncerToken],
  };
}
