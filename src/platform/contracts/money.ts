/**
 * An amount of money, shared by every contract that carries one (prices, totals,
 * charges). Integer minor units, never floating point.
 */
export interface Money {
  /** Amount in the currency's minor unit (cents for EUR/USD). */
  amount: number;
  /** ISO 4217 code, e.g. `EUR`. */
  currency: string;
}
