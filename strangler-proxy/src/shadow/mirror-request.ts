import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { MirroredRequest } from './shadow-types.js';

/** What came of sending a read again. Never a rejection: the caller counts each kind. */
export type MirrorOutcome =
  | { kind: 'answer'; status: number; headers: IncomingHttpHeaders; body: Buffer }
  /** The answer was larger than the bound: its connection was dropped before more was read. */
  | { kind: 'too-large' }
  /** Refused, reset, or otherwise broken. */
  | { kind: 'failed'; error: Error }
  /** Stopped through the signal; `reason` is what it was aborted with. */
  | { kind: 'aborted'; reason: unknown };

/**
 * Sends a mirrored read to `baseUrl` through `dispatcher` and reads the answer, holding at
 * most `maxBodyBytes` of it: an answer announced or found to be larger is abandoned at once
 * (undici then closes the connection, since an unread body cannot share it).
 */
export async function sendMirror(
  dispatcher: Dispatcher,
  baseUrl: string,
  request: MirroredRequest,
  maxBodyBytes: number,
  signal: AbortSignal,
): Promise<MirrorOutcome> {
  try {
    const base = parsedBase(baseUrl);
    const response = await dispatcher.request({
      origin: base.origin,
      path: base.path + request.url,
      method: request.method,
      headers: sendableHeaders(request.headers),
      signal,
    });
    const announced = Number(response.headers['content-length']);
    if (announced > maxBodyBytes) {
      response.body.destroy();
      return { kind: 'too-large' };
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      // Leaving the loop destroys the body before the chunk is kept.
      if (size > maxBodyBytes) return { kind: 'too-large' };
      chunks.push(chunk);
    }
    return { kind: 'answer', status: response.statusCode, headers: response.headers, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) };
  } catch (error) {
    if (signal.aborted) return { kind: 'aborted', reason: signal.reason };
    return { kind: 'failed', error: error instanceof Error ? error : new Error(String(error)) };
  }
}

/**
 * Headers undici refuses or that describe a body a read does not send. The core has
 * removed hop-by-hop headers already; these are the ones that could still slip through.
 */
const UNSENDABLE = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'expect', 'te', 'trailer', 'content-length']);

function sendableHeaders(headers: Record<string, string | string[]>): Record<string, string | string[]> {
  const sendable: Record<string, string | string[]> = {};
  for (const name in headers) {
    if (!UNSENDABLE.has(name.toLowerCase())) sendable[name] = headers[name]!;
  }
  return sendable;
}

interface Base {
  origin: string;
  /** The base URL's path without its trailing slash ('' for none), prefixed to each request's. */
  path: string;
}

// Base URLs are the configured instances: a handful. Parsed once each, not per mirror.
const bases = new Map<string, Base>();

function parsedBase(baseUrl: string): Base {
  let base = bases.get(baseUrl);
  if (base === undefined) {
    const url = new URL(baseUrl);
    base = { origin: url.origin, path: url.pathname.replace(/\/+$/, '') };
    if (bases.size >= 256) bases.clear();
    bases.set(baseUrl, base);
  }
  return base;
}
