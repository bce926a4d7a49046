import type { ServerResponse } from 'node:http';

/**
 * The gateway's own answers, as RFC 9457 problem details like the shop's, so a client
 * reads one error format whoever answered.
 */
export function sendProblem(
  res: ServerResponse,
  status: number,
  code: string,
  detail: string,
  requestId: string | undefined,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({
    type: `urn:shop:problem:${code.toLowerCase()}`,
    title: TITLES[status] ?? 'Error',
    status,
    code,
    detail,
    ...(requestId ? { requestId } : {}),
  });
  res.writeHead(status, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  404: 'Not found',
  405: 'Method not allowed',
  413: 'Payload too large',
  429: 'Too many requests',
  502: 'Bad gateway',
  503: 'Service unavailable',
  504: 'Gateway timeout',
};
