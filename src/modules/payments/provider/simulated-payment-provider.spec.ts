import { describe, expect, it } from 'vitest';
import { PaymentProviderUnavailableError } from './payment-provider.js';
import { SimulatedPaymentProvider } from './simulated-payment-provider.js';

const settings = { latencyMs: 0, errorRate: 0, amountLimit: 1000 };
const charge = (provider: SimulatedPaymentProvider, idempotencyKey: string, paymentToken = 'tok_visa', amount = 500) =>
  provider.charge({ idempotencyKey, paymentToken, amount: { amount, currency: 'EUR' }, description: 'Order 1' });

describe('SimulatedPaymentProvider', () => {
  it('should fail the errorRate share of calls, recording nothing, and answer the rest', async () => {
    let roll = 0.2;
    const provider = new SimulatedPaymentProvider({ ...settings, errorRate: 0.5 }, () => roll);
    await expect(charge(provider, 'k1')).rejects.toBeInstanceOf(PaymentProviderUnavailableError);
    expect(provider.charges()).toEqual([]);
    roll = 0.7;
    expect(await charge(provider, 'k1')).toMatchObject({ outcome: 'charged' });
    expect(provider.charges()).toHaveLength(1);
  });

  it('should wait latencyMs on every call', async () => {
    const provider = new SimulatedPaymentProvider({ ...settings, latencyMs: 60 });
    const started = performance.now();
    await charge(provider, 'k1');
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('should answer a repeated key with its first outcome, also when the calls overlap', async () => {
    const provider = new SimulatedPaymentProvider({ ...settings, latencyMs: 20 });
    const answers = await Promise.all([charge(provider, 'k1'), charge(provider, 'k1'), charge(provider, 'k1', 'tok_declined')]);
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(provider.charges()).toHaveLength(1);
    const chargeId = provider.charges()[0]!.chargeId;
    const refunds = await Promise.all([1, 2].map(() =>
      provider.refund({ idempotencyKey: 'r1', chargeId, amount: { amount: 500, currency: 'EUR' } }),
    ));
    expect(refunds[0]).toEqual(refunds[1]);
    expect(provider.refunds()).toHaveLength(1);
    expect(provider.charges()[0]!.refunded).toBe(true);
  });

  it('should decline tok_declined before checking the amount limit, and never keep tok_unavailable', async () => {
    const provider = new SimulatedPaymentProvider(settings);
    expect(await charge(provider, 'a', 'tok_declined', 5000)).toEqual({ outcome: 'declined', reason: 'CARD_DECLINED' });
    expect(await charge(provider, 'b', 'tok_visa', 1001)).toEqual({ outcome: 'declined', reason: 'AMOUNT_LIMIT' });
    expect(await charge(provider, 'c', 'tok_anything', 1000)).toMatchObject({ outcome: 'charged' });
    for (let i = 0; i < 3; i++) {
      await expect(charge(provider, 'd', 'tok_unavailable')).rejects.toBeInstanceOf(PaymentProviderUnavailableError);
    }
    expect(provider.charges().map((c) => c.idempotencyKey)).toEqual(['c']);
  });
});
