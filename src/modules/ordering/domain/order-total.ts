/** The largest amount (minor units) an order, and so a payment, can carry: the columns are 32-bit. */
export const MAX_ORDER_AMOUNT = 2_147_483_647;

interface PricedLine {
  quantity: number;
  unitPrice: { amount: number; currency: string };
}

export function totalOf(lines: PricedLine[]): { amount: number; currency: string } {
  return {
    amount: lines.reduce((sum, line) => sum + line.unitPrice.amount * line.quantity, 0),
    currency: lines[0]!.unitPrice.currency,
  };
}

/**
 * Why a total cannot be ordered, or null. A zero total has nothing to pay, and the
 * checkout always takes a payment; a total beyond the limit could not be stored or charged.
 */
export function totalProblem(amount: number): string | null {
  if (amount <= 0) return 'the order costs nothing; free products cannot be ordered on their own';
  if (amount > MAX_ORDER_AMOUNT) return `the order total is above the largest amount accepted (${MAX_ORDER_AMOUNT} minor units)`;
  return null;
}
