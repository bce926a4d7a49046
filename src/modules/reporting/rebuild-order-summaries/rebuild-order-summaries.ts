import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/app-config.js';
import { ContractBus } from '../../../platform/dispatch/contract-bus.js';
import { ReplayOrderEvents } from '../../ordering/contract.js';
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
 * entries of the projection in one transaction, then asks ordering, through its
 * contract, to replay its retained events to reporting (ordering's outbox is
 * ordering's: only its own process reads it, wherever that runs). The projection converges whatever the
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
    private readonly contracts: ContractBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async run(): Promise<RebuildOutcome> {
    await this.summaries.forgetAll(Object.values(PROJECTION_SUBSCRIPTIONS));
    const { events } = await this.contracts.execute(
      new ReplayOrderEvents(
        'reporting',
        PROJECTED_EVENTS.map((type) => type.wireName),
        new Date(0).toISOString(),
      ),
      // Reading and queueing every retained event can take a while on a large outbox.
      { timeoutMs: Math.max(this.config.contractCallTimeoutMs, 60_000) },
    );
    return { replayed: events, retentionDays: this.config.events.retentionDays };
  }
}
