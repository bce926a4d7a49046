import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../test/support/test-app.js';
import { DomainError } from '../../platform/contracts/index.js';
import { ContractBus } from '../../platform/dispatch/contract-bus.js';
import { GetPayment, ProcessPayment, RefundPayment, type PaymentView } from './contract.js';
import { PAYMENT_PROVIDER } from './provider/payment-provider.js';
import type { SimulatedPaymentProvider } from './provider/simulated-payment-provider.js';

const AMOUNT_LIMIT = 50_000;

describe('payments', () => {
  let shop: TestApp;
  let bus: ContractBus;
  let simulator: SimulatedPaymentProvider;
  const userId = randomUUID();

  beforeAll(async () => {
    shop = await startTestApp({ env: { PAYMENTS_SIM_AMOUNT_LIMIT: String(AMOUNT_LIMIT) } });
    bus = shop.app.get(ContractBus);
    simulator = shop.app.get(PAYMENT_PROVIDER);
  });
  afterAll(async () => {
    await shop.close();
  });

  const pay = (orderId: string, paymentToken = 'tok_visa', amount = 2500) =>
    bus.execute(new ProcessPayment(orderId, userId, { amount, currency: 'EUR' }, paymentToken));
  const refund = (orderId: string) => bus.execute(new RefundPayment(orderId));
  /** What the call threw (it must throw). */
  const failureOf = async (call: Promise<unknown>): Promise<DomainError & { reason?: string }> => {
    const outcome = await call.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(DomainError);
    return outcome as DomainError;
  };
  const chargesOf = (orderId: string) => simulator.charges().filter((c) => c.description === `Order ${orderId}`);
  const rowOf = async (orderId: string) =>
    (await shop.database!.sql('SELECT * FROM payments.payments WHERE order_id = $1', [orderId]))[0];
  const eventsOf = async (orderId: string) =>
    (
      await shop.database!.sql<{ type: string; payload: Record<string, unknown> }>(
        "SELECT type, payload FROM payments.outbox WHERE payload->>'orderId' = $1 ORDER BY seq",
        [orderId],
      )
    ).map((e) => ({ type: e.type, ...e.payload }));

  describe('ProcessPayment', () => {
    it('should charge an order once and answer a repeat with the same payment', async () => {
      const orderId = randomUUID();
      const first = await pay(orderId);
      expect(first).toMatchObject({ orderId, userId, status: 'COMPLETED', amount: { amount: 2500, currency: 'EUR' } });
      expect(first.providerReference).toMatch(/^ch_sim_/);
      const second = await pay(orderId);
      expect(second).toEqual(first);
      expect(chargesOf(orderId)).toEqual([
        expect.objectContaining({ chargeId: first.providerReference, idempotencyKey: first.paymentId, refunded: false }),
      ]);
      expect(await rowOf(orderId)).toMatchObject({ status: 'COMPLETED', payment_id: first.paymentId });
      expect(await eventsOf(orderId)).toEqual([
        { type: 'payments.PaymentCompleted', orderId, userId, paymentId: first.paymentId, amount: first.amount },
      ]);
    });

    it('should charge once when 20 requests for one order race', async () => {
      const orderId = randomUUID();
      const answers = await Promise.all(Array.from({ length: 20 }, () => pay(orderId)));
      expect(new Set(answers.map((a) => a.paymentId)).size).toBe(1);
      expect(answers.every((a) => a.status === 'COMPLETED')).toBe(true);
      expect(chargesOf(orderId)).toHaveLength(1);
      expect((await eventsOf(orderId)).map((e) => e.type)).toEqual(['payments.PaymentCompleted']);
    });

    it.each([
      ['tok_declined', 2500, 'CARD_DECLINED'],
      ['tok_visa', AMOUNT_LIMIT + 1, 'AMOUNT_LIMIT'],
    ])('should refuse %s for %i with the reason %s, charging nothing', async (token, amount, reason) => {
      const orderId = randomUUID();
      const error = await failureOf(pay(orderId, token, amount));
      expect(error).toMatchObject({ code: 'PAYMENTS.DECLINED', kind: 'unprocessable', reason });
      expect(error.message).toContain(reason);
      // A repeat gets the recorded decline, not a second try.
      expect(await failureOf(pay(orderId, 'tok_visa', 100))).toMatchObject({ code: 'PAYMENTS.DECLINED', reason });
      expect(chargesOf(orderId)).toEqual([]);
      const row = await rowOf(orderId);
      expect(row).toMatchObject({ status: 'DECLINED', decline_reason: reason, provider_reference: null });
      expect(await eventsOf(orderId)).toEqual([
        { type: 'payments.PaymentFailed', orderId, userId, paymentId: row!.payment_id, amount: { amount, currency: 'EUR' }, reason },
      ]);
    });

    it('should settle a payment the provider failed twice (tok_flaky_2) with the same key, charging once', async () => {
      const orderId = randomUUID();
      for (let attempt = 1; attempt <= 2; attempt++) {
        expect(await failureOf(pay(orderId, 'tok_flaky_2'))).toMatchObject({
          code: 'PAYMENTS.PROVIDER_UNAVAILABLE',
          kind: 'unavailable',
        });
        expect(await rowOf(orderId)).toMatchObject({ status: 'PENDING' });
      }
      const settled = await pay(orderId, 'tok_flaky_2');
      expect(settled.status).toBe('COMPLETED');
      expect(simulator.callsWith(settled.paymentId)).toBe(3);
      expect(chargesOf(orderId)).toEqual([expect.objectContaining({ idempotencyKey: settled.paymentId })]);
      expect((await eventsOf(orderId)).map((e) => e.type)).toEqual(['payments.PaymentCompleted']);
    });

    it('should leave the payment PENDING and publish nothing while the provider is down (tok_unavailable)', async () => {
      const orderId = randomUUID();
      expect((await failureOf(pay(orderId, 'tok_unavailable'))).code).toBe('PAYMENTS.PROVIDER_UNAVAILABLE');
      expect(await rowOf(orderId)).toMatchObject({ status: 'PENDING' });
      expect(await eventsOf(orderId)).toEqual([]);
    });

    it('should validate the request, naming each bad field, and store nothing', async () => {
      const error = await failureOf(bus.execute(new ProcessPayment('not-an-order', userId, { amount: 0, currency: 'eur' }, '')));
      expect(error.code).toBe('PAYMENTS.INVALID_REQUEST');
      expect(error.fields!.map((f) => f.field).sort()).toEqual(['amount.amount', 'amount.currency', 'orderId', 'paymentToken']);
      const fractional = await failureOf(pay(randomUUID(), 'tok_visa', 10.5));
      expect(fractional.fields).toEqual([expect.objectContaining({ field: 'amount.amount' })]);
    });
  });

  describe('RefundPayment', () => {
    it('should refund a charge once, however often and however concurrently it is asked', async () => {
      const orderId = randomUUID();
      const paid = await pay(orderId);
      const first = await refund(orderId);
      expect(first).toMatchObject({ status: 'REFUNDED', providerReference: paid.providerReference });
      expect(await refund(orderId)).toEqual(first);
      const raced = await Promise.all(Array.from({ length: 10 }, () => refund(orderId)));
      expect(raced.every((r) => r.status === 'REFUNDED')).toBe(true);
      expect(simulator.refunds().filter((r) => r.chargeId === paid.providerReference)).toHaveLength(1);
      expect(chargesOf(orderId)).toEqual([expect.objectContaining({ refunded: true })]);
      expect((await rowOf(orderId))!.refund_reference).toMatch(/^re_sim_/);
      expect((await eventsOf(orderId)).map((e) => e.type)).toEqual(['payments.PaymentCompleted', 'payments.PaymentRefunded']);
      // A refunded order is never charged again.
      expect((await failureOf(pay(orderId))).code).toBe('PAYMENTS.ORDER_VOIDED');
      expect(chargesOf(orderId)).toHaveLength(1);
    });

    it('should refund once when the refunds race from the start', async () => {
      const orderId = randomUUID();
      await pay(orderId);
      const raced = await Promise.all(Array.from({ length: 10 }, () => refund(orderId)));
      expect(raced.every((r) => r.status === 'REFUNDED')).toBe(true);
      expect(simulator.refunds().filter((r) => r.chargeId === raced[0]!.providerReference)).toHaveLength(1);
      expect((await eventsOf(orderId)).filter((e) => e.type === 'payments.PaymentRefunded')).toHaveLength(1);
    });

    it('should void an order with no payment yet, so a late ProcessPayment charges nothing', async () => {
      const orderId = randomUUID();
      expect(await refund(orderId)).toMatchObject({ orderId, status: 'VOIDED', providerReference: null });
      expect(await refund(orderId)).toMatchObject({ status: 'VOIDED' });
      const late = await failureOf(pay(orderId));
      expect(late).toMatchObject({ code: 'PAYMENTS.ORDER_VOIDED', kind: 'conflict' });
      expect(chargesOf(orderId)).toEqual([]);
      expect(await rowOf(orderId)).toMatchObject({ status: 'VOIDED', amount: null });
      expect(await eventsOf(orderId)).toEqual([]);
    });

    it('should settle a PENDING payment first and refund it if the charge went through', async () => {
      const orderId = randomUUID();
      expect((await failureOf(pay(orderId, 'tok_flaky_1'))).code).toBe('PAYMENTS.PROVIDER_UNAVAILABLE');
      const refunded = await refund(orderId);
      expect(refunded.status).toBe('REFUNDED');
      expect(chargesOf(orderId)).toEqual([expect.objectContaining({ idempotencyKey: refunded.paymentId, refunded: true })]);
      expect((await eventsOf(orderId)).map((e) => e.type)).toEqual(['payments.PaymentCompleted', 'payments.PaymentRefunded']);
      expect((await failureOf(pay(orderId, 'tok_flaky_1'))).code).toBe('PAYMENTS.ORDER_VOIDED');
      expect(chargesOf(orderId)).toHaveLength(1);
    });

    it('should leave a declined payment as it is', async () => {
      const orderId = randomUUID();
      await failureOf(pay(orderId, 'tok_declined'));
      expect(await refund(orderId)).toMatchObject({ status: 'DECLINED', declineReason: 'CARD_DECLINED' });
      const { payment_id: paymentId } = (await rowOf(orderId))!;
      expect(simulator.callsWith(`${paymentId}:refund`)).toBe(0);
      expect((await eventsOf(orderId)).map((e) => e.type)).toEqual(['payments.PaymentFailed']);
    });
  });

  describe('GetPayment', () => {
    it('should answer the payment of an order, or null', async () => {
      const orderId = randomUUID();
      const paid = await pay(orderId);
      expect(await bus.query(new GetPayment(orderId))).toEqual(paid);
      expect(await bus.query(new GetPayment(randomUUID()))).toBeNull();
    });

    it('should show admins the payment over HTTP, and no one else', async () => {
      const orderId = randomUUID();
      const paid: PaymentView = await pay(orderId);
      const admin = await shop.adminToken();
      const answer = await shop.http.get(`/api/v1/payments/orders/${orderId}`, { token: admin });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual(paid);
      const customer = await shop.customer();
      expect((await shop.http.get(`/api/v1/payments/orders/${orderId}`, { token: customer.token })).status).toBe(403);
      expect((await shop.http.get(`/api/v1/payments/orders/${orderId}`)).status).toBe(401);
    });

    it('should answer 404 for an order without payment and 400 naming a malformed order id', async () => {
      const admin = await shop.adminToken();
      const unknown = await shop.http.get(`/api/v1/payments/orders/${randomUUID()}`, { token: admin });
      expect(unknown.status).toBe(404);
      expect(unknown.body.code).toBe('PAYMENTS.PAYMENT_NOT_FOUND');
      const malformed = await shop.http.get('/api/v1/payments/orders/not-a-uuid', { token: admin });
      expect(malformed.status).toBe(400);
      expect(malformed.body.errors).toEqual([expect.objectContaining({ field: 'orderId' })]);
    });
  });
});
