import { describe, expect, it } from 'vitest';
import { reasonForRefusal } from './refusal-reasons.js';

// The codes are written out: they are the callees' public API, which this must keep reading.
describe('reasonForRefusal', () => {
  it.each([
    ['INVENTORY.OUT_OF_STOCK', 'OUT_OF_STOCK'],
    ['PAYMENTS.DECLINED', 'PAYMENT_DECLINED'],
    ['SHIPPING.NOT_SHIPPABLE', 'NOT_SHIPPABLE'],
  ])('should cancel for %s as %s', (code, reason) => {
    expect(reasonForRefusal(code)).toBe(reason);
  });

  it.each(['INVENTORY.RESERVATION_RELEASED', 'PAYMENTS.ORDER_VOIDED', 'SHIPPING.INVALID_SHIPMENT_REQUEST', 'SOMETHING.NEW'])(
    'should cancel for any other refusal (%s) as STEP_REJECTED',
    (code) => {
      expect(reasonForRefusal(code)).toBe('STEP_REJECTED');
    },
  );
});
