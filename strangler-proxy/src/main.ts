import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { RouteFileError } from './config/route-file.js';
import { Gateway } from './gateway.js';
import { GatewaySettingsError, gatewaySettingsFrom } from './gateway-settings.js';
import { clusterMetricsOf, serveClusterMetrics } from './metrics/cluster-metrics.js';

/**
 * The proxy's process: `node dist/strangler-proxy/main.js` (`npm run start:proxy`).
 * With PROXY_WORKERS > 1 it forks that many workers sharing the ports (node:cluster),
 * which share weights and rate-limit counters through Redis; a worker that dies is
 * replaced, with a growing pause when they keep dying. `/metrics` answers for every
 * worker, whichever one a scrape reaches (metrics/cluster-metrics.ts). SIGTERM and
 * SIGINT stop taking connections and let requests in flight finish.
 */
const SHUTDOWN_DEADLINE_MS = 10_000;

function fail(error: unknown): never {
  if (error instanceof GatewaySettingsError || error instanceof RouteFileError) {
    process.stderr.write(`${error.message}${error instanceof RouteFileError ? `\n  ${error.problems.join('\n  ')}` : ''}\n`);
    process.exit(2);
  }
  throw error;
}

/**
 * Without PROXY_ADMIN_TOKEN the admin API still needs one: a random token is made once
 * and kept in a file beside the state file (readable by this user only), as the shop
 * does with its first admin's password. The log names the file, never the token.
 */
function adminTokenOf(given: string | undefined, stateFile: string, logger: Logger): string {
  if (given) return given;
  const file = path.join(path.dirname(stateFile), 'strangler-proxy-admin-token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(path.dirname(file), { recursive: true });
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  logger.warn({ file }, `PROXY_ADMIN_TOKEN is not set: the admin API's token was written to ${file}`);
  return token;
}

let settings;
try {
  settings = gatewaySettingsFrom(process.env);
} catch (error) {
  fail(error);
}
const logger = pino({ level: settings.logLevel, base: { service: 'strangler-proxy' } });

if (settings.workers > 1 && cluster.isPrimary) {
  const adminToken = adminTokenOf(settings.adminToken, settings.stateFile, logger);
  let stopping = false;
  let quickDeaths = 0;
  const fork = () => cluster.fork({ PROXY_ADMIN_TOKEN: adminToken });
  serveClusterMetrics();
  for (let i = 0; i < settings.workers; i++) fork();
  const startedAt = new Map<number, number>();
  cluster.on('fork', (worker) => startedAt.set(worker.id, Date.now()));
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    if (code === 2) {
      // A configuration error: every new worker would fail the same way.
      logger.fatal({ worker: worker.id }, 'proxy worker refused its configuration; stopping');
      process.exit(2);
    }
    // A worker that dies soon after starting (Redis unreachable, a port taken) would be
    // replaced in a tight loop: the pause grows, and after ten in a row the proxy stops.
    const lived = Date.now() - (startedAt.get(worker.id) ?? 0);
    quickDeaths = lived < 10_000 ? quickDeaths + 1 : 0;
    if (quickDeaths >= 10) {
      logger.fatal({ worker: worker.id, code, signal }, 'proxy workers keep dying at start; stopping');
      process.exit(1);
    }
    const pause = Math.min(100 * 2 ** quickDeaths, 10_000);
    logger.error({ worker: worker.id, code, signal, restartInMs: pause }, 'proxy worker died; starting another');
    setTimeout(fork, pause);
  });
  const stop = () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    const deadline = setTimeout(() => process.exit(0), SHUTDOWN_DEADLINE_MS + 1_000);
    deadline.unref();
    cluster.on('exit', () => {
      if (!Object.keys(cluster.workers ?? {}).length) process.exit(0);
    });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  logger.info({ workers: settings.workers, port: settings.port, adminPort: settings.adminPort }, 'proxy primary started its workers');
} else {
  const workerLabel = cluster.isWorker ? `worker-${cluster.worker!.id}` : 'single';
  const adminToken = cluster.isWorker ? settings.adminToken : adminTokenOf(settings.adminToken, settings.stateFile, logger);
  const gateway = await Gateway.start({ ...settings, adminToken, workerLabel }, logger.child({ worker: workerLabel })).catch(fail);
  // The admin port is shared: whichever worker a scrape reaches answers for all of them.
  if (cluster.isWorker) gateway.metrics.answerForEveryWorker(clusterMetricsOf(gateway.metrics.registry));
  const stop = () => {
    const deadline = setTimeout(() => process.exit(0), SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    void gateway.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
