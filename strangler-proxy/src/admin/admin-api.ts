import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { z } from 'zod';
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
const MAX_BODY_BYTES = 4_096;

/**
 * The gateway's own endpoints, under `/_gateway/` (never forwarded):
 * - `GET /_gateway/health`: 200 once the gateway serves; open to anyone (probes).
 * - with `Authorization: Bearer <GATEWAY_ADMIN_TOKEN>` (without a configured token they
 *   answer 404, as if absent):
 *   - `GET /_gateway/routes`: every route, its prefixes, weight (and who set it),
 *     rolling window, target instances and shadow statistics;
 *   - `PUT /_gateway/routes/<name>/weight` `{ "weight": 0–100 }`: an operator's weight,
 *     shared by every replica through Redis; it clears a rollback;
 *   - `DELETE /_gateway/routes/<name>/weight`: back to the routes file's weight;
 *   - `GET /_gateway/metrics`: Prometheus text.
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
    if (path === '/_gateway/health') {
      if (method !== 'GET' && method !== 'HEAD') return sendProblem(res, 405, 'METHOD_NOT_ALLOWED', 'GET only.', requestId, { allow: 'GET, HEAD' });
      return json(res, 200, { status: 'ok', manifest: this.state.manifestLoaded() ? 'loaded' : 'not yet' });
    }
    if (!this.token) return sendProblem(res, 404, 'NOT_FOUND', 'No route answers this path.', requestId);
    if (!this.authorized(req)) {
      return sendProblem(res, 401, 'ADMIN_TOKEN_REQUIRED', 'The admin API needs the gateway admin token as a Bearer token.', requestId, { 'www-authenticate': 'Bearer' });
    }
    if (path === '/_gateway/routes') {
      if (method !== 'GET') return sendProblem(res, 405, 'METHOD_NOT_ALLOWED', 'GET only.', requestId, { allow: 'GET' });
      return json(res, 200, { monolith: this.state.monolithHealth(), routes: this.state.routes() });
    }
    if (path === '/_gateway/metrics') {
      if (method !== 'GET') return sendProblem(res, 405, 'METHOD_NOT_ALLOWED', 'GET only.', requestId, { allow: 'GET' });
      const text = await this.state.metrics.text();
      res.writeHead(200, { 'content-type': this.state.metrics.contentType });
      res.end(text);
      return;
    }
    const weight = /^\/_gateway\/routes\/([a-z][a-z0-9-]{0,62})\/weight$/.exec(path);
    if (weight) {
      const name = weight[1]!;
      if (!this.state.hasRoute(name)) return sendProblem(res, 404, 'NO_SUCH_ROUTE', `No route is named ${name}.`, requestId);
      if (method === 'DELETE') return json(res, 200, await this.state.weights.reset(name));
      if (method !== 'PUT') return sendProblem(res, 405, 'METHOD_NOT_ALLOWED', 'PUT or DELETE.', requestId, { allow: 'PUT, DELETE' });
      const body = await readJson(req);
      if (!body.ok) return sendProblem(res, body.status, 'INVALID_BODY', body.detail, requestId);
      const parsed = weightBody.safeParse(body.value);
      if (!parsed.success) {
        return sendProblem(res, 400, 'VALIDATION_FAILED', parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; '), requestId);
      }
      const state = await this.state.weights.setByOperator(name, parsed.data.weight);
      this.logger.info({ route: name, weight: parsed.data.weight }, `operator set route ${name} to weight ${parsed.data.weight}`);
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
