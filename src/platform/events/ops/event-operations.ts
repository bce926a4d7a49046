import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { sql } from 'drizzle-orm';
import { DomainError } from '../../contracts/domain-error.js';
import type { DatabaseEngine } from '../../database/database-engine.js';
import { DATABASE_ENGINE } from '../../database/database.tokens.js';
import { DeadLetters } from '../dead-letters.js';
import { EventRoutes } from '../event-routes.js';
import { EVENT_TRANSPORT, type Delivery, type EventTransport } from '../event-transport.js';
import { envelopeOf, type OutboxRow } from '../outbox-relay.js';

export class UnknownModuleRoleError extends DomainError {
  readonly code = 'EVENTS.UNKNOWN_MODULE';
  readonly kind = 'invalid' as const;
}

export interface ReplayRequest {
  publisher: string;
  subscriber: string;
  types: string[];
  since: Date;
}

const CHUNK = 500;

/**
 * What an operator does with events: re-drive dead letters, and replay a publisher's
 * retained events to one subscriber (to rebuild a read model, or after a fix). The
 * publisher's own platform code reads its own outbox; nobody reads another module's
 * tables. Consumers' inboxes make both safe to repeat.
 */
@Injectable()
export class EventOperations {
  constructor(
    @Inject(DATABASE_ENGINE) private readonly engine: DatabaseEngine,
    @Inject(EVENT_TRANSPORT) private readonly transport: EventTransport,
    private readonly routes: EventRoutes,
    private readonly deadLetters: DeadLetters,
  ) {}

  async replay(request: ReplayRequest): Promise<{ events: number; deliveries: number }> {
    if (!this.routes.publishers().includes(request.publisher)) {
      throw new UnknownModuleRoleError(`${request.publisher} publishes no events here`, [
        { field: 'publisher', message: 'not a publishing module' },
      ]);
    }
    this.assertConsumer(request.subscriber, 'subscriber');
    const result = (await this.engine.forModule(request.publisher).db.execute(sql`
      SELECT seq, id, type, version, payload, occurred_at, correlation_id, causation_id, traceparent
        FROM ${sql.identifier(request.publisher)}.outbox
       WHERE type IN (${sql.join(request.types.map((t) => sql`${t}`), sql`, `)})
         AND occurred_at >= ${request.since.toISOString()}
       ORDER BY seq`)) as unknown as { rows: OutboxRow[] };
    const replayKey = `replay-${randomUUID()}`;
    const deliveries: Delivery[] = result.rows.flatMap((row) =>
      this.routes
        .subscribersOf(row.type)
        .filter((subscription) => subscription.consumer === request.subscriber)
        .map((subscription) => ({ envelope: envelopeOf(request.publisher, row), subscription, attemptKey: replayKey })),
    );
    for (let i = 0; i < deliveries.length; i += CHUNK) await this.transport.dispatch(deliveries.slice(i, i + CHUNK));
    return { events: result.rows.length, deliveries: deliveries.length };
  }

  async redrive(consumer: string, ids?: string[]): Promise<{ redriven: number }> {
    this.assertConsumer(consumer);
    const letters = await this.deadLetters.pending(consumer, ids);
    // Letters whose subscription no longer exists stay pending and visible.
    const deliverable = letters.flatMap((letter) => {
      const subscription = this.routes.subscription(letter.subscription);
      return subscription ? [{ letter, subscription }] : [];
    });
    for (let i = 0; i < deliverable.length; i += CHUNK) {
      const chunk = deliverable.slice(i, i + CHUNK);
      await this.transport.dispatch(
        chunk.map(({ letter, subscription }) => ({ envelope: letter.envelope, subscription, attemptKey: `redrive-${letter.id}` })),
      );
      await this.deadLetters.markRedriven(consumer, chunk.map(({ letter }) => letter.id));
    }
    return { redriven: deliverable.length };
  }

  assertConsumer(consumer: string, field = 'consumer'): void {
    if (!this.routes.consumers().includes(consumer)) {
      throw new UnknownModuleRoleError(`${consumer} subscribes to no events here`, [
        { field, message: 'not a subscribing module' },
      ]);
    }
  }
}
