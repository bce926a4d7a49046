import type { CancellationReason } from '../../ordering/contract.js';

/** ordering's reasons in a customer's words. Typed as a full record: a new reason must be worded here. */
export const CANCELLATION_REASONS: Record<CancellationReason, string> = {
  OUT_OF_STOCK: 'some of its items are out of stock',
  PAYMENT_DECLINED: 'the payment was declined',
  NOT_SHIPPABLE: 'we cannot ship its items to the address given',
  STEP_TIMED_OUT: 'we could not complete it in time',
  STEP_REJECTED: 'we could not complete it',
  CUSTOMER_CANCELLED: 'you cancelled it',
};
