import { Agent, ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { parse as parseUrl, type UrlWithStringQuery } from 'node:url';
import type httpProxy from 'http-proxy';
import { createProxyMiddleware, type RequestHandler } from 'http-proxy-middleware';
import type { Instance } from '../upstreams/upstream-group.js';
import { stripAnswerHopByHop } from './client-edge.js';
import type { Exchange } from './exchange.js';

/** What the forwarder tells the gateway about each exchange. */
export interface ForwardingEvents {
  /** The upstream answered (its status line and headers arrived). */
  answered(exchange: Exchange, answer: IncomingMessage): void;
  /** The upstream gave no answer: refused, reset, or timed out before its status line. */
  lost(exchange: Exchange, req: IncomingMessage, res: ServerResponse, error: Error): void;
  /** The upstream broke off an answer it had begun (the client's answer was cut short too). */
  brokenOff(exchange: Exchange): void;
}

type GatewayRequest = IncomingMessage & { exchange?: Exchange };

/**
 * Streams requests to the chosen upstream instance and answers back, with
 * http-proxy-middleware 3 on plain node:http: no body parser before it (so bodies
 * stream through untouched, both ways), one middleware created once, and a keep-alive
 * agent (without one, every request opened a connection: a run left ~9,500 sockets in
 * TIME_WAIT). The library's default plugins are ejected: its error plugin answers a
 * bare 504 and never falls back, and its logger would write a line per request. Our
 * plugin takes their place.
 *
 * The target is decided before the middleware runs (the gateway's split, stickiness,
 * override and instance health), and read back by the router from the exchange.
 * A retry on another upstream, and a replayed request body, go through the same
 * http-proxy server with a `buffer` to read the body from: by then the client's
 * request stream has been read, and piping an ended stream would never end the new
 * request.
 */
export class Forwarder {
  readonly agent: Agent;
  private proxyServer: httpProxy | undefined;
  private middleware: RequestHandler;
  private readonly targets = new Map<string, UrlWithStringQuery>();

  constructor(
    private readonly events: ForwardingEvents,
    private upstreamTimeoutMs: number,
  ) {
    // No cap on sockets in use: a cap queues requests behind slow ones (uploads trickling
    // in hold their socket), and a queued request has no deadline until it gets one.
    // Each client request in flight holds at most one upstream socket, so the clients'
    // own connections and timeouts bound them.
    this.agent = new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 256, keepAliveMsecs: 1_000, scheduling: 'lifo' });
    this.middleware = this.createMiddleware();
  }

  private createMiddleware(): RequestHandler {
    return createProxyMiddleware<IncomingMessage, ServerResponse>({
      router: (req) => this.targetOf((req as GatewayRequest).exchange!.instance),
      agent: this.agent,
      xfwd: false, // set by the gateway itself, trusting X-Forwarded-For only from configured peers
      changeOrigin: false,
      ws: false, // upgrades are routed by the gateway (upgrade())
      proxyTimeout: this.upstreamTimeoutMs,
      ejectPlugins: true,
      plugins: [(server) => this.listen(server as unknown as httpProxy)],
    });
  }

  /** A reloaded config's upstream timeout: a new middleware for new requests (those in flight finish on the old one). */
  setUpstreamTimeout(ms: number): void {
    if (ms === this.upstreamTimeoutMs) return;
    this.upstreamTimeoutMs = ms;
    this.middleware = this.createMiddleware();
  }

  /** Sends the exchange's request to its instance; a body already read (`exchange.body`) is replayed from memory. */
  forward(req: IncomingMessage, res: ServerResponse): void {
    const exchange = (req as GatewayRequest).exchange!;
    if (exchange.body !== undefined) {
      this.resend(req, res, exchange.instance);
      return;
    }
    void this.middleware(req, res, (error?: unknown) => this.events.lost(exchange, req, res, error instanceof Error ? error : new Error(String(error))));
  }

  /** Sends the request again, to `instance`, with its body from `exchange.body` (none for GET and HEAD). */
  resend(req: IncomingMessage, res: ServerResponse, instance: Instance): void {
    const exchange = (req as GatewayRequest).exchange!;
    this.proxyServer!.web(req, res, {
      target: this.targetOf(instance),
      agent: this.agent,
      proxyTimeout: this.upstreamTimeoutMs,
      buffer: Readable.from(exchange.body?.length ? [exchange.body] : []),
    });
  }

  /** A WebSocket handshake, to the exchange's instance; the upgraded connection is then piped both ways. */
  upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const exchange = (req as GatewayRequest).exchange!;
    // No keep-alive agent: an upgraded socket leaves the pool for good.
    this.proxyServer!.ws(req, socket, head, { target: this.targetOf(exchange.instance), agent: false });
  }

  private targetOf(instance: Instance): UrlWithStringQuery {
    let target = this.targets.get(instance.url);
    if (!target) {
      // Parsed once per instance: http-proxy would otherwise parse the URL string on every request.
      target = parseUrl(instance.url);
      this.targets.set(instance.url, target);
    }
    return target;
  }

  private listen(server: httpProxy): void {
    this.proxyServer = server;
    server.on('proxyReq', (proxyReq, req, res) => {
      const exchange = (req as GatewayRequest).exchange;
      if (!exchange) return;
      // `on`, not `once`: each of these emitters lives for one request, so a listener
      // needs no removing, and `once` would allocate a wrapper per request.
      proxyReq.on('timeout', () => (exchange.timedOut = true));
      // The upstream's own latency is measured for the rollback guard, which judges the extracted side only.
      if (exchange.chosen === 'extracted') proxyReq.on('finish', () => (exchange.requestSentAt = performance.now()));
      // A client that leaves before its answer is complete: the upstream request goes too
      // (http-proxy aborts it only when the client's request itself was cut short).
      res.on('close', () => {
        if (!res.writableFinished) proxyReq.destroy();
      });
    });
    server.on('proxyRes', (answer, req, res) => {
      stripAnswerHopByHop(answer.headers);
      const exchange = (req as GatewayRequest).exchange;
      if (!exchange) return;
      // An upstream that dies midway through its answer: the pipe to the client would
      // just stop, and the client would wait for the rest until its idle timeout.
      answer.on('close', () => {
        if (answer.complete || res.writableFinished) return;
        res.destroy();
        this.events.brokenOff(exchange);
      });
      this.events.answered(exchange, answer);
    });
    server.on('error', (error, req, res) => {
      const exchange = (req as GatewayRequest).exchange;
      if (!(res instanceof ServerResponse)) {
        // A WebSocket whose upstream failed: there is no HTTP answer left to give.
        (res as unknown as Socket).destroy();
        return;
      }
      if (!exchange) {
        res.destroy();
        return;
      }
      this.events.lost(exchange, req, res, error);
    });
    // The client went away mid-request: http-proxy aborts the upstream request; nothing to answer.
    server.on('econnreset', () => undefined);
  }

  close(): void {
    this.proxyServer?.close();
    this.agent.destroy();
  }
}
