/**
 * Starts our gateway (`node dist/strangler-proxy/main.js`, built by `npm run build`) for
 * the gateway scenario, with a routes file written for the bench.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startChild, waitForHttpOk } from './child-process.mjs';
import { REPO_ROOT } from './monolith.mjs';
import { forgetQueues } from './placement.mjs';
import { freePort } from './ports.mjs';

/** The entry point; BENCH_GATEWAY_ENTRY points the scenario at another build (an experiment, an older copy of dist/). */
export const GATEWAY_ENTRY = process.env.BENCH_GATEWAY_ENTRY
  ? path.resolve(process.env.BENCH_GATEWAY_ENTRY)
  : path.join(REPO_ROOT, 'dist/strangler-proxy/main.js');

// Settings of the gateway (and of the shop, which shares some names) that the bench
// chooses itself: removed from the inherited environment so a developer's shell cannot
// skew the run (a REDIS_URL would move rate limits to Redis, a LOG_LEVEL would log every request).
const INHERITED_KEYS_DROPPED = ['REDIS_URL', 'LOG_LEVEL', 'LOG_FORMAT', 'MONOLITH_URL', 'STRANGLER_ROUTES', 'TRUST_PROXY'];
const INHERITED_PREFIXES_DROPPED = ['GATEWAY_', 'PROXY_'];

/** High enough never to trigger during a run, so the limiter's cost is measured, never its 429s. */
const UNREACHABLE_LIMIT = { points: 100_000_000, durationSeconds: 60 };

/**
 * The routes file. `plain`: everything to the monolith, no rate limit, no route: the
 * forwarding path alone. `withLimitsAndSplit`: the default limits (per client address
 * and per user) raised out of reach, and one split route at weight 50, sticky by client
 * address, whose target is the same upstream, so the answer is the same whichever side
 * a request is sent to.
 */
export function gatewayRoutes({ upstreamUrl, routePrefix, withLimitsAndSplit }) {
  const upstream = { instances: [upstreamUrl] };
  if (!withLimitsAndSplit) {
    return { monolith: upstream, routes: [], rateLimits: { perClientAddress: null, perUser: null } };
  }
  return {
    monolith: upstream,
    routes: [{ name: 'bench-split', prefixes: [routePrefix], target: upstream, weight: 50, stickiness: 'client-address', mode: 'split' }],
    rateLimits: { perClientAddress: UNREACHABLE_LIMIT, perUser: UNREACHABLE_LIMIT },
  };
}

/**
 * Writes `<workDir>/<name>.routes.json`, starts the gateway with `workers` cluster
 * workers (PROXY_WORKERS) on a free port (its admin API on another) and waits until the admin port's GET /health answers
 * 200. With `redisUrl` (needed for more than one worker) it shares its state through
 * that Redis under a random namespace. Resolves to { child, baseUrl, routesFile, namespace, redisUrl }.
 */
export async function startGateway({ name, workDir, upstreamUrl, routePrefix, workers, withLimitsAndSplit = false, redisUrl, nodeArgs = [] }) {
  if (!fs.existsSync(GATEWAY_ENTRY)) {
    throw new Error(`${GATEWAY_ENTRY} is missing: build the gateway first (npm run build)`);
  }
  const namespace = `bench-gateway-${randomBytes(6).toString('hex')}`;
  const routesFile = path.join(workDir, `${name}.routes.json`);
  fs.writeFileSync(routesFile, `${JSON.stringify(gatewayRoutes({ upstreamUrl, routePrefix, withLimitsAndSplit }), null, 2)}\n`);
  const port = await freePort();
  const adminPort = await freePort();
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (INHERITED_KEYS_DROPPED.includes(key) || INHERITED_PREFIXES_DROPPED.some((prefix) => key.startsWith(prefix))) delete env[key];
  }
  Object.assign(env, {
    PROXY_PORT: String(port),
    PROXY_HOST: '127.0.0.1',
    PROXY_ADMIN_PORT: String(adminPort),
    PROXY_ADMIN_TOKEN: randomBytes(16).toString('hex'),
    PROXY_STATE_FILE: path.join(workDir, `${name}.state.json`),
    STRANGLER_ROUTES: routesFile,
    PROXY_WORKERS: String(workers),
    // Its own Redis keys (`<namespace>:…`), removed by forgetGatewayKeys when it is done.
    PROXY_NAMESPACE: namespace,
    // No access-log line per request (production logs at info); warnings still show.
    LOG_LEVEL: 'warn',
    // The gateway refuses several workers without Redis (each would keep its own weights
    // and budgets); one worker runs without it: weights and rate limits in memory.
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
  });
  const child = startChild({
    name,
    args: [...nodeArgs, GATEWAY_ENTRY],
    env,
    cwd: REPO_ROOT,
    logFile: path.join(workDir, `${name}.log`),
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForHttpOk(`http://127.0.0.1:${adminPort}/health`, { child, timeoutMs: 20_000 });
  } catch (error) {
    await child.stop();
    await forgetGatewayKeys({ redisUrl, namespace });
    throw error;
  }
  return { child, baseUrl, routesFile, namespace, redisUrl };
}

/** Removes a gateway's keys (weights, rate-limit counters) from the shared Redis, once it has stopped. */
export async function forgetGatewayKeys({ redisUrl, namespace }) {
  if (redisUrl) await forgetQueues(redisUrl, namespace);
}
