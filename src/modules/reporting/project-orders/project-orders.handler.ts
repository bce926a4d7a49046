import { Injectable } from '@nestjs/common';
import type { EventEnvelope, Money } from '../../../platform/contracts/index.js';
import { OnIntegrationEvent, type ApplyOnce } from '../../../platform/events/subscriptions.js';
import type { OrderCancelledPayload, OrderConfirmedPayload, OrderPlacedPayload } from '../../ordering/contract.js';
import { ReportingSubscriptions } from '../contract.js';
import { OrderSummariesRepository, type OrderFact } from '../db/order-summaries.repository.js';
import { OrderNames } from './order-names.js';

const { ProjectOrderPlaced, ProjectOrderConfirmed, ProjectOrderCancelled } = ReportingSubscriptions;

/** The subscriptions a rebuild forgets and replays, by name (declared in reporting's contract). */
export const PROJECTION_SUBSCRIPTIONS = {
  placed: ProjectOrderPlaced.name,
  confirmed: ProjectOrderConfirmed.name,
  cancelled: ProjectOrderCancelled.name,
} as const;

export const PROJECTED_EVENTS = [ProjectOrderPlaced.event, ProjectOrderConfirmed.event, ProjectOrderCancelled.event];

/**
 * Projects ordering's events into `reporting.order_summaries`. Events come at least
 * once and in any order; the inbox (`apply`) makes each delivery count once, and the
 * repository's merge makes the row the same whatever order they arrive in. Names are
 * looked up first, outside the transaction. The work only writes reporting's own
 * table (`databaseOnly`), so a batch of events shares one transaction without a
 * savepoint each.
 */
@Injectable()
export class ProjectOrders {
  constructor(
    private readonly summaries: OrderSummariesRepository,
    private readonly names: OrderNames,
  ) {}

  @OnIntegrationEvent(ProjectOrderPlaced, { databaseOnly: true })
  async placed(event: EventEnvelope<OrderPlacedPayload>, apply: ApplyOnce): Promise<void> {
    const { lines, placedAt } = event.payload;
    const [userName, productNames] = await Promise.all([
      this.names.userName(event.payload.userId),
      this.names.productNames(lines),
    ]);
    const fact = { ...nothingKnownBut(event.payload, userName), productNames, lines, status: 'PENDING' as const, placedAt };
    await apply((tx) => this.summaries.merge(tx, fact));
  }

  @OnIntegrationEvent(ProjectOrderConfirmed, { databaseOnly: true })
  async confirmed(event: EventEnvelope<OrderConfirmedPayload>, apply: ApplyOnce): Promise<void> {
    const userName = await this.names.userName(event.payload.userId);
    const fact = { ...nothingKnownBut(event.payload, userName), status: 'CONFIRMED' as const, confirmedAt: event.payload.confirmedAt };
    await apply((tx) => this.summaries.merge(tx, fact));
  }

  @OnIntegrationEvent(ProjectOrderCancelled, { databaseOnly: true })
  async cancelled(event: EventEnvelope<OrderCancelledPayload>, apply: ApplyOnce): Promise<void> {
    const { reason, cancelledAt } = event.payload;
    const userName = await this.names.userName(event.payload.userId);
    const fact = { ...nothingKnownBut(event.payload, userName), status: 'CANCELLED' as const, cancellationReason: reason, cancelledAt };
    await apply((tx) => this.summaries.merge(tx, fact));
  }
}

/** What every order event carries; each event then adds what only it knows. */
function nothingKnownBut(
  payload: { orderId: string; userId: string; total: Money },
  userName: string,
): Omit<OrderFact, 'status'> {
  return {
    orderId: payload.orderId,
    userId: payload.userId,
    userName,
    total: payload.total,
    productNames: [],
    lines: null,
    cancellationReason: null,
    placedAt: null,
    confirmedAt: null,
    cancelledAt: null,
  };
}
