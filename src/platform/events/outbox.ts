import { randomUUID } from 'node:crypto';
import type { Provider } from '@nestjs/common';
import { is } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import type { EventEnvelope, IntegrationEventType } from '../contracts/integration-event.js';
import { afterCommit } from '../database/after-commit.js';
import { preparedStatement, type PreparedStatement } from '../database/prepared-statement.js';
import type { Db } from '../database/module-database.js';
import { OUTBOX_ANNOUNCER as OutboxAnnouncerToken, type OutboxAnnouncer } from './outbox-announcer.js';
import { requestContext } from '../logging/request-context.js';

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
  }

  async publish<P>(tx: Db, type: IntegrationEventType<P>, payload: P): Promise<EventEnvelope<P>> {
    if (!is(tx, PgTransaction)) throw new EventOutsideTransactionError(type.wireName);
    if (type.module !== this.module) {
      throw new Error(`${this.module} cannot publish ${type.wireName}: a module publishes only its own events`);
    }
    const context = requestContext.current();
    const envelope: EventEnvelope<P> = {
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
    const values = [
      envelope.id,
      envelope.type,
      envelope.version,
      JSON.stringify(payload),
      envelope.occurredAt,
      envelope.correlationId,
      envelope.causationId,
      envelope.traceparent,
    ];
    const announced = this.announcer !== undefined && afterCommit(tx, () => this.announcer!.committed(this.module));
    await (announced ? this.insert : this.insertAndNotify).run(tx, values);
    return envelope;
  }
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
