import { randomUUID } from 'node:crypto';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeNotificationSender } from '../../../test/support/fake-notification-sender.js';
import { startTestApp, type TestApp } from '../../../test/support/test-app.js';
import { waitFor } from '../../../test/support/wait-for.js';
import type { EventEnvelope, IntegrationEventType } from '../../platform/contracts/index.js';
import { EventRoutes } from '../../platform/events/event-routes.js';
import { EVENT_TRANSPORT, type EventTransport } from '../../platform/events/event-transport.js';
import { Outbox } from '../../platform/events/outbox.js';
import { OrderCancelled, OrderConfirmed } from '../ordering/contract.js';
import type { NotificationView } from './contract.js';
import { PaymentFailed } from '../payments/contract.js';
import { ShipmentCreated } from '../shipping/contract.js';

const total = { amount: 2500, currency: 'EUR' };
type Customer = Awaited<ReturnType<TestApp['customer']>>;

/** Each checkout event, as its publisher would write it for a customer, and what the customer must read. */
const reactions = [
  {
    subscription: 'notifications.ConfirmOrderToCustomer',
    event: OrderConfirmed as IntegrationEventType<{ userId: string }>,
    payload: (userId: string, orderId: string) => ({
      orderId, userId, total, shipmentId: randomUUID(), trackingNumber: 'TRK-CONF-1', confirmedAt: new Date().toISOString(),
    }),
    template: 'order_confirmed',
    says: ['is confirmed', '€25.00', 'TRK-CONF-1'],
  },
  {
    subscription: 'notifications.TellCustomerOrderCancelled',
    event: OrderCancelled as IntegrationEventType<{ userId: string }>,
    payload: (userId: string, orderId: string) => ({
      orderId, userId, total, reason: 'OUT_OF_STOCK', cancelledAt: new Date().toISOString(),
    }),
    template: 'order_cancelled',
    says: ['was cancelled because some of its items are out of stock', '€25.00'],
  },
  {
    subscription: 'notifications.TellCustomerPaymentFailed',
    event: PaymentFailed as IntegrationEventType<{ userId: string }>,
    payload: (userId: string, orderId: string) => ({
      orderId, userId, paymentId: randomUUID(), amount: total, reason: 'CARD_DECLINED',
    }),
    template: 'payment_failed',
    says: ['could not take €25.00', 'your card was declined'],
  },
  {
    subscription: 'notifications.SendTrackingNumber',
    event: ShipmentCreated as IntegrationEventType<{ userId: string }>,
    payload: (userId: string, orderId: string) => ({
      shipmentId: randomUUID(), orderId, userId, trackingNumber: 'TRK-SHIP-7', carrier: 'DHL',
    }),
    template: 'shipment_created',
    says: ['TRK-SHIP-7', 'DHL'],
  },
];

describe('checkout notifications', () => {
  let shop: TestApp;
  let publisher: pg.Pool;
  let publisherDb: NodePgDatabase;
  let ada: Customer;
  let bob: Customer;
  const sender = new FakeNotificationSender();

  beforeAll(async () => {
    // A short contract deadline, so the identity outage below dead-letters quickly.
    shop = await startTestApp({ env: { CONTRACT_CALL_TIMEOUT_MS: '1000' }, edges: { notificationSender: sender } });
    publisher = new pg.Pool({ connectionString: shop.database!.url, max: 1 });
    publisherDb = drizzle(publisher);
    ada = await shop.customer('Ada');
    bob = await shop.customer('Bob');
  });
  afterAll(async () => {
    await publisher.end();
    await shop.close();
  });

  /**
   * Plays the publisher: the event goes into its module's outbox through the real
   * Outbox, in a transaction, as the module's own code would write it. The relay takes
   * it from there; nothing calls notifications.
   */
  const publish = (event: IntegrationEventType<{ userId: string }>, payload: { userId: string }) =>
    publisherDb.transaction((tx) => new Outbox(event.module).publish(tx, event, payload));

  const caused = async (token: string, eventId: string) =>
    ((await shop.http.get('/api/v1/notifications?pageSize=100', { token })).body.items as NotificationView[]).filter(
      (n) => n.eventId === eventId,
    );
  const sendsKeyed = (key: string) => sender.sent.filter((m) => m.idempotencyKey === key);
  const deadLettersOf = async (eventId: string) => {
    const answer = await shop.http.get('/ops/events/dead-letters?consumer=notifications', { token: await shop.adminToken() });
    return (answer.body.items as { id: string; eventId: string; attempts: number; lastError: string }[]).filter(
      (l) => l.eventId === eventId,
    );
  };

  describe.each(reactions)('$subscription', (reaction) => {
    it(`should store and send one ${reaction.template} to the order's customer, and nothing more on redelivery`, async () => {
      const envelope = await publish(reaction.event, reaction.payload(ada.id, randomUUID()));

      const [mine] = await waitFor(async () => {
        const found = await caused(ada.token, envelope.id);
        return found.length ? found : undefined;
      }, { what: `the ${reaction.template} notification` });
      expect(mine).toMatchObject({ recipientUserId: ada.id, channel: 'email', template: reaction.template });
      for (const text of ['Hello Ada', ...reaction.says]) expect(mine!.body).toContain(text);
      const sends = sendsKeyed(`${envelope.id}:${ada.id}`);
      expect(sends).toHaveLength(1);
      expect(sends[0]).toMatchObject({ to: ada.email, channel: 'email' });
      // Only the order's customer hears of it.
      expect(await caused(bob.token, envelope.id)).toEqual([]);

      // The same envelope delivered again through the transport (in-process: settled when
      // dispatch returns) changes nothing.
      const transport = shop.app.get<EventTransport>(EVENT_TRANSPORT);
      expect(transport.kind).toBe('in-process');
      const subscription = shop.app.get(EventRoutes).subscription(reaction.subscription)!;
      await transport.dispatch([{ envelope: envelope as EventEnvelope, subscription, attemptKey: 'redelivery' }]);
      expect(await caused(ada.token, envelope.id)).toHaveLength(1);
      expect(sendsKeyed(`${envelope.id}:${ada.id}`)).toHaveLength(1);
    });
  });

  it('should tell nobody, and dead-letter nothing, when the customer no longer exists', async () => {
    const ghost = randomUUID();
    const envelopes: EventEnvelope[] = [];
    for (const reaction of reactions) envelopes.push(await publish(reaction.event, reaction.payload(ghost, randomUUID())));

    // The inbox marks each event seen: handled, with nothing to do.
    await waitFor(async () => {
      const seen = await shop.database!.sql('SELECT 1 FROM notifications.inbox WHERE event_id = ANY($1::uuid[])', [
        envelopes.map((e) => e.id),
      ]);
      return seen.length === reactions.length;
    }, { what: 'every event to be marked seen' });
    const stored = await shop.database!.sql('SELECT 1 FROM notifications.notifications WHERE recipient_user_id = $1', [ghost]);
    expect(stored).toEqual([]);
    expect(sender.sent.filter((m) => m.idempotencyKey.endsWith(`:${ghost}`))).toEqual([]);
    for (const envelope of envelopes) expect(await deadLettersOf(envelope.id)).toEqual([]);
  });

  it('should retry while identity cannot answer, dead-letter the event, and send it once when re-driven', async () => {
    const admin = await shop.adminToken();
    // identity's users table held locked: GetUser waits past the contract deadline.
    const outage = new pg.Client({ connectionString: shop.database!.url });
    await outage.connect();
    let letters: Awaited<ReturnType<typeof deadLettersOf>>;
    let envelope: EventEnvelope;
    try {
      await outage.query('BEGIN');
      await outage.query('LOCK TABLE identity.users IN ACCESS EXCLUSIVE MODE');
      const paymentFailed = reactions.find((r) => r.event === PaymentFailed)!;
      envelope = await publish(paymentFailed.event, paymentFailed.payload(ada.id, randomUUID()));
      letters = await waitFor(async () => {
        const found = await deadLettersOf(envelope.id);
        return found.length ? found : undefined;
      }, { what: 'the dead letter' });
    } finally {
      await outage.query('ROLLBACK');
      await outage.end();
    }
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ attempts: 3 });
    expect(letters[0]!.lastError).toContain('identity.GetUser did not answer');
    expect(await caused(ada.token, envelope.id)).toEqual([]);

    const redrive = await shop.http.post('/ops/events/dead-letters/redrive', {
      token: admin,
      body: { consumer: 'notifications', ids: [letters[0]!.id] },
    });
    expect(redrive.body.redriven).toBe(1);
    await waitFor(async () => (await caused(ada.token, envelope.id)).length === 1, { what: 'the re-driven notification' });
    expect(sendsKeyed(`${envelope.id}:${ada.id}`)).toHaveLength(1);
  });
});
