import { randomFillSync, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/**
 * What the gateway does to every request's headers before it goes upstream, and to
 * every answer before it goes back: the client's address (X-Forwarded-For believed
 * only from configured peers), X-Forwarded-*, request id, trace context, and the
 * hop-by-hop headers, which belong to one connection and must not be forwarded
 * (RFC 9110 §7.6.1).
 */

// transfer-encoding is hop-by-hop too, but it is the framing of the body being streamed
// through: Node's client re-frames it for the upstream connection when it is kept.
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'upgrade'];
const SAFE_ID = /^[A-Za-z0-9._:\-]{1,128}$/;
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** `::ffff:127.0.0.1` → `127.0.0.1`: one spelling per address, for keys and trust checks. */
export function plainAddress(address: string | undefined): string {
  if (!address) return 'unknown';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/**
 * The client's address: the connecting peer, unless the peer is a trusted proxy; then
 * X-Forwarded-For is read from the right, skipping trusted proxies, and the first
 * address that is not one is the client. A client cannot choose its own address by
 * sending the header: an untrusted peer's header is ignored.
 */
export function clientAddressOf(req: IncomingMessage, trusted: ReadonlySet<string>): string {
  const peer = plainAddress(req.socket.remoteAddress);
  if (!trusted.size || !trusted.has(peer)) return peer;
  const forwarded = req.headers['x-forwarded-for'];
  if (typeof forwarded !== 'string' || !forwarded) return peer;
  const hops = forwarded.split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = plainAddress(hops[i]!.trim());
    if (hop && !trusted.has(hop)) return hop.slice(0, 64);
  }
  return peer;
}

/** Keeps a safe X-Request-Id, otherwise makes one; the same id goes upstream and back to the client. */
export function requestIdOf(headers: IncomingHttpHeaders): string {
  const given = headers['x-request-id'];
  return typeof given === 'string' && SAFE_ID.test(given) ? given : randomUUID();
}

/**
 * Prepares the request's headers for the upstream, in place (http-proxy copies them):
 * hop-by-hop headers (and those the Connection header names) removed, X-Forwarded-For,
 * -Proto and -Host set, the request id set, and a trace context started when the
 * client sent none (a malformed one is replaced: it would break the upstream's).
 */
export function prepareUpstreamHeaders(req: IncomingMessage, requestId: string, trustedPeer: boolean, upgrade = false): void {
  const headers = req.headers;
  const connection = headers.connection;
  // A WebSocket handshake keeps Connection: Upgrade and Upgrade: they are the request.
  const keep = upgrade ? { connection, upgrade: headers.upgrade } : undefined;
  if (connection) {
    for (const token of connection.split(',')) {
      const name = token.trim().toLowerCase();
      if (name) delete headers[name];
    }
  }
  for (const name of HOP_BY_HOP) if (headers[name] !== undefined) delete headers[name];
  if (keep) {
    headers.connection = keep.connection;
    headers.upgrade = keep.upgrade;
  }
  const peer = plainAddress(req.socket.remoteAddress);
  const forwardedFor = headers['x-forwarded-for'];
  headers['x-forwarded-for'] = trustedPeer && typeof forwardedFor === 'string' && forwardedFor ? `${forwardedFor}, ${peer}` : peer;
  const proto = headers['x-forwarded-proto'];
  headers['x-forwarded-proto'] = trustedPeer && typeof proto === 'string' && /^https?$/.test(proto) ? proto : 'http';
  const host = headers['x-forwarded-host'];
  headers['x-forwarded-host'] = trustedPeer && typeof host === 'string' && host ? host : (headers.host ?? '');
  headers['x-request-id'] = requestId;
  const traceparent = headers.traceparent;
  if (typeof traceparent !== 'string' || !TRACEPARENT.test(traceparent)) {
    headers.traceparent = `00-${randomHex(16)}-${randomHex(8)}-01`;
    delete headers.tracestate;
  }
}

/** Hop-by-hop headers of an upstream's answer, removed before it goes to the client. */
export function stripAnswerHopByHop(headers: IncomingHttpHeaders): void {
  const connection = headers.connection;
  if (typeof connection === 'string') {
    for (const token of connection.split(',')) {
      const name = token.trim().toLowerCase();
      if (name && name !== 'close' && name !== 'keep-alive') delete headers[name];
    }
  }
  // transfer-encoding and connection are the framing of the proxy's own answer: Node
  // sets them for the client's connection (http-proxy handles chunked for HTTP/1.0).
  for (const name of ['keep-alive', 'proxy-authenticate', 'proxy-connection', 'trailer', 'upgrade']) if (headers[name] !== undefined) delete headers[name];
}

/**
 * Random bytes for new trace ids, from a pool refilled 4 KiB at a time: asking the
 * system for 24 bytes on every request cost about 6% of the proxy's CPU (bench,
 * gateway). Trace ids need to be unique, not secret.
 */
const pool = Buffer.alloc(4096);
let used = pool.length;

function randomHex(bytes: number): string {
  if (used + bytes > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const hex = pool.toString('hex', used, used + bytes);
  used += bytes;
  return hex;
}
