import { z } from 'zod';

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

/** The schema of Money in event payloads: integer minor units and an upper-case ISO 4217 code. */
export const moneySchema = z.object({ amount: z.number().int(), currency: z.string().regex(/^[A-Z]{3}$/) }) satisfies z.ZodType<Money>;
