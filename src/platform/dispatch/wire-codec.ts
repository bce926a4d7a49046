import { contractTypeOf } from '../contracts/contract-type.js';
import { DomainError, type DomainErrorKind, type FieldProblem } from '../contracts/domain-error.js';
import { isTransientDatabaseFailure } from '../database/database-unavailable.js';

/**
 * The one encoding of contract calls between processes, also used by the in-process
 * transport's serializing mode, so that a message that could not cross a wire fails
 * a test in one process. Messages, results and errors are plain JSON data: objects,
 * arrays, strings, finite numbers, booleans and null. A Date, a Map, a class instance
 * or `undefined` inside an array would arrive as something else, so it is refused
 * here, naming where it is, instead of being silently changed.
 */

/** What a failed call answers over the wire: a domain error, or an unexpected one. */
export interface ErrorEnvelope {
  code: string;
  /** A DomainError's kind, or `internal` for a bug in the callee (never a refusal). */
  kind: DomainErrorKind | 'internal';
  message: string;
  fields?: FieldProblem[];
  /** The error's own data (e.g. a decline's `reason`), plain JSON. */
  details?: Record<string, unknown>;
  retryAfterSeconds?: number;
}

export class NotPlainDataError extends Error {
  constructor(what: string, path: string, found: string) {
    super(`${what} cannot cross a wire: ${path || '(root)'} is ${found}; contract messages and results are plain JSON data`);
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'object' || value === null) return typeof value;
  return `a ${value.constructor?.name ?? 'prototype-less object'}`;
}

/** Walks `value` (iteratively: depth cannot overflow the stack) and refuses anything JSON would not carry as it is. */
export function assertPlainData(value: unknown, what: string, rootIsMessage = false): void {
  const stack: { value: unknown; path: string; root?: boolean }[] = [{ value, path: '', root: rootIsMessage }];
  while (stack.length) {
    const { value: current, path, root } = stack.pop()!;
    if (current === null || typeof current === 'string' || typeof current === 'boolean') continue;
    if (typeof current === 'number') {
      if (!Number.isFinite(current)) throw new NotPlainDataError(what, path, describe(current));
      continue;
    }
    if (typeof current !== 'object') throw new NotPlainDataError(what, path, describe(current));
    if (Array.isArray(current)) {
      current.forEach((item, index) => {
        if (item === undefined) throw new NotPlainDataError(what, `${path}[${index}]`, 'undefined');
        stack.push({ value: item, path: `${path}[${index}]` });
      });
      continue;
    }
    const prototype = Object.getPrototypeOf(current) as object | null;
    // A contract message is an instance of its contract class; what it holds must be plain.
    if (!root && prototype !== Object.prototype && prototype !== null) throw new NotPlainDataError(what, path, describe(current));
    for (const [key, item] of Object.entries(current)) {
      if (item === undefined) continue; // an absent optional field: JSON leaves it out, as intended
      stack.push({ value: item, path: path ? `${path}.${key}` : key });
    }
  }
}

export function encodeMessage(message: object, wireName: string): string {
  assertPlainData(message, wireName, true);
  return JSON.stringify(message);
}

/** Rebuilds a message as an instance of its contract class, which is what handlers are registered for. */
export function decodeMessage(wireName: string, body: unknown): object {
  const type = contractTypeOf(wireName);
  if (!type) throw new Error(`${wireName} is not a contract type of this build`);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error(`${wireName}: the message must be a JSON object`);
  return Object.assign(Object.create(type.prototype as object) as object, body);
}

export function encodeResult(result: unknown, wireName: string): string {
  if (result !== undefined) assertPlainData(result, `the result of ${wireName}`);
  return result === undefined ? '{}' : JSON.stringify({ result });
}

export function decodeResult<R>(body: { result?: unknown }): R {
  return body.result as R;
}

const BASE_PROPERTIES = new Set(['code', 'kind', 'fields', 'retryAfterSeconds', 'name', 'message', 'stack', 'cause']);

export function toErrorEnvelope(error: unknown, callee: string): ErrorEnvelope {
  if (error instanceof DomainError) {
    const details: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(error)) {
      if (BASE_PROPERTIES.has(key) || value === undefined) continue;
      try {
        assertPlainData(value, 'detail');
        details[key] = value;
      } catch {
        // A detail that is not plain data stays behind: the code, kind and message still say what happened.
      }
    }
    return {
      code: error.code,
      kind: error.kind,
      message: error.message,
      ...(error.fields ? { fields: error.fields } : {}),
      ...(Object.keys(details).length ? { details } : {}),
      ...(error.retryAfterSeconds !== undefined ? { retryAfterSeconds: error.retryAfterSeconds } : {}),
    };
  }
  if (isTransientDatabaseFailure(error)) {
    return {
      code: 'PLATFORM.DATABASE_UNAVAILABLE',
      kind: 'unavailable',
      message: `${callee}'s database is briefly unavailable; the call may not have been applied`,
      retryAfterSeconds: 1,
    };
  }
  // A bug: its message may hold internals, so only the callee's log has it.
  return { code: 'PLATFORM.INTERNAL', kind: 'internal', message: `${callee} failed unexpectedly; its log has the cause` };
}

/**
 * A domain error raised in another process: the same code, kind, message, fields and
 * details as the original, so a caller matching on `code` or `kind` (or reading a
 * detail such as a decline's `reason`) sees no difference between placements.
 */
export class RemoteDomainError extends DomainError {
  readonly code: string;
  readonly kind: DomainErrorKind;
  readonly details: Record<string, unknown>;
  override readonly retryAfterSeconds?: number;

  constructor(envelope: ErrorEnvelope & { kind: DomainErrorKind }) {
    super(envelope.message, envelope.fields);
    this.code = envelope.code;
    this.kind = envelope.kind;
    this.details = envelope.details ?? {};
    this.retryAfterSeconds = envelope.retryAfterSeconds;
    // The original exposed its details as properties (e.g. `reason`); so does the copy.
    for (const [key, value] of Object.entries(this.details)) {
      if (!(key in this)) Object.defineProperty(this, key, { value, enumerable: true });
    }
  }
}

/** A bug in the callee: like an unexpected error in one process, it is not a refusal, so callers treat it as transient. */
export class RemoteInternalError extends Error {
  readonly code: string;
  constructor(envelope: ErrorEnvelope) {
    super(envelope.message);
    this.name = 'RemoteInternalError';
    this.code = envelope.code;
  }
}

export function fromErrorEnvelope(envelope: ErrorEnvelope): Error {
  if (envelope.kind === 'internal') return new RemoteInternalError(envelope);
  return new RemoteDomainError(envelope as ErrorEnvelope & { kind: DomainErrorKind });
}

/** Whether a decoded body looks like an error envelope (and nothing else). */
export function isErrorEnvelope(value: unknown): value is ErrorEnvelope {
  const candidate = value as Partial<ErrorEnvelope> | null;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.code === 'string' && typeof candidate.kind === 'string' && typeof candidate.message === 'string';
}
