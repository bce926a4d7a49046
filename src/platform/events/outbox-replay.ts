import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { sql } from 'drizzle-orm';
import { DomainError } from '../contracts/domain-error.js';
import type { DatabaseEngine } from '../database/database-engine.js';
import { DATABASE_ENGINE } from '../database/database.tokens.js';
import { EventRoutes } from './event-routes.js';
import { EVENT_TRANSPORT, type Delivery, type EventTransport } from './event-transport.js';
import { envelopeOf, type OutboxRow } from './outbox-relay.js';

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
 * Replays a publisher's retained events to one subscriber (to rebuild a read model,
 * or after a fix), through the normal delivery path: the subscriber's queue, wherever
 * it runs. Only the process hosting the publisher can do it, since only it holds the
 * publisher's role; a consumer elsewhere asks the publisher, through its contract.
 * The subscriber's inbox makes a replay safe to repeat.
 */
@Injectable()
export class OutboxReplay {
  constructor(
    @Inject(DATABASE_ENGINE) private readonly engine: DatabaseEngine,
    @Inject(EVENT_TRANSPORT) private readonly transport: EventTransport,
    private readonly routes: EventRoutes,
  ) {}

  async replay(request: ReplayRequest): Promise<{ events: number; deliveries: number }> {
    if (!this.routes.publishers().includes(request.publisher)) {
      throw new UnknownModuleRoleError(`${request.publisher} publishes no events in this process`, [
        { field: 'publisher', message: 'not a publishing module hosted here' },
      ]);
    }
    if (!this.routes.consumersOf(request.types).includes(request.subscriber)) {
      throw new UnknownModuleRoleError(`${request.subscriber} subscribes to none of ${request.types.join(', ')}`, [
        { field: 'subscriber', message: 'not a subscribing module' },
      ]);
    }
    const result = (await this.engine.forModule(request.publisher).db.execute(sql`
      SELECT seq, id, type, version, payload, occurred_at, correlation_id, causation_id, traceparent
        FROM ${sql.identifier(request.publisher)}.outbox
       WHERE type IN (${sql.join(request.types.map((t) => sql`${t}`), sql`, `)})
         AND occurred_at >= ${request.since.toISOString()}
       ORDER BY seq`)) as unknown as { rows: OutboxRow[] };
    const replayKey = `replay-${randomUUID()}`;
    const deliveries: Delivery[] = result.rows.flatMap((row) => {
      const routing = this.routes.routesOf(row.type, row.version);
      if (!routing.known) return [];
      return routing.routes
        .filter((route) => route.consumer === request.subscriber)
        .map((subscription) => ({ envelope: envelopeOf(request.publisher, row), subscription, attemptKey: replayKey }));
    });
    for (let i = 0; i < deliveries.length; i += CHUNK) await this.transport.dispatch(deliveries.slice(i, i + CHUNK));
    return { events: result.rows.length, deliveries: deliveries.length };
  }
}
