import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** A caller's id (request, correlation) is accepted only if it is short and harmless to log and echo. */
export const SAFE_REQUEST_ID = /^[A-Za-z0-9._:\-]{1,128}$/;
/** W3C Trace Context: version-traceid-parentid-flags, lower-case hex. */
export const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** Keeps the caller's `X-Request-Id` when it is safe, otherwise makes a new one. */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
}
