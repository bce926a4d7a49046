import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { RouteConfig } from '../config/route-config.js';
import { sendProblem } from '../forwarding/problems.js';
import type { GatewayMetrics } from '../metrics/gateway-metrics.js';
import type { RollingWindow } from '../rollback/rolling-window.js';
import type { ShadowStats } from '../shadow/shadow-comparer.js';
import type { RouteWeights, WeightState } from '../state/route-weights.js';
import type { UpstreamGroup } from '../upstreams/upstream-group.js';

export interface RouteReport {
  name: string;
  mode: 'split' | 'shadow';
  /** False while the route names a module the monolith's manifest does not list (its traffic stays with the monolith). */
  active: boolean;
  prefixes: string[];
  weight: WeightState;
  /** The routes file's settings that the admin API does not change. */
  stickiness: RouteConfig['stickiness'];
  fallback: boolean;
  rollback: RouteConfig['rollback'];
  /** The extracted side's rolling window, as the rollback guard judges it. */
  window: ReturnType<RollingWindow['snapshot']> | undefined;
  target: ReturnType<UpstreamGroup['health']>;
  shadow: ShadowStats | undefined;
}

/** What the admin API reads and changes. */
export interface GatewayState {
  readonly weights: RouteWeights;
  readonly metrics: GatewayMetrics;
  routes(): RouteReport[];
  monolithHealth(): ReturnType<UpstreamGroup['health']>;
  hasRoute(name: string): boolean;
  manifestLoaded(): boolean;
}

const weightBody = z.object({ weight: z.number().min(0).max(100) }).strict();
const modeBody = z.object({ mode: z.enum(['split', 'shadow']) }).strict();
const MAX_BODY_BYTES = 4_096;

/**
 * The admin API, on its own port (PROXY_ADMIN_PORT, default 8081, bound to
 * PROXY_ADMIN_HOST, default 127.0.0.1): never reachable through the public port.
 * - `GET /health`: 200 once the proxy serves; open to anyone (probes).
 * - with `Authorization: Bearer <PROXY_ADMIN_TOKEN>`:
 *   - `GET /routes`: every route, its prefixes, mode, weight (and who set them),
 *     stickiness, fallback and rollback thresholds, rolling window, target
 *     instances and shadow statistics;
 *   - `PUT /routes/<name>/weight` `{ "weight": 0–100 }` and
 *     `PUT /routes/<name>/mode` `{ "mode": "split" | "shadow" }`: an operator's
 *     setting, shared by every replica through Redis (or kept in PROXY_STATE_FILE), so
 *     a restart keeps it; a weight clears a rollback;
 *   - `DELETE /routes/<name>`: back to the routes file's weight and mode;
 *   - `GET /metrics`: Prometheus text.
 */
export class AdminApi {
  private readonly token: Buffer | undefined;

  constructor(
    private readonly state: GatewayState,
    token: string | undefined,
    private readonly logger: Logger,
  ) {
    this.token = token ? Buffer.from(token) : undefined;
  }

  handle(req: IncomingMessage, res: ServerResponse, path: string, requestId: string): void {
    void this.answer(req, res, path, requestId).catch((error: unknown) => {
      this.logger.error({ err: error, path }, 'gateway admin API failed');
      sendProblem(res, 500, 'GATEWAY_ERROR', 'The admin API failed; see the gateway log.', requestId);
    });
  }

  private async answer(req: IncomingMessage, res: ServerResponse, path: string, requestId: string): Promise<void> {
    const method = req.method ?? 'GET';
    if (path === '/health') {
      if (method !== 'GET' && method !== 'HEAD') return sendProblem(res, 405, 'METHOD_NOT_ALLOWED', 'GET only.', requestId, { allow: 'GET, HEAD' });
      return json(res, 200, { status: 'ok', manifest: this.state.manifestLoaded() ? 'loaded' : 'not yet' });
    }
    if (!this.token) return sendProblem(res, 404, 'NOT_FOUND', 'The admin API is off: PROXY_ADMIN_TOKEN is not set.', requestId);
    if (!this.authorized(req)) {
      return sendProblem(res, 401, 'ADMIN_TOKEN_REQUIRED', 'The admin API needs the gateway admin token as a Bearer token.', requestId, { 'www-authenticate': 'Bearer' });
    }
    if (path === '/routes') {
      if (method !== 'GET') return sendProblem(res, 405, 'METHOD_NOT_ALLOWED', 'GET only.', requestId, { allow: 'GET' });
      return json(res, 200, { monolith: this.state.monolithHealth(), routes: this.state.routes() });
    }
    if (path === '/metrics') {
      if (method !== 'GET') return sendProblem(res, 405, 'METHOD_NOT_ALLOWED', 'GET only.', requestId, { allow: 'GET' });
      const text = await this.state.metrics.text();
      res.writeHead(200, { 'content-type': this.state.metrics.contentType });
      res.end(text);
      return;
    }
    const setting = /^\/routes\/([a-z][a-z0-9-]{0,62})(?:\/(weight|mode))?$/.exec(path);
    if (setting) {
      const name = setting[1]!;
      const what = setting[2];
      if (!this.state.hasRoute(name)) return sendProblem(res, 404, 'NO_SUCH_ROUTE', `No route is named ${name}.`, requestId);
      if (!what) {
        if (method === 'DELETE') {
          const state = await this.state.weights.reset(name);
          this.logger.info({ route: name }, `operator reset route ${name} to the routes file's settings`);
          return json(res, 200, state);
        }
        if (method === 'GET') return json(res, 200, this.state.routes().find((route) => route.name === name));
        return sendProblem(res, 405, 'METHOD_NOT_ALLOWED', 'GET or DELETE.', requestId, { allow: 'GET, DELETE' });
      }
      if (method !== 'PUT') return sendProblem(res, 405, 'METHOD_NOT_ALLOWED', 'PUT only.', requestId, { allow: 'PUT' });
      const body = await readJson(req);
      if (!body.ok) return sendProblem(res, body.status, 'INVALID_BODY', body.detail, requestId);
      const parsed = (what === 'weight' ? weightBody : modeBody).safeParse(body.value);
      if (!parsed.success) {
        return sendProblem(res, 400, 'VALIDATION_FAILED', parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; '), requestId);
      }
      const value = parsed.data as { weight?: number; mode?: 'split' | 'shadow' };
      const state =
        value.weight !== undefined ? await this.state.weights.setByOperator(name, value.weight) : await this.state.weights.setModeByOperator(name, value.mode!);
      this.logger.info({ route: name, ...value }, `operator set route ${name}'s ${what} to ${value.weight ?? value.mode}`);
      return json(res, 200, state);
    }
    return sendProblem(res, 404, 'NOT_FOUND', 'No route answers this path.', requestId);
  }

  private authorized(req: IncomingMessage): boolean {
    const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!given || !this.token) return false;
    const offered = Buffer.from(given);
    return offered.length === this.token.length && timingSafeEqual(offered, this.token);
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<{ ok: true; value: unknown } | { ok: false; status: number; detail: string }> {
  if (!String(req.headers['content-type'] ?? '').includes('json')) return { ok: false, status: 415 as number, detail: 'Send application/json.' };
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return { ok: false, status: 413, detail: `The body is larger than ${MAX_BODY_BYTES} bytes.` };
    chunks.push(chunk);
  }
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
  } catch {
    return { ok: false, status: 400, detail: 'The body is not JSON.' };
  }
}
