import type { FieldProblem } from '../contracts/domain-error.js';
import type { InputSource } from './validation-error.js';

const NUL = '\u0000';
const HAS_NUL = 'must not contain a NUL character (\\u0000)';
const LONE_SURROGATE = 'must be well-formed Unicode (it holds a lone surrogate such as \\ud800)';
/** In a `u` regex a well-formed pair is one code point: only a lone surrogate is category Cs. */
const LONE_SURROGATES = /\p{Surrogate}/u;

/** Why PostgreSQL could not store `text`, or undefined when it can. */
function problemOf(text: string): string | undefined {
  if (text.includes(NUL)) return HAS_NUL;
  // A lone surrogate survives JSON as "\ud800", which jsonb refuses outright.
  if (LONE_SURROGATES.test(text)) return LONE_SURROGATE;
  return undefined;
}

/**
 * Every string of a request's path, query and body that PostgreSQL cannot store,
 * named by its dotted path (`shippingAddress.name`, `lines.0.sku`): one holding a NUL
 * character (refused in `text` and `jsonb`) or a lone surrogate (refused in `jsonb`).
 * Such a value would fail deep inside a write as a 500; it is refused here instead,
 * once for every route, whatever its schema says. Keys are checked like values.
 *
 * The walk is iterative: a body is at most BODY_LIMIT_BYTES, but it may nest arrays
 * hundreds of thousands deep, which a recursive walk would answer with a stack overflow.
 */
export function unstorableTextProblemsOf(value: unknown, source: InputSource): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const pending: { value: unknown; path: string }[] = [{ value, path: '' }];
  const seen = new Set<object>();
  while (pending.length) {
    const { value: current, path } = pending.pop()!;
    if (typeof current === 'string') {
      const problem = problemOf(current);
      if (problem) problems.push({ field: path || `(${source})`, message: problem });
      continue;
    }
    if (current === null || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    // Children are pushed last first, so they are looked at in the order they were sent.
    const entries = Object.entries(current);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!;
      const problem = problemOf(key);
      const shown = problem ? JSON.stringify(key).slice(1, -1) : key;
      const childPath = path ? `${path}.${shown}` : shown;
      if (problem) problems.push({ field: childPath, message: `its name ${problem}` });
      pending.push({ value: child, path: childPath });
    }
  }
  return problems;
}
