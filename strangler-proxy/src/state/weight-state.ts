/** How a route's traffic is handled: `split` sends a share of users to the extracted side; `shadow` answers from the monolith and mirrors safe reads. */
export type RouteMode = 'split' | 'shadow';

/** The weight and mode a route runs at, and who decided each. */
export interface WeightState {
  /** 0–100: share of users sent to the extracted side. */
  weight: number;
  /** file: the routes file's value; operator: set through the admin API; rollback: set to 0 by the rollback guard. */
  source: 'file' | 'operator' | 'rollback';
  /** For a rollback: what caused it, with figures. */
  reason?: string;
  /** ISO time of the weight's change (an operator's or a rollback's). */
  at?: string;
  mode: RouteMode;
  /** file: the routes file's mode; operator: set through the admin API. */
  modeSource: 'file' | 'operator';
  /** ISO time of the operator's mode change. */
  modeAt?: string;
}

/** A weight that wins over the routes file's: an operator's or a rollback's. */
export interface OverrideState {
  weight: number;
  source: 'operator' | 'rollback';
  reason?: string;
  at?: string;
}

/** A mode that wins over the routes file's: an operator's. */
export interface ModeOverride {
  mode: RouteMode;
  at?: string;
}

export function assertWeight(weight: number): void {
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0 || weight > 100) {
    throw new RangeError(`a weight is a number from 0 to 100, not ${String(weight)}`);
  }
}

export function isMode(mode: unknown): mode is RouteMode {
  return mode === 'split' || mode === 'shadow';
}

export function assertMode(mode: unknown): asserts mode is RouteMode {
  if (!isMode(mode)) throw new RangeError(`a mode is "split" or "shadow", not ${typeof mode === 'string' ? JSON.stringify(mode) : String(mode)}`);
}

/** An override from stored data (a state file's entry, a message's part); undefined for anything that is not one (logged by the caller). */
export function overrideFrom(value: unknown): OverrideState | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { weight, source, reason, at } = value as Record<string, unknown>;
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0 || weight > 100) return undefined;
  if (source !== 'operator' && source !== 'rollback') return undefined;
  const state: OverrideState = { weight, source };
  if (typeof reason === 'string') state.reason = reason;
  if (typeof at === 'string') state.at = at;
  return state;
}

/** Reads an override back from its stored JSON (a Redis hash field). */
export function parseOverride(text: string): OverrideState | undefined {
  return overrideFrom(parseJson(text));
}

export function modeOverrideFrom(value: unknown): ModeOverride | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { mode, at } = value as Record<string, unknown>;
  if (!isMode(mode)) return undefined;
  const state: ModeOverride = { mode };
  if (typeof at === 'string') state.at = at;
  return state;
}

export function parseModeOverride(text: string): ModeOverride | undefined {
  return modeOverrideFrom(parseJson(text));
}

export function sameState(a: WeightState | undefined, b: WeightState | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return (
    a.weight === b.weight &&
    a.source === b.source &&
    a.reason === b.reason &&
    a.at === b.at &&
    a.mode === b.mode &&
    a.modeSource === b.modeSource &&
    a.modeAt === b.modeAt
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
