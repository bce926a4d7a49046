import { Inject, Injectable } from '@nestjs/common';
import type { EventEnvelope } from '../../../platform/contracts/index.js';
import { ContractBus } from '../../../platform/dispatch/contract-bus.js';
import { OnIntegrationEvent, type ApplyOnce } from '../../../platform/events/subscriptions.js';
import { GetAdmins } from '../../identity/contract.js';
import type { StockLowPayload } from '../../inventory/contract.js';
import { NotificationsSubscriptions } from '../contract.js';
import { NotificationsRepository } from '../db/notifications.repository.js';
import { NOTIFICATION_SENDER, type NotificationSender } from '../sender/notification-sender.js';

/**
 * Tells every admin when a SKU runs low. The admins are asked of identity (through its
 * contract) before the transaction opens; if identity cannot answer, the handler fails
 * and the event is retried, as any failure would be.
 */
@Injectable()
export class AlertAdminsOfLowStock {
  constructor(
    private readonly contracts: ContractBus,
    private readonly notifications: NotificationsRepository,
    @Inject(NOTIFICATION_SENDER) private readonly sender: NotificationSender,
  ) {}

  @OnIntegrationEvent(NotificationsSubscriptions.AlertAdminsOfLowStock)
  async handle(event: EventEnvelope<StockLowPayload>, apply: ApplyOnce): Promise<void> {
    const admins = await this.contracts.query(new GetAdmins());
    const { sku, available, reorderPoint, location } = event.payload;
    const subject = `Stock low: ${sku}`;
    const body = `${sku} at ${location} has ${available} available (reorder point ${reorderPoint}).`;
    await apply(async (tx) => {
      for (const admin of admins) {
        await this.notifications.record(tx, {
          recipientUserId: admin.id,
          recipientEmail: admin.email,
          channel: 'email',
          template: 'stock_low',
          subject,
          body,
          eventId: event.id,
        });
        await this.sender.send({ channel: 'email', to: admin.email, subject, body, idempotencyKey: `${event.id}:${admin.id}` });
      }
    });
  }
}
