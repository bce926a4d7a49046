/**
 * Where two JSON values differ, as paths from the `body` root (`body.items.0.price`):
 * objects compared by key, arrays by index. Each difference also carries its pattern,
 * the same path with array indexes written `*` (`body.items.*.price`): learned noise is
 * kept and matched by pattern, so a field learned at one index covers every index.
 */

/** What a comparison leaves out. */
export interface IgnoreRules {
  /** Field names left out wherever they appear (`createdAt`). */
  readonly names: ReadonlySet<string>;
  /**
   * Paths left out with everything below them, from the `body` root: array indexes as `*`
   * (`body.items.*.id`) or given (`body.items.0.id`), not a mix of both in one path.
   */
  readonly paths: ReadonlySet<string>;
}

/** One place where two answers differ. */
export interface Difference {
  /** `body.items.3.price`, `body`, `status`. */
  path: string;
  /** The path with array indexes as `*`: `body.items.*.price`. */
  pattern: string;
}

/** The root every body path starts from. */
export const BODY = 'body';

/**
 * A comparison stops collecting past this many differences: enough to judge and to learn
 * from, and a bound on the work a pathological answer (a long array shifted by one) costs.
 */
export const MAX_DIFFERENCES = 256;

/**
 * The rules for a route's `ignoreFields` and its learned noise. A bare name (`createdAt`)
 * matches at any depth; anything with a dot or a `*` is a path from the body's root
 * (`items.*.id`). Noise paths are full (`body.items.*.updatedAt`), as learned.
 */
export function ignoreRulesFor(ignoreFields: readonly string[], noise: Iterable<string> = []): { names: Set<string>; paths: Set<string> } {
  const names = new Set<string>();
  const paths = new Set<string>(noise);
  for (const field of ignoreFields) {
    if (field.includes('.') || field.includes('*')) paths.add(`${BODY}.${field}`);
    else names.add(field);
  }
  return { names, paths };
}

/** Paths where two JSON values differ (objects by key, arrays by index, 'body' root), leaving out ignored fields and learned noise. */
export function differencesBetween(a: unknown, b: unknown, ignore: IgnoreRules): string[] {
  const found: Difference[] = [];
  collectDifferences(a, b, ignore, found);
  return found.map((difference) => difference.path);
}

/** Adds the differences between two parsed JSON bodies to `out` (up to MAX_DIFFERENCES in all). */
export function collectDifferences(a: unknown, b: unknown, ignore: IgnoreRules, out: Difference[]): void {
  if (ignore.paths.has(BODY)) return;
  walk(a, b, BODY, BODY, ignore, out);
}

function walk(a: unknown, b: unknown, path: string, pattern: string, ignore: IgnoreRules, out: Difference[]): void {
  if (a === b || out.length >= MAX_DIFFERENCES) return;
  if (Array.isArray(a) && Array.isArray(b)) {
    // Every element shares one pattern: a rule on `items.*` leaves the whole array out.
    const elementPattern = `${pattern}.*`;
    if (ignore.paths.has(elementPattern)) return;
    const length = Math.max(a.length, b.length);
    for (let index = 0; index < length; index++) {
      const elementPath = `${path}.${index}`;
      if (ignore.paths.has(elementPath)) continue;
      if (index >= a.length || index >= b.length) out.push({ path: elementPath, pattern: elementPattern });
      else walk(a[index], b[index], elementPath, elementPattern, ignore, out);
      if (out.length >= MAX_DIFFERENCES) return;
    }
    return;
  }
  if (isObject(a) && isObject(b)) {
    // Parsed JSON holds only own enumerable keys, so `for…in` walks exactly those.
    for (const key in a) {
      if (ignore.names.has(key)) continue;
      const keyPath = `${path}.${key}`;
      const keyPattern = `${pattern}.${key}`;
      if (ignore.paths.has(keyPattern) || ignore.paths.has(keyPath)) continue;
      if (!Object.hasOwn(b, key)) out.push({ path: keyPath, pattern: keyPattern });
      else walk(a[key], b[key], keyPath, keyPattern, ignore, out);
      if (out.length >= MAX_DIFFERENCES) return;
    }
    for (const key in b) {
      if (Object.hasOwn(a, key) || ignore.names.has(key)) continue;
      const keyPath = `${path}.${key}`;
      const keyPattern = `${pattern}.${key}`;
      if (ignore.paths.has(keyPattern) || ignore.paths.has(keyPath)) continue;
      out.push({ path: keyPath, pattern: keyPattern });
      if (out.length >= MAX_DIFFERENCES) return;
    }
    return;
  }
  // Two different primitives, or values of different kinds (an array and an object, a string and null).
  out.push({ path, pattern });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
