import type { FieldProblem } from '../../../platform/contracts/index.js';
import type { ShippableItem } from './shippable-item.js';
import { NotShippableError } from './shipping-errors.js';

export interface ShippingPolicy {
  /** Destinations served (ISO 3166-1 alpha-2). */
  countries: readonly string[];
  /** Hazardous goods never cross this country's border. */
  homeCountry: string;
}

/**
 * Carrier choice is deterministic so a retry or a replay never changes it: the
 * domestic partner within the home country, the international one beyond it.
 */
export type Carrier = 'DHL' | 'UPS';
export const DOMESTIC_CARRIER: Carrier = 'DHL';
export const INTERNATIONAL_CARRIER: Carrier = 'UPS';

export interface ShipmentPlan {
  totalWeightGrams: number;
  hazardous: boolean;
  carrier: Carrier;
}

type ItemData = Pick<ShippableItem, 'weightGrams' | 'hazardous'>;
type Line = { productId: string; quantity: number };

/** What one shipment may weigh in total (it is stored as a 32-bit integer). */
export const MAX_SHIPMENT_WEIGHT_GRAMS = 1_000_000_000;

/**
 * Decides whether the lines can go to the address and how. Every problem is reported
 * at once, each naming the line (`lines.<i>.productId`) or `address.country`.
 */
export function planShipment(
  address: { country: string },
  lines: readonly Line[],
  items: ReadonlyMap<string, ItemData>,
  policy: ShippingPolicy,
): ShipmentPlan {
  const problems: FieldProblem[] = [];
  const domestic = address.country === policy.homeCountry;
  if (!policy.countries.includes(address.country)) {
    problems.push({ field: 'address.country', message: `${address.country} is not a destination we ship to` });
  }
  let totalWeightGrams = 0;
  let hazardous = false;
  lines.forEach((line, i) => {
    const item = items.get(line.productId);
    if (!item) {
      problems.push({ field: `lines.${i}.productId`, message: `product ${line.productId} has no shipping data (weight, size)` });
      return;
    }
    if (item.hazardous && !domestic) {
      problems.push({
        field: `lines.${i}.productId`,
        message: `product ${line.productId} is hazardous and ships only within ${policy.homeCountry}`,
      });
    }
    hazardous ||= item.hazardous;
    totalWeightGrams += item.weightGrams * line.quantity;
  });
  if (totalWeightGrams > MAX_SHIPMENT_WEIGHT_GRAMS) {
    problems.push({ field: 'lines', message: `weigh ${totalWeightGrams} g, more than one shipment may (${MAX_SHIPMENT_WEIGHT_GRAMS} g)` });
  }
  if (problems.length > 0) throw new NotShippableError(problems);
  return { totalWeightGrams, hazardous, carrier: domestic ? DOMESTIC_CARRIER : INTERNATIONAL_CARRIER };
}
