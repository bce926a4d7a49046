import { Injectable } from '@nestjs/common';
import type { EventEnvelope, Money } from '../../../platform/contracts/index.js';
import { OnIntegrationEvent, type ApplyOnce } from '../../../platform/events/subscriptions.js';
import {
  OrderCancelled,
  OrderConfirmed,
  OrderPlaced,
  type OrderCancelledPayload,
  type OrderConfirmedPayload,
  type OrderPlacedPayload,
} from '../../ordering/contract.js';
import { OrderSummariesRepository, type OrderFact } from '../db/order-summaries.repository.js';
import { OrderNames } from './order-names.js';

/** The subscriptions a rebuild forgets and replays; names are stable (they key the inbox). */
export const PROJECTION_SUBSCRIPTIONS = {
  placed: 'reporting.ProjectOrderPlaced',
  confirmed: 'reporting.ProjectOrderConfirmed',
  cancelled: 'reporting.ProjectOrderCancelled',
} as const;

export const PROJECTED_EVENTS = [OrderPlaced, OrderConfirmed, OrderCancelled];

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

  @OnIntegrationEvent(OrderPlaced, { name: PROJECTION_SUBSCRIPTIONS.placed, databaseOnly: true })
  async placed(event: EventEnvelope<OrderPlacedPayload>, apply: ApplyOnce): Promise<void> {
    const { lines, placedAt } = event.payload;
    const [userName, productNames] = await Promise.all([
      this.names.userName(event.payload.userId),
      this.names.productNames(lines),
    ]);
    const fact = { ...nothingKnownBut(event.payload, userName), productNames, lines, status: 'PENDING' as const, placedAt };
    await apply((tx) => this.summaries.merge(tx, fact));
  }

  @OnIntegrationEvent(OrderConfirmed, { name: PROJECTION_SUBSCRIPTIONS.confirmed, databaseOnly: true })
  async confirmed(event: EventEnvelope<OrderConfirmedPayload>, apply: ApplyOnce): Promise<void> {
    const userName = await this.names.userName(event.payload.userId);
    const fact = { ...nothingKnownBut(event.payload, userName), status: 'CONFIRMED' as const, confirmedAt: event.payload.confirmedAt };
    await apply((tx) => this.summaries.merge(tx, fact));
  }

  @OnIntegrationEvent(OrderCancelled, { name: PROJECTION_SUBSCRIPTIONS.cancelled, databaseOnly: true })
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
