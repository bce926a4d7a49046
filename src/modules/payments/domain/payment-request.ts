import type { FieldProblem, Money } from '../../../platform/contracts/index.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CURRENCY = /^[A-Z]{3}$/;
/** Amounts are stored as Postgres `integer` minor units, like order totals. */
const MAX_AMOUNT = 2_147_483_647;

export function isOrderId(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** Every problem with a charge request, one per field (an empty list: it may go to the provider). */
export function problemsOfCharge(request: {
  orderId: unknown;
  userId: unknown;
  amount: Money | undefined;
  paymentToken: unknown;
}): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (!isOrderId(request.orderId)) problems.push({ field: 'orderId', message: 'must be a UUID' });
  if (typeof request.userId !== 'string' || !UUID.test(request.userId)) {
    problems.push({ field: 'userId', message: 'must be a UUID' });
  }
  const amount = request.amount?.amount;
  if (!Number.isInteger(amount) || (amount as number) <= 0 || (amount as number) > MAX_AMOUNT) {
    problems.push({ field: 'amount.amount', message: `must be a positive integer in minor units, at most ${MAX_AMOUNT}` });
  }
  if (typeof request.amount?.currency !== 'string' || !CURRENCY.test(request.amount.currency)) {
    problems.push({ field: 'amount.currency', message: 'must be an ISO 4217 code such as EUR' });
  }
  if (typeof request.paymentToken !== 'string' || request.paymentToken.trim() === '' || request.paymentToken.length > 200) {
    problems.push({ field: 'paymentToken', message: 'must be a non-empty token of at most 200 characters' });
  }
  return problems;
}

/**
 * The provider's idempotency keys. The charge's key is the payment id itself; the
 * refund's is derived from it, so every retry of either asks for the same operation.
 */
export const chargeKeyOf = (paymentId: string): string => paymentId;
export const refundKeyOf = (paymentId: string): string => `${paymentId}:refund`;
