import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { problem, PROBLEM_CONTENT_TYPE } from './problem-details.js';

/** What Node's HTTP parser and timeouts report, as the API's problems. */
function answerOf(code: string | undefined): { status: number; code: string; detail: string } {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return { status: 408, code: 'REQUEST_TIMEOUT', detail: 'The request did not arrive in full within the time allowed (REQUEST_TIMEOUT_MS).' };
  }
  if (code === 'HPE_HEADER_OVERFLOW') return { status: 431, code: 'HEADERS_TOO_LARGE', detail: 'The request headers are too large.' };
  return { status: 400, code: 'MALFORMED_REQUEST', detail: 'The request is not valid HTTP/1.1 (its framing, method or headers).' };
}

/**
 * Fastify's `clientErrorHandler`: a request the HTTP parser refuses (bad framing,
 * Content-Length with Transfer-Encoding, a control character in a header, an unknown
 * method) or one that timed out never reaches a route, yet its answer is a problem
 * like any other, with an id to quote. The connection is closed afterwards, as Node does.
 */
export function answerClientError(this: FastifyInstance, error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, code, detail } = answerOf(error.code);
  const requestId = randomUUID();
  // The access-log line of a request that never reached a route: the id the client may quote.
  this.log.info({ requestId, statusCode: status, code, parserError: error.code }, 'request refused before routing');
  const body = JSON.stringify({ ...problem(status, code, detail), requestId });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
