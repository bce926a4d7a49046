import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

// Accept a caller's id only if it is short and harmless to log and echo.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:\-]{1,128}$/;

/** Keeps the caller's `X-Request-Id` when it is safe, otherwise makes a new one. */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
}
