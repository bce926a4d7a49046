import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/app-config.js';
import { EventOperations } from '../../../platform/events/ops/event-operations.js';
import { OrderSummariesRepository } from '../db/order-summaries.repository.js';
import { PROJECTED_EVENTS, PROJECTION_SUBSCRIPTIONS } from '../project-orders/project-orders.handler.js';

export interface RebuildOutcome {
  /** ordering's events re-delivered to the projection. */
  replayed: number;
  /** How far back events are kept, hence how far back the rebuilt summaries reach. */
  retentionDays: number;
}

/**
 * Rebuilds the read model from ordering's events: forgets every summary and the inbox
 * entries of the projection in one transaction, then asks the platform to replay
 * ordering's retained events to reporting. The projection converges whatever the
 * order of arrival, so the replay (or events delivered meanwhile) yields the same rows
 * as incremental projection did.
 *
 * The window: only events still retained by ordering's outbox (EVENTS_RETENTION_DAYS)
 * can be replayed. Orders whose events were all pruned do not come back, and an order
 * whose OrderPlaced was pruned but whose later event was not comes back partial.
 */
@Injectable()
export class RebuildOrderSummaries {
  constructor(
    private readonly summaries: OrderSummariesRepository,
    private readonly eventOperations: EventOperations,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async run(): Promise<RebuildOutcome> {
    await this.summaries.forgetAll(Object.values(PROJECTION_SUBSCRIPTIONS));
    const { events } = await this.eventOperations.replay({
      publisher: 'ordering',
      subscriber: 'reporting',
      types: PROJECTED_EVENTS.map((type) => type.wireName),
      since: new Date(0),
    });
    return { replayed: events, retentionDays: this.config.events.retentionDays };
  }
}
