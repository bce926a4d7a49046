import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Money } from '../../../platform/contracts/index.js';
import type { AppConfig } from '../../../platform/config/app-config.js';
import {
  PaymentProviderUnavailableError,
  type ChargeRequest,
  type ChargeResult,
  type PaymentProvider,
  type RefundRequest,
} from './payment-provider.js';

/** One charge the simulator made, as an operator or a test sees it. */
export interface SimulatedCharge {
  chargeId: string;
  idempotencyKey: string;
  amount: Money;
  paymentToken: string;
  /** The statement text, `Order <orderId>` from payments. */
  description: string;
  refunded: boolean;
}

/** One refund the simulator made. */
export interface SimulatedRefund {
  refundId: string;
  idempotencyKey: string;
  chargeId: string;
  amount: Money;
}

const FLAKY = /^tok_flaky_(\d+)$/;

/**
 * The default payment provider: deterministic rules on the card token, so every path
 * of payments can be driven on purpose (docs/payments-simulator.md). Each call:
 *
 * 1. waits `latencyMs`;
 * 2. fails with PaymentProviderUnavailableError for a random `errorRate` share of calls;
 * 3. answers a repeated idempotency key with its first outcome, charging or refunding
 *    nothing again;
 * 4. charge only: `tok_unavailable` always fails as unavailable; `tok_flaky_<n>` fails as
 *    unavailable on the first n calls with a key, then goes on; `tok_declined` is declined
 *    with CARD_DECLINED; an amount above `amountLimit` is declined with AMOUNT_LIMIT; any
 *    other token (`tok_visa`) is charged.
 *
 * Failures are not outcomes: nothing is recorded, so a retry with the key decides anew.
 * The ledger lives in memory and is forgotten on restart, unlike a real provider's
 * idempotency keys: a charge repeated after a restart would charge again, and refunds
 * of charge ids it no longer knows are granted on trust.
 *
 * Each new charge and refund (not a repeat answered from the ledger) is logged at info,
 * with its ids, idempotency key and statement text (never the card token): what an
 * operator, or a test watching processes it cannot reach into, counts charges by.
 */
export class SimulatedPaymentProvider implements PaymentProvider {
  private readonly chargesByKey = new Map<string, ChargeResult>();
  private readonly chargesById = new Map<string, SimulatedCharge>();
  private readonly refundsByKey = new Map<string, SimulatedRefund>();
  private readonly callsByKey = new Map<string, number>();

  constructor(
    private readonly settings: AppConfig['paymentsSimulator'],
    private readonly random: () => number = Math.random,
    private readonly logger?: Pick<Logger, 'info'>,
  ) {}

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    const calls = this.called(request.idempotencyKey);
    await this.answerLikeANetwork();
    // From here on nothing awaits, so concurrent calls with one key cannot both charge.
    const known = this.chargesByKey.get(request.idempotencyKey);
    if (known) return known;
    if (request.paymentToken === 'tok_unavailable') {
      throw new PaymentProviderUnavailableError('simulated outage: this card token always fails');
    }
    const flaky = FLAKY.exec(request.paymentToken);
    if (flaky && calls <= Number(flaky[1])) {
      throw new PaymentProviderUnavailableError(`simulated outage, call ${calls} of ${flaky[1]} (a flaky card token)`);
    }
    const result = this.decide(request);
    this.chargesByKey.set(request.idempotencyKey, result);
    if (result.outcome === 'charged') {
      const { idempotencyKey, paymentToken, description } = request;
      this.chargesById.set(result.chargeId, {
        chargeId: result.chargeId,
        idempotencyKey,
        amount: { ...request.amount },
        paymentToken,
        description,
        refunded: false,
      });
      this.logger?.info({ chargeId: result.chargeId, idempotencyKey, description }, 'simulated charge made');
    }
    return result;
  }

  async refund(request: RefundRequest): Promise<{ refundId: string }> {
    this.called(request.idempotencyKey);
    await this.answerLikeANetwork();
    const known = this.refundsByKey.get(request.idempotencyKey);
    if (known) return { refundId: known.refundId };
    const { idempotencyKey, chargeId } = request;
    const refundId = `re_sim_${randomUUID()}`;
    this.refundsByKey.set(idempotencyKey, { refundId, idempotencyKey, chargeId, amount: { ...request.amount } });
    const charge = this.chargesById.get(chargeId);
    if (charge) charge.refunded = true;
    this.logger?.info({ refundId, chargeId, idempotencyKey }, 'simulated refund made');
    return { refundId };
  }

  /** Every charge made since start, oldest first (copies: the ledger is read-only from outside). */
  charges(): SimulatedCharge[] {
    return [...this.chargesById.values()].map((c) => ({ ...c, amount: { ...c.amount } }));
  }

  /** Every refund made since start, oldest first. */
  refunds(): SimulatedRefund[] {
    return [...this.refundsByKey.values()].map((r) => ({ ...r, amount: { ...r.amount } }));
  }

  /** How many calls (charge or refund) arrived with this idempotency key, failed ones included. */
  callsWith(idempotencyKey: string): number {
    return this.callsByKey.get(idempotencyKey) ?? 0;
  }

  private decide(request: ChargeRequest): ChargeResult {
    if (request.paymentToken === 'tok_declined') return { outcome: 'declined', reason: 'CARD_DECLINED' };
    if (request.amount.amount > this.settings.amountLimit) return { outcome: 'declined', reason: 'AMOUNT_LIMIT' };
    return { outcome: 'charged', chargeId: `ch_sim_${randomUUID()}` };
  }

  private called(idempotencyKey: string): number {
    const calls = (this.callsByKey.get(idempotencyKey) ?? 0) + 1;
    this.callsByKey.set(idempotencyKey, calls);
    return calls;
  }

  private async answerLikeANetwork(): Promise<void> {
    if (this.settings.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.settings.latencyMs));
    if (this.random() < this.settings.errorRate) {
      throw new PaymentProviderUnavailableError('simulated random outage (errorRate)');
    }
  }
}
