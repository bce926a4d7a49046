import type { IncomingHttpHeaders } from 'node:http';
import { BODY, collectDifferences, type Difference, type IgnoreRules } from './json-differences.js';

/** Marks a body that is not JSON (by its content type, or because it does not parse). */
export const NOT_JSON: unique symbol = Symbol('not JSON');

/** An answer ready to compare: its body decoded, and parsed once when it is JSON. */
export interface ComparableAnswer {
  status: number;
  body: Buffer;
  /** The parsed body, or NOT_JSON. */
  json: unknown;
}

export function comparableAnswer(status: number, headers: IncomingHttpHeaders, body: Buffer): ComparableAnswer {
  return { status, body, json: parsedJson(headers['content-type'], body) };
}

/**
 * Adds to `out` how two answers differ: the status first (a different status is the whole
 * story: two bodies of a 200 and a 404 differ everywhere, and listing that helps nobody);
 * then, when both bodies are JSON, their fields; otherwise their bytes (`body`).
 */
export function answerDifferences(a: ComparableAnswer, b: ComparableAnswer, ignore: IgnoreRules, out: Difference[]): void {
  if (a.status !== b.status) {
    out.push(STATUS_DIFFERENCE);
    return;
  }
  if (a.json !== NOT_JSON && b.json !== NOT_JSON) collectDifferences(a.json, b.json, ignore, out);
  else if (!ignore.paths.has(BODY) && !a.body.equals(b.body)) out.push(BODY_DIFFERENCE);
}

/** Status differences are judged, never learned: a monolith that answers 200 then 503 is not telling us the status is noise. */
export const STATUS = 'status';
const STATUS_DIFFERENCE: Difference = Object.freeze({ path: STATUS, pattern: STATUS });
const BODY_DIFFERENCE: Difference = Object.freeze({ path: BODY, pattern: BODY });

function parsedJson(contentType: string | undefined, body: Buffer): unknown {
  if (contentType === undefined || body.length === 0 || !/json/i.test(contentType)) return NOT_JSON;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return NOT_JSON;
  }
}
