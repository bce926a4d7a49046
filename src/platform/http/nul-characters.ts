import type { FieldProblem } from '../contracts/domain-error.js';
import type { InputSource } from './validation-error.js';

const NUL = '\u0000';
const MESSAGE = 'must not contain a NUL character (\\u0000)';

/**
 * Every string of a request's path, query and body that holds a NUL character, named
 * by its dotted path (`shippingAddress.name`, `lines.0.sku`). PostgreSQL refuses NUL in
 * `text` and `jsonb`, so such a value would fail deep inside a write as a 500; it is
 * refused here instead, once for every route, whatever its schema says.
 *
 * The walk is iterative: a body is at most BODY_LIMIT_BYTES, but it may nest arrays
 * hundreds of thousands deep, which a recursive walk would answer with a stack overflow.
 */
export function nulProblemsOf(value: unknown, source: InputSource): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const pending: { value: unknown; path: string }[] = [{ value, path: '' }];
  const seen = new Set<object>();
  while (pending.length) {
    const { value: current, path } = pending.pop()!;
    if (typeof current === 'string') {
      if (current.includes(NUL)) problems.push({ field: path || `(${source})`, message: MESSAGE });
      continue;
    }
    if (current === null || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    // Children are pushed last first, so they are looked at in the order they were sent.
    const entries = Object.entries(current);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!;
      const shown = key.replaceAll(NUL, '\\u0000');
      const childPath = path ? `${path}.${shown}` : shown;
      if (key.includes(NUL)) problems.push({ field: childPath, message: `its name ${MESSAGE}` });
      pending.push({ value: child, path: childPath });
    }
  }
  return problems;
}
