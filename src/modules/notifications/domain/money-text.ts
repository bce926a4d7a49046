import type { Money } from '../../../platform/contracts/index.js';

/**
 * Money as a customer reads it, e.g. `€25.00` for `{ amount: 2500, currency: 'EUR' }`.
 * The amount is in the currency's minor unit, whose size Intl knows (0 digits for JPY).
 * A code Intl does not know still reads sensibly rather than failing the message.
 */
export function moneyText(money: Money): string {
  try {
    const { format, digits } = formatOf(money.currency);
    return format.format(money.amount / 10 ** digits);
  } catch {
    return `${money.amount} ${money.currency} (minor units)`;
  }
}

// Building a NumberFormat costs far more than using one; every order's messages need one.
const formats = new Map<string, { format: Intl.NumberFormat; digits: number }>();

function formatOf(currency: string): { format: Intl.NumberFormat; digits: number } {
  let known = formats.get(currency);
  if (!known) {
    const format = new Intl.NumberFormat('en-GB', { style: 'currency', currency });
    known = { format, digits: format.resolvedOptions().maximumFractionDigits ?? 2 };
    formats.set(currency, known);
  }
  return known;
}
