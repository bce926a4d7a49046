import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../../test/support/test-app.js';
import { DomainError } from '../../../platform/contracts/index.js';
import { ContractBus } from '../../../platform/dispatch/contract-bus.js';
import { requestContext } from '../../../platform/logging/request-context.js';
import { ProcessPayment, RefundPayment, type PaymentView } from '../contract.js';
import { PAYMENT_PROVIDER } from '../provider/payment-provider.js';
import type { SimulatedPaymentProvider } from '../provider/simulated-payment-provider.js';

type Answer = { view?: PaymentView; error?: { code: string; reason: string | undefined } };

/**
 * Concurrent charges are claimed and recorded in batches (group commit). What each
 * caller sees must not show it: every answer, row, charge and event is the one the
 * calls would have given one after the other.
 */
describe('ProcessPayment under concurrency', () => {
  let shop: TestApp;
  let bus: ContractBus;
  let simulator: SimulatedPaymentProvider;
  const userId = randomUUID();

  beforeAll(async () => {
    shop = await startTestApp();
    bus = shop.app.get(ContractBus);
    simulator = shop.app.get(PAYMENT_PROVIDER);
  });
  afterAll(async () => {
    await shop.close();
  });

  /** Each call in its own request context, as the saga's calls are, so its events carry its own correlation id. */
  const pay = (orderId: string, paymentToken: string, correlationId = randomUUID(), amount = 1500) =>
    requestContext.run({ requestId: correlationId, correlationId, causationId: correlationId, traceparent: null }, () =>
      bus.execute(new ProcessPayment(orderId, userId, { amount, currency: 'EUR' }, paymentToken)),
    );
  /** The answer, or the domain error, of a call: what its caller observes. */
  const settle = (call: Promise<PaymentView>): Promise<Answer> =>
    call.then(
      (view) => ({ view }),
      (error: unknown) => {
        if (!(error instanceof DomainError)) throw error;
        return { error: { code: error.code, reason: (error as { reason?: string }).reason } };
      },
    );
  const chargesOf = (orderId: string) => simulator.charges().filter((c) => c.description === `Order ${orderId}`);
  const rowsOf = (orderIds: string[]) =>
    shop.database!.sql<{ order_id: string; payment_id: string; status: string; created_at: Date; updated_at: Date; tx: string }>(
      'SELECT order_id, payment_id, status, created_at, updated_at, xmin::text AS tx FROM payments.payments WHERE order_id = ANY($1::uuid[])',
      [orderIds],
    );
  const eventsOf = (orderIds: string[]) =>
    shop.database!.sql<{ type: string; correlation_id: string; payload: Record<string, unknown> }>(
      "SELECT type, correlation_id, payload FROM payments.outbox WHERE payload->>'orderId' = ANY($1::text[]) ORDER BY seq",
      [orderIds],
    );
  const tokenOf = (i: number) => (i % 3 === 0 ? 'tok_declined' : 'tok_visa');

  it('should answer 20 concurrent charges of different orders as sequential calls would, each event with its own caller', async () => {
    const orderIds = Array.from({ length: 20 }, () => randomUUID());
    const correlationIds = orderIds.map(() => randomUUID());
    const answers = await Promise.all(orderIds.map((orderId, i) => settle(pay(orderId, tokenOf(i), correlationIds[i]))));

    const rows = new Map((await rowsOf(orderIds)).map((row) => [row.order_id, row]));
    answers.forEach((answer, i) => {
      const orderId = orderIds[i]!;
      const row = rows.get(orderId)!;
      if (tokenOf(i) === 'tok_declined') {
        expect(answer).toEqual({ error: { code: 'PAYMENTS.DECLINED', reason: 'CARD_DECLINED' } });
        expect(row.status).toBe('DECLINED');
        expect(chargesOf(orderId)).toEqual([]);
      } else {
        expect(answer.view).toMatchObject({
          orderId,
          userId,
          paymentId: row.payment_id,
          status: 'COMPLETED',
          amount: { amount: 1500, currency: 'EUR' },
          declineReason: null,
        });
        expect(chargesOf(orderId)).toEqual([
          expect.objectContaining({ chargeId: answer.view!.providerReference, idempotencyKey: row.payment_id }),
        ]);
      }
    });

    // A repeat, one after the other, answers what the concurrent call answered.
    for (const [i, orderId] of orderIds.entries()) expect(await settle(pay(orderId, 'tok_visa'))).toEqual(answers[i]);

    const events = await eventsOf(orderIds);
    expect(events).toHaveLength(20);
    orderIds.forEach((orderId, i) => {
      const row = rows.get(orderId)!;
      const fact = { orderId, userId, paymentId: row.payment_id, amount: { amount: 1500, currency: 'EUR' } };
      expect(events.filter((e) => e.payload.orderId === orderId)).toEqual([
        tokenOf(i) === 'tok_declined'
          ? { type: 'payments.PaymentFailed', correlation_id: correlationIds[i], payload: { ...fact, reason: 'CARD_DECLINED' } }
          : { type: 'payments.PaymentCompleted', correlation_id: correlationIds[i], payload: fact },
      ]);
    });
    // The answers were recorded together: fewer transactions last wrote the rows
    // (PostgreSQL's xmin) than there were payments.
    expect(new Set([...rows.values()].map((row) => row.tx)).size).toBeLessThan(orderIds.length);
  });

  it('should charge each order once when its duplicates arrive in the same burst', async () => {
    const orderIds = Array.from({ length: 8 }, () => randomUUID());
    // Three calls per order, interleaved, so an order's duplicates share batches.
    const calls = [0, 1, 2].flatMap(() => orderIds.map((orderId, i) => ({ orderId, i })));
    const answers = await Promise.all(calls.map(({ orderId, i }) => settle(pay(orderId, tokenOf(i)))));

    const rows = new Map((await rowsOf(orderIds)).map((row) => [row.order_id, row]));
    expect(rows.size).toBe(orderIds.length);
    const events = await eventsOf(orderIds);
    orderIds.forEach((orderId, i) => {
      const own = answers.filter((_, c) => calls[c]!.orderId === orderId);
      expect(own).toHaveLength(3);
      expect(own[1]).toEqual(own[0]);
      expect(own[2]).toEqual(own[0]);
      if (tokenOf(i) === 'tok_declined') {
        expect(own[0]).toEqual({ error: { code: 'PAYMENTS.DECLINED', reason: 'CARD_DECLINED' } });
        expect(chargesOf(orderId)).toEqual([]);
      } else {
        expect(own[0]!.view).toMatchObject({ orderId, status: 'COMPLETED', paymentId: rows.get(orderId)!.payment_id });
        expect(chargesOf(orderId)).toHaveLength(1);
      }
      expect(events.filter((e) => e.payload.orderId === orderId).map((e) => e.type)).toEqual([
        tokenOf(i) === 'tok_declined' ? 'payments.PaymentFailed' : 'payments.PaymentCompleted',
      ]);
    });
  });

  it('should fail a refused or unanswered charge alone while the rest of its burst commits', async () => {
    const voided = randomUUID();
    await bus.execute(new RefundPayment(voided));
    const down = randomUUID();
    const others = Array.from({ length: 10 }, () => randomUUID());
    const [voidedAnswer, downAnswer, ...otherAnswers] = await Promise.all([
      settle(pay(voided, 'tok_visa')),
      settle(pay(down, 'tok_unavailable')),
      ...others.map((orderId) => settle(pay(orderId, 'tok_visa'))),
    ]);

    expect(voidedAnswer).toEqual({ error: { code: 'PAYMENTS.ORDER_VOIDED', reason: undefined } });
    expect(downAnswer).toEqual({ error: { code: 'PAYMENTS.PROVIDER_UNAVAILABLE', reason: undefined } });
    expect(otherAnswers.every((answer) => answer.view?.status === 'COMPLETED')).toBe(true);

    const rows = new Map((await rowsOf([voided, down, ...others])).map((row) => [row.order_id, row.status]));
    expect(rows.get(voided)).toBe('VOIDED');
    expect(rows.get(down)).toBe('PENDING');
    expect(others.map((orderId) => rows.get(orderId))).toEqual(others.map(() => 'COMPLETED'));
    expect(chargesOf(voided)).toEqual([]);
    expect(chargesOf(down)).toEqual([]);
    const events = await eventsOf([voided, down, ...others]);
    expect(events.map((e) => e.payload.orderId).sort()).toEqual([...others].sort());
    expect(events.every((e) => e.type === 'payments.PaymentCompleted')).toBe(true);
  });
});
