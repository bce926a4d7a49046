import { describe, expect, it } from 'vitest';
import { orderBody, placeOrder, sellable, settledOrder } from '../support/checkout-fixture.js';
import type { Placement } from '../support/placement.js';
import { useSharedPlacement } from './observe.js';
import { waitFor } from '../support/wait-for.js';

/**
 * What a customer is told, in every placement: each message comes from another
 * module's event (identity, ordering, shipping, payments), is stored once in
 * notifications.notifications, and is sent once (the log sender's `notification sent`
 * line, keyed by event and recipient).
 */
describe('notifications', () => {
  let shop: Placement;
  let admin: string;

  useSharedPlacement((placement, adminToken) => {
    shop = placement;
    admin = adminToken;
  });

  it("should tell a customer of each step of their orders once, and list the messages to them alone", async () => {
    const kettle = await sellable(shop.http, admin, { stock: 5 });
    const customer = await shop.customer('Lin');
    const confirmed = await placeOrder(shop.http, customer.token, orderBody([{ item: kettle, quantity: 1 }]));
    const declined = await placeOrder(shop.http, customer.token, orderBody([{ item: kettle, quantity: 1 }], { paymentToken: 'tok_declined' }));
    expect(await settledOrder(shop.http, customer.token, confirmed.body.id)).toMatchObject({ status: 'CONFIRMED' });
    expect(await settledOrder(shop.http, customer.token, declined.body.id)).toMatchObject({ cancellationReason: 'PAYMENT_DECLINED' });

    const expected = ['order_cancelled', 'order_confirmed', 'payment_failed', 'shipment_created', 'welcome'];
    const stored = await waitFor(
      async () => {
        const rows = await shop.sql<{ template: string; event_id: string }>(
          'SELECT template, event_id FROM notifications.notifications WHERE recipient_user_id = $1 ORDER BY template',
          [customer.id],
        );
        return rows.length >= expected.length ? rows : undefined;
      },
      { what: 'every notification to the customer' },
    );
    expect(stored.map((row) => row.template)).toEqual(expected);

    // Sent once each: one line per message, keyed by its event and recipient.
    const sent = (await shop.logsNow(shop.hostOf('notifications'))).filter((line) => line.msg === 'notification sent');
    for (const row of stored) {
      expect(sent.filter((line) => line.idempotencyKey === `${row.event_id}:${customer.id}`), row.template).toHaveLength(1);
    }

    const listed = await shop.http.get('/api/v1/notifications?pageSize=100', { token: customer.token });
    expect(listed.status).toBe(200);
    expect(listed.body.total).toBe(expected.length);
    expect((listed.body.items as { template: string }[]).map((item) => item.template).sort()).toEqual(expected);
    expect((listed.body.items as { recipientUserId: string }[]).every((item) => item.recipientUserId === customer.id)).toBe(true);
    const other = await shop.customer();
    const theirs = await shop.http.get('/api/v1/notifications', { token: other.token });
    expect((theirs.body.items as { template: string }[]).map((item) => item.template)).not.toContain('order_confirmed');
  });
});
