import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { AdminApi, type GatewayState, type RouteReport } from './admin/admin-api.js';
import { upstreamSchema, type GatewayConfig, type UpstreamConfig } from './config/route-config.js';
import { RouteFile } from './config/route-file.js';
import { ManifestSource } from './config/routing-manifest.js';
import { clientAddressOf, plainAddress, prepareUpstreamHeaders, requestIdOf } from './forwarding/client-edge.js';
import { newExchange, type Exchange } from './forwarding/exchange.js';
import { Forwarder } from './forwarding/forwarder.js';
import { sendProblem } from './forwarding/problems.js';
import { GatewayRateLimits } from './limits/rate-limits.js';
import { VerifiedUsers } from './limits/verified-user.js';
import { GatewayMetrics } from './metrics/gateway-metrics.js';
import { RollbackGuard } from './rollback/rollback-guard.js';
import { canonicalPath, isInternalPath, RouteTable, type ActiveRoute } from './routing/route-table.js';
import { bucketOf, overrideOf, sideOf, stickinessKeyOf, type Side } from './routing/sticky-split.js';
import { ShadowComparer } from './shadow/shadow-comparer.js';
import { RouteWeights } from './state/route-weights.js';
import { UpstreamGroup } from './upstreams/upstream-group.js';

export interface GatewaySettings {
  port: number;
  host: string;
  /** The admin API and metrics: never on the public port. */
  adminPort: number;
  adminHost: string;
  routesFile: string;
  /** The monolith, when the routes file names none. */
  monolithUrl: string;
  /** Where operator weights, modes and rollbacks are kept without Redis, so a restart keeps them. */
  stateFile: string;
  /** The shop's public keys, for per-user limits (default: the monolith's /.well-known/jwks.json). */
  jwksUrl?: string;
  /** Shared weights and rate-limit counters (every replica and worker sees the same). */
  redisUrl: string | undefined;
  /** Prefix of the gateway's Redis keys: replicas of one gateway share it. */
  namespace: string;
  /** Bearer token of the admin API; unset: only its `/health` answers. */
  adminToken: string | undefined;
  workerLabel: string;
}

/** A request body read into memory so that it can be sent again on a fallback: at most this big. */
const REPLAY_LIMIT_BYTES = 1024 * 1024;

type GatewayRequest = IncomingMessage & { exchange?: Exchange };

/** Answers a WebSocket handshake that goes no further: a bare status line on the raw socket, then close. */
function refuseHandshake(socket: Socket, status: number, reason: string, headers = ''): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\n${headers}connection: close\r\ncontent-length: 0\r\n\r\n`);
}

/**
 * The shop's front door (the strangler fig of ../docs/gateway.md): every request is
 * matched to a route by its canonical path, rate-limited, sent to the monolith or to
 * the route's extracted service (by weight, sticky per user, or a tester's override
 * header), streamed through, and measured; the extracted side's failures fall back to
 * the monolith for idempotent requests and, past a route's thresholds, roll the route
 * back to weight 0.
 */
export class Gateway implements GatewayState {
  private readonly server: Server;
  private readonly adminServer: Server;
  private config: GatewayConfig;
  private table: RouteTable;
  private monolith: UpstreamGroup;
  private readonly targets = new Map<string, UpstreamGroup>();
  private readonly shadows = new Map<string, ShadowComparer>();
  private trusted: ReadonlySet<string>;
  private limits: GatewayRateLimits;
  private limitsEnabled: boolean;
  private readonly forwarder: Forwarder;
  private readonly admin: AdminApi;
  /** Who a request's access token says it is, once its signature is checked against the shop's keys (made when a per-user limit is first used). */
  private users: VerifiedUsers | undefined;

  private constructor(
    private readonly settings: GatewaySettings,
    private readonly logger: Logger,
    private readonly routeFile: RouteFile,
    private readonly manifest: ManifestSource,
    readonly weights: RouteWeights,
    readonly metrics: GatewayMetrics,
    private readonly redis: Redis | undefined,
  ) {
    this.config = routeFile.current;
    this.monolith = new UpstreamGroup('monolith', this.monolithConfigOf(this.config), logger);
    this.table = RouteTable.build(this.config, manifest.current(), logger);
    this.trusted = new Set(this.config.trustedProxies.map(plainAddress));
    this.limits = this.createLimits(this.config);
    this.limitsEnabled = Boolean(this.config.rateLimits.perClientAddress || this.config.rateLimits.perUser);
    this.rollback = new RollbackGuard(weights, metrics, logger);
    this.forwarder = new Forwarder(
      {
        answered: (exchange, answer) => this.answered(exchange, answer),
        lost: (exchange, req, res, error) => this.lost(exchange, req, res, error),
        brokenOff: (exchange) => this.brokenOff(exchange),
      },
      this.config.timeouts.upstreamMs,
    );
    this.admin = new AdminApi(this, settings.adminToken, logger);
    this.adminServer = createServer({ keepAliveTimeout: 5_000 }, (req, res) => this.admin.handle(req, res, canonicalPath(req.url ?? '/'), requestIdOf(req.headers)));
    // Node checks header and request timeouts every connectionsCheckingInterval (30 s by
    // default): checked every second, a slow client is cut off near its deadline.
    this.server = createServer({ keepAliveTimeout: 5_000, connectionsCheckingInterval: 1_000 }, (req, res) => this.handle(req, res));
    this.server.on('upgrade', (req, socket, head) => this.upgrade(req, socket as Socket, head));
    this.server.on('clientError', (error, socket) => {
      // A malformed request or a client too slow with its headers: answered and closed here.
      if (!socket.writable) return socket.destroy();
      const status = (error as NodeJS.ErrnoException).code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      socket.end(`HTTP/1.1 ${status} ${status === 408 ? 'Request Timeout' : 'Bad Request'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    });
    this.applyTimeouts(this.config);
    this.applyUpstreams(this.config);
    weights.setFileRoutes(fileRoutesOf(this.config));
    for (const route of this.config.routes) metrics.weight(route.name, weights.weightOf(route.name));
    weights.onChange((route, state) => {
      metrics.weight(route, state.weight);
      // An operator's new weight is judged by a fresh window, not by the one that rolled it back.
      if (state.source !== 'rollback') this.rollback.forget(route);
      this.logger.info(
        { route, weight: state.weight, source: state.source, mode: state.mode, modeSource: state.modeSource, reason: state.reason },
        `route ${route} now runs in ${state.mode} mode at weight ${state.weight} (${state.source})`,
      );
    });
    routeFile.onChange((config) => this.apply(config));
    manifest.onChange(() => {
      this.table = RouteTable.build(this.config, manifest.current(), logger);
    });
  }

  private readonly rollback: RollbackGuard;

  static async start(settings: GatewaySettings, logger: Logger): Promise<Gateway> {
    const routeFile = await RouteFile.open(settings.routesFile, logger);
    const monolithUrl = routeFile.current.monolith?.instances[0] ?? settings.monolithUrl;
    const manifest = new ManifestSource(monolithUrl, logger);
    await manifest.start();
    const weights = await RouteWeights.open({ redisUrl: settings.redisUrl, namespace: settings.namespace, logger, stateFile: settings.stateFile });
    const redis = settings.redisUrl ? new Redis(settings.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 500 }) : undefined;
    redis?.on('error', (error) => logger.warn({ err: error.message }, 'gateway: Redis for rate limits is unreachable; limiting in memory meanwhile'));
    const gateway = new Gateway(settings, logger, routeFile, manifest, weights, new GatewayMetrics({ workerLabel: settings.workerLabel }), redis);
    const listen = (server: Server, port: number, host: string) =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
    await listen(gateway.adminServer, settings.adminPort, settings.adminHost);
    await listen(gateway.server, settings.port, settings.host);
    logger.info({ port: gateway.port, adminPort: gateway.adminPort, routes: gateway.config.routes.map((r) => r.name) }, 'gateway listening');
    return gateway;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get adminPort(): number {
    return (this.adminServer.address() as AddressInfo).port;
  }

  private verifiedUsers(): VerifiedUsers {
    this.users ??= new VerifiedUsers(this.settings.jwksUrl ?? `${this.monolith.instances[0]!.url}/.well-known/jwks.json`, this.logger);
    return this.users;
  }

  /** The routes file's monolith, or MONOLITH_URL with the default instance settings. */
  private monolithConfigOf(config: GatewayConfig): UpstreamConfig {
    return config.monolith ?? upstreamSchema.parse({ instances: [this.settings.monolithUrl] });
  }

  private createLimits(config: GatewayConfig): GatewayRateLimits {
    return GatewayRateLimits.create({
      redis: this.redis,
      keyPrefix: `${this.settings.namespace}:limits`,
      perClientAddress: config.rateLimits.perClientAddress,
      perUser: config.rateLimits.perUser,
      logger: this.logger,
    });
  }

  /** A new good routes file: routes, upstreams, limits and timeouts change for the requests that arrive from now on. */
  private apply(config: GatewayConfig): void {
    const before = this.config;
    this.config = config;
    this.table = RouteTable.build(config, this.manifest.current(), this.logger);
    this.trusted = new Set(config.trustedProxies.map(plainAddress));
    if (JSON.stringify(before.rateLimits) !== JSON.stringify(config.rateLimits)) {
      const old = this.limits;
      this.limits = this.createLimits(config);
      this.limitsEnabled = Boolean(config.rateLimits.perClientAddress || config.rateLimits.perUser);
      void old.close();
    }
    this.applyTimeouts(config);
    this.applyUpstreams(config);
    this.weights.setFileRoutes(fileRoutesOf(config));
  }

  private applyTimeouts(config: GatewayConfig): void {
    this.server.headersTimeout = config.timeouts.clientHeadersMs;
    // Long uploads and downloads are fine as long as bytes keep moving: the idle timeout
    // closes a connection that sends nothing for clientIdleMs.
    this.server.requestTimeout = 0;
    this.server.timeout = config.timeouts.clientIdleMs;
    this.forwarder.setUpstreamTimeout(config.timeouts.upstreamMs);
  }

  private applyUpstreams(config: GatewayConfig): void {
    const monolith = this.monolithConfigOf(config);
    if (!this.monolith.sameAs(monolith)) {
      this.monolith.close();
      this.monolith = new UpstreamGroup('monolith', monolith, this.logger);
    }
    const names = new Set(config.routes.map((route) => route.name));
    for (const [name, group] of this.targets) {
      if (!names.has(name)) {
        group.close();
        this.targets.delete(name);
      }
    }
    for (const route of config.routes) {
      const group = this.targets.get(route.name);
      if (!group || !group.sameAs(route.target)) {
        group?.close();
        this.targets.set(route.name, new UpstreamGroup(route.name, route.target, this.logger));
      }
      // Every route has its comparer, whatever its mode now: an operator can switch a
      // route to shadow at any time (PUT /routes/<name>/mode).
      const shadow = this.shadows.get(route.name);
      if (shadow) shadow.updateSettings(route.shadow);
      else {
        const comparer = new ShadowComparer(
          route.name,
          route.shadow,
          {
            extracted: () => this.targets.get(route.name)?.pick()?.url,
            monolith: () => this.monolith.pick()?.url,
          },
          this.logger,
          { onOutcome: (outcome) => this.metrics.shadow(route.name, outcome) },
        );
        this.shadows.set(route.name, comparer);
      }
    }
    for (const [name, shadow] of this.shadows) {
      if (!names.has(name)) {
        this.shadows.delete(name);
        void shadow.close();
      }
    }
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const startedAt = performance.now();
    const requestId = requestIdOf(req.headers);
    res.setHeader('x-request-id', requestId);
    const url = req.url ?? '/';
    const refusal = refusalOf(url, req.headers.connection);
    if (refusal) {
      res.setHeader('connection', 'close');
      sendProblem(res, 400, 'BAD_REQUEST', refusal, requestId);
      return;
    }
    const path = canonicalPath(url);
    if (isInternalPath(path)) {
      sendProblem(res, 404, 'NOT_FOUND', 'No route answers this path.', requestId);
      return;
    }
    const clientAddress = clientAddressOf(req, this.trusted);
    const route = this.table.match(path);
    if (!this.limitsEnabled) {
      this.dispatch(req, res, route, clientAddress, requestId, startedAt);
      return;
    }
    this.verdictFor(req, route, clientAddress)
      .then(
      (verdict) => {
        // The client may have gone while the limiter answered.
        if (res.destroyed) return;
        if (verdict.allowed) return this.dispatch(req, res, route, clientAddress, requestId, startedAt);
        this.metrics.rateLimited(verdict.limit);
        sendProblem(res, 429, 'RATE_LIMITED', `Too many requests from this ${verdict.limit === 'user' ? 'user' : 'client address'}; retry later.`, requestId, {
          'retry-after': String(verdict.retryAfterSeconds),
        });
      },
      (error: unknown) => {
        // A limiter that fails must not take the shop down with it: the request goes on.
        this.logger.warn({ err: (error as Error).message }, 'gateway: rate limiter failed; request let through');
        if (!res.destroyed) this.dispatch(req, res, route, clientAddress, requestId, startedAt);
      },
    ).catch((error: unknown) => {
      this.logger.error({ err: error, requestId }, 'gateway: request failed unexpectedly');
      sendProblem(res, 502, 'GATEWAY_ERROR', 'The gateway failed this request.', requestId);
    });
  }

  /**
   * The rate limiter's verdict on a request (or a WebSocket handshake). Per-user budgets
   * charge only users whose token identity really signed: a forged token naming someone
   * else must not spend (and exhaust) that user's budget.
   */
  private verdictFor(req: IncomingMessage, route: ActiveRoute | undefined, clientAddress: string) {
    const user = this.config.rateLimits.perUser ? this.verifiedUsers().userOf(req.headers.authorization) : undefined;
    return (user instanceof Promise ? user : Promise.resolve(user)).then((verified) => this.limits.consume(route?.name ?? 'monolith', clientAddress, verified));
  }

  /** Where a request of `route` goes: the override, else the split by weight and stickiness; shadow routes answer from the monolith. */
  private sideFor(req: IncomingMessage, route: ActiveRoute | undefined, clientAddress: string): Side {
    if (!route) return 'monolith';
    const override = overrideOf(req.headers, this.config.headerOverride);
    if (override) return override;
    if (this.weights.modeOf(route.name) !== 'split') return 'monolith';
    const weight = this.weights.weightOf(route.name);
    if (weight <= 0) return 'monolith';
    return sideOf(bucketOf(route.name, stickinessKeyOf(req.headers, route.config.stickiness, clientAddress)), weight);
  }

  private dispatch(req: IncomingMessage, res: ServerResponse, route: ActiveRoute | undefined, clientAddress: string, requestId: string, startedAt: number): void {
    const routeName = route?.name ?? 'monolith';
    const chosen = this.sideFor(req, route, clientAddress);
    const method = req.method ?? 'GET';
    const safeRead = method === 'GET' || method === 'HEAD';
    // (A reload may have removed the route while the limiter answered: then the monolith.)
    let group = (chosen === 'extracted' && route && this.targets.get(route.name)) || this.monolith;
    let instance = group.pick();
    let side: Side = group === this.monolith ? 'monolith' : chosen;
    let fellBack = false;
    if (!instance && chosen === 'extracted' && route?.config.fallback) {
      // Every extracted instance is out of rotation: nothing has been sent anywhere yet, so the monolith takes it.
      group = this.monolith;
      instance = group.pick();
      side = 'monolith';
      fellBack = true;
      this.metrics.fallback(routeName);
      // The extracted side failed this request as surely as one that was refused: the
      // rollback guard must see it, or ejecting the instances would hide the outage from it.
      this.observe(route, 0, true);
    }
    if (!instance) {
      sendProblem(res, 503, 'UPSTREAM_UNAVAILABLE', `No instance of ${group.name} is answering; retry shortly.`, requestId, { 'retry-after': '1' });
      this.metrics.requestFinished(routeName, side, 503, (performance.now() - startedAt) / 1000);
      return;
    }
    const replayable = safeRead || typeof req.headers['idempotency-key'] === 'string';
    const shadow = route && safeRead && side === 'monolith' && chosen === 'monolith' && this.weights.modeOf(route.name) === 'shadow' ? this.shadows.get(route.name) : undefined;
    const exchange = newExchange({
      requestId,
      route,
      chosen,
      side,
      group,
      instance,
      startedAt,
      replayable: replayable && ((side === 'extracted' && Boolean(route?.config.fallback)) || group.instances.length > 1),
      fellBack,
      shadow,
      shadowMaxBytes: shadow ? route!.config.shadow.maxBodyBytes : 0,
      clientWantsClose: wantsClose(req),
    });
    (req as GatewayRequest).exchange = exchange;
    prepareUpstreamHeaders(req, requestId, this.trusted.has(plainAddress(req.socket.remoteAddress)));
    if (exchange.shadow) {
      exchange.mirror = { method: method as 'GET' | 'HEAD', url: req.url ?? '/', headers: { ...req.headers } as Record<string, string | string[]> };
    }
    res.on('close', () => this.finished(req, res, exchange));
    if (exchange.replayable && !safeRead) {
      // An idempotent write that may be sent again: its body is read first (up to
      // 1 MiB), so that it can be. A larger or unsized body streams through as usual,
      // without a second try.
      const length = Number(req.headers['content-length'] ?? (req.headers['transfer-encoding'] ? NaN : 0));
      if (Number.isFinite(length) && length <= REPLAY_LIMIT_BYTES) {
        this.readBody(req, res, exchange);
        return;
      }
      exchange.replayable = false;
    }
    this.forwarder.forward(req, res);
  }

  private readBody(req: IncomingMessage, res: ServerResponse, exchange: Exchange): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > REPLAY_LIMIT_BYTES) {
        req.destroy();
        sendProblem(res, 413, 'BODY_TOO_LARGE', 'The body is larger than its Content-Length said.', exchange.requestId);
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => {
      exchange.body = Buffer.concat(chunks);
      this.forwarder.forward(req, res);
    });
  }

  private answered(exchange: Exchange, answer: IncomingMessage): void {
    exchange.group.succeeded(exchange.instance);
    // The client's own connection disposition, not the upstream's: its keep-alive or
    // close is about the gateway's connection to it.
    answer.headers.connection = exchange.clientWantsClose ? 'close' : 'keep-alive';
    // The upstream's own latency, for the rollback guard (which judges the extracted side only).
    if (exchange.chosen === 'extracted') answer.on('end', () => (exchange.answeredAt = performance.now()));
    const comparer = exchange.shadow;
    if (!comparer) return;
    // The client's answer streams on; a copy of at most maxBodyBytes is kept for the comparison.
    const max = exchange.shadowMaxBytes;
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    const primary = new Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer | undefined }>((resolve, reject) => {
      answer.on('data', (chunk: Buffer) => {
        if (over) return;
        size += chunk.length;
        if (size > max) {
          over = true;
          chunks.length = 0;
        } else chunks.push(chunk);
      });
      answer.once('end', () => resolve({ status: answer.statusCode ?? 0, headers: answer.headers, body: over ? undefined : Buffer.concat(chunks) }));
      answer.once('error', reject);
      answer.once('aborted', () => reject(new Error('the monolith aborted its answer')));
    });
    primary.catch(() => undefined);
    comparer.compare(exchange.mirror!, primary);
  }

  private lost(exchange: Exchange, req: IncomingMessage, res: ServerResponse, error: Error): void {
    exchange.group.failed(exchange.instance);
    const route = exchange.route;
    if (exchange.side === 'extracted') this.observeExchange(exchange, true);
    if (exchange.replayable && !exchange.retried && !res.headersSent && !res.destroyed) {
      // Nothing has reached the client yet: an idempotent request is sent once more, to
      // the monolith if the extracted side failed it (fallback), else to another
      // instance of the same upstream.
      const toMonolith = exchange.side === 'extracted' && Boolean(route?.config.fallback);
      const group = toMonolith ? this.monolith : exchange.group;
      const next = group.pick();
      if (next && next !== exchange.instance) {
        this.logger.info(
          { requestId: exchange.requestId, route: exchange.routeName, instance: exchange.instance.url, retriedOn: next.url, err: error.message },
          toMonolith ? `${exchange.routeName}: no answer from the extracted side; retried on the monolith` : `${group.name}: no answer from ${exchange.instance.url}; retried on ${next.url}`,
        );
        exchange.retried = true;
        if (toMonolith) {
          exchange.side = 'monolith';
          exchange.fellBack = true;
          this.metrics.fallback(exchange.routeName);
        }
        exchange.group = group;
        exchange.instance = next;
        exchange.timedOut = false;
        exchange.requestSentAt = undefined;
        this.forwarder.resend(req, res, next);
        return;
      }
    }
    this.logger.warn({ requestId: exchange.requestId, route: exchange.routeName, side: exchange.side, instance: exchange.instance.url, err: error.message }, 'gateway: no answer from upstream');
    if (res.headersSent) res.destroy();
    else if (exchange.timedOut) sendProblem(res, 504, 'UPSTREAM_TIMEOUT', `${exchange.group.name} did not answer in time.`, exchange.requestId);
    else sendProblem(res, 502, 'UPSTREAM_UNREACHABLE', `${exchange.group.name} could not be reached.`, exchange.requestId, { 'retry-after': '1' });
  }

  private finished(req: IncomingMessage, res: ServerResponse, exchange: Exchange): void {
    const elapsedMs = performance.now() - exchange.startedAt;
    const status = res.statusCode;
    this.metrics.requestFinished(exchange.routeName, exchange.side, status, elapsedMs / 1000);
    if (exchange.chosen === 'extracted' && exchange.side === 'extracted') this.observeExchange(exchange, status >= 500);
    if (this.logger.isLevelEnabled('info')) {
      this.logger.info(
        {
          requestId: exchange.requestId,
          method: req.method,
          // The path only: a query string is the client's to fill, and may carry what must not be logged.
          url: (req.url ?? '').split('?')[0],
          status,
          route: exchange.routeName,
          side: exchange.side,
          ...(exchange.fellBack ? { fellBack: true } : {}),
          durationMs: Math.round(elapsedMs * 100) / 100,
        },
        'request completed',
      );
    }
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    // Node removes its own error listener from an upgraded socket, and http-proxy adds
    // one only once the upstream has answered: a reset meanwhile must not end the process.
    socket.on('error', () => socket.destroy());
    if (refusalOf(req.url ?? '/', req.headers.connection)) return refuseHandshake(socket, 400, 'Bad Request');
    const path = canonicalPath(req.url ?? '/');
    if (isInternalPath(path)) return refuseHandshake(socket, 404, 'Not Found');
    const clientAddress = clientAddressOf(req, this.trusted);
    const route = this.table.match(path);
    if (!this.limitsEnabled) return this.forwardUpgrade(req, socket, head, route, clientAddress);
    // A handshake spends the same budgets as a request: else opening sockets would be a way around them.
    this.verdictFor(req, route, clientAddress).then(
      (verdict) => {
        if (socket.destroyed) return;
        if (verdict.allowed) return this.forwardUpgrade(req, socket, head, route, clientAddress);
        this.metrics.rateLimited(verdict.limit);
        refuseHandshake(socket, 429, 'Too Many Requests', `retry-after: ${verdict.retryAfterSeconds}\r\n`);
      },
      (error: unknown) => {
        this.logger.warn({ err: (error as Error).message }, 'gateway: rate limiter failed; handshake let through');
        if (!socket.destroyed) this.forwardUpgrade(req, socket, head, route, clientAddress);
      },
    );
  }

  private forwardUpgrade(req: IncomingMessage, socket: Socket, head: Buffer, route: ActiveRoute | undefined, clientAddress: string): void {
    const requestId = requestIdOf(req.headers);
    const chosen = this.sideFor(req, route, clientAddress);
    let group = (chosen === 'extracted' && route && this.targets.get(route.name)) || this.monolith;
    let instance = group.pick();
    if (!instance && chosen === 'extracted' && route?.config.fallback) {
      group = this.monolith;
      instance = group.pick();
    }
    if (!instance) return refuseHandshake(socket, 503, 'Service Unavailable');
    prepareUpstreamHeaders(req, requestId, this.trusted.has(plainAddress(req.socket.remoteAddress)), true);
    (req as GatewayRequest).exchange = newExchange({
      requestId,
      route,
      chosen,
      side: group === this.monolith ? 'monolith' : 'extracted',
      group,
      instance,
      startedAt: performance.now(),
    });
    this.forwarder.upgrade(req, socket, head);
  }

  /** The upstream broke off its answer midway: the client's answer cannot be completed, and it counts as a failure. */
  private brokenOff(exchange: Exchange): void {
    exchange.group.failed(exchange.instance);
    if (exchange.side === 'extracted') this.observeExchange(exchange, true);
    this.logger.warn({ requestId: exchange.requestId, route: exchange.routeName, side: exchange.side, instance: exchange.instance.url }, 'gateway: upstream broke off its answer');
  }

  /**
   * One extracted-side outcome for the rollback guard, once per exchange. The latency
   * is the upstream's: from the request fully sent to the answer fully read, so a slow
   * client (uploading or downloading) does not make a healthy service look slow.
   */
  private observeExchange(exchange: Exchange, failed: boolean): void {
    if (exchange.observed || !exchange.route) return;
    exchange.observed = true;
    const now = performance.now();
    const from = exchange.requestSentAt ?? now;
    const to = exchange.answeredAt ?? now;
    this.observe(exchange.route, Math.max(0, to - from), failed);
  }

  private observe(route: ActiveRoute, latencyMs: number, failed: boolean): void {
    if (this.weights.modeOf(route.name) !== 'split') return;
    this.rollback.observe({ name: route.name, rollback: route.config.rollback }, latencyMs, failed);
  }

  // --- what the admin API reads and changes (GatewayState) ---

  routes(): RouteReport[] {
    return this.config.routes.map((config) => {
      const active = this.table.routes.find((route) => route.name === config.name);
      return {
        name: config.name,
        mode: this.weights.modeOf(config.name),
        active: Boolean(active),
        prefixes: active?.prefixes ?? [],
        weight: this.weights.stateOf(config.name),
        stickiness: config.stickiness,
        fallback: config.fallback,
        rollback: config.rollback,
        window: this.rollback.windowOf(config.name),
        target: this.targets.get(config.name)?.health() ?? [],
        shadow: this.shadows.get(config.name)?.stats(),
      };
    });
  }

  monolithHealth(): ReturnType<UpstreamGroup['health']> {
    return this.monolith.health();
  }

  hasRoute(name: string): boolean {
    return this.config.routes.some((route) => route.name === name);
  }

  manifestLoaded(): boolean {
    return this.manifest.current() !== undefined;
  }

  async close(): Promise<void> {
    await Promise.all(
      [this.server, this.adminServer].map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeIdleConnections();
          }),
      ),
    );
    this.rollback.close();
    this.forwarder.close();
    this.users?.close();
    this.routeFile.close();
    this.manifest.close();
    this.monolith.close();
    for (const group of this.targets.values()) group.close();
    await Promise.allSettled([...this.shadows.values()].map((shadow) => shadow.close()));
    await this.limits.close();
    await this.weights.close();
    this.redis?.disconnect();
  }
}

function fileRoutesOf(config: GatewayConfig): Record<string, { weight: number; mode: 'split' | 'shadow' }> {
  return Object.fromEntries(config.routes.map((route) => [route.name, { weight: route.weight, mode: route.mode }]));
}



/** Headers a client may not declare hop-by-hop: dropping them would change how the request is framed or addressed (request smuggling). */
const END_TO_END = new Set(['content-length', 'transfer-encoding', 'host']);

/**
 * Requests refused before anything else: a raw backslash in the path (the URL parser
 * upstream would read it as a slash, so `/\internal/rpc` would reach `/internal/rpc`
 * past every check made on the path), and a Connection header naming a header that
 * frames or addresses the request.
 */
function refusalOf(url: string, connection: string | undefined): string | undefined {
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  if (path.includes('\\')) return 'A backslash is not allowed in a path.';
  if (connection) {
    for (const token of connection.split(',')) {
      if (END_TO_END.has(token.trim().toLowerCase())) return `Connection may not name ${token.trim()}.`;
    }
  }
  return undefined;
}

/** The client asked to close its connection after this answer (or speaks HTTP/1.0 without keep-alive). */
function wantsClose(req: IncomingMessage): boolean {
  const connection = req.headers.connection?.toLowerCase() ?? '';
  if (req.httpVersion === '1.0') return !connection.includes('keep-alive');
  return /(^|,)\s*close\s*(,|$)/.test(connection);
}
