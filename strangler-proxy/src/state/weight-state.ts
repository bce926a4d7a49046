/** The weight a route runs at, and who decided it. */
export interface WeightState {
  /** 0–100: share of users sent to the extracted side. */
  weight: number;
  /** file: the routes file's value; operator: set through the admin API; rollback: set to 0 by the rollback guard. */
  source: 'file' | 'operator' | 'rollback';
  /** For a rollback: what caused it, with figures. */
  reason?: string;
  /** ISO time of the change. */
  at?: string;
}

/** A value that wins over the routes file's: an operator's weight or a rollback. */
export type OverrideState = WeightState & { source: 'operator' | 'rollback' };

export function assertWeight(weight: number): void {
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0 || weight > 100) {
    throw new RangeError(`a weight is a number from 0 to 100, not ${String(weight)}`);
  }
}

/** Reads an override back from its stored JSON; undefined for anything that is not one (logged by the caller). */
export function parseOverride(text: string): OverrideState | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { weight, source, reason, at } = value as Record<string, unknown>;
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0 || weight > 100) return undefined;
  if (source !== 'operator' && source !== 'rollback') return undefined;
  const state: OverrideState = { weight, source };
  if (typeof reason === 'string') state.reason = reason;
  if (typeof at === 'string') state.at = at;
  return state;
}

export function sameState(a: WeightState | undefined, b: WeightState | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return a.weight === b.weight && a.source === b.source && a.reason === b.reason && a.at === b.at;
}
