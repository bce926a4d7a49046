import { InventoryErrors } from '../../inventory/contract.js';
import { PaymentsErrors } from '../../payments/contract.js';
import { ShippingErrors } from '../../shipping/contract.js';
import type { CancellationReason } from '../contract.js';

/** What a refusal can cancel an order for; the failure detail keeps the code itself. */
export type RefusalReason = Extract<CancellationReason, 'OUT_OF_STOCK' | 'PAYMENT_DECLINED' | 'NOT_SHIPPABLE' | 'STEP_REJECTED'>;

/**
 * The cancellation reason for a step's refusal, from the refusing module's error code.
 * The codes come from each callee's contract, not from literals, so a code the callee
 * renames or drops fails the build here instead of silently turning into STEP_REJECTED.
 * (It lives outside domain/, which may not import another module's contract.)
 */
export function reasonForRefusal(code: string): RefusalReason {
  switch (code) {
    case InventoryErrors.OUT_OF_STOCK:
      return 'OUT_OF_STOCK';
    case PaymentsErrors.DECLINED:
      return 'PAYMENT_DECLINED';
    case ShippingErrors.NOT_SHIPPABLE:
      return 'NOT_SHIPPABLE';
    default:
      return 'STEP_REJECTED';
  }
}
