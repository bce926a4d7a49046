import cluster from 'node:cluster';
import { pino } from 'pino';
import { RouteFileError } from './config/route-file.js';
import { Gateway } from './gateway.js';
import { GatewaySettingsError, gatewaySettingsFrom } from './gateway-settings.js';

/**
 * The gateway's process: `node dist/strangler-proxy/main.js` (`npm run start:gateway`).
 * With GATEWAY_WORKERS > 1 it forks that many workers sharing the port (node:cluster),
 * which share weights and rate-limit counters through Redis; a worker that dies is
 * replaced. SIGTERM and SIGINT stop taking connections and let requests in flight finish.
 */
const SHUTDOWN_DEADLINE_MS = 10_000;

function fail(error: unknown): never {
  if (error instanceof GatewaySettingsError || error instanceof RouteFileError) {
    process.stderr.write(`${error.message}${error instanceof RouteFileError ? `\n  ${error.problems.join('\n  ')}` : ''}\n`);
    process.exit(2);
  }
  throw error;
}

let settings;
try {
  settings = gatewaySettingsFrom(process.env);
} catch (error) {
  fail(error);
}
const logger = pino({ level: settings.logLevel, base: { service: 'gateway' }, redact: ['req.headers.authorization', 'req.headers.cookie'] });

if (settings.workers > 1 && cluster.isPrimary) {
  let stopping = false;
  for (let i = 0; i < settings.workers; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    if (code === 2) {
      // A configuration error: every new worker would fail the same way.
      logger.fatal({ worker: worker.id }, 'gateway worker refused its configuration; stopping');
      process.exit(2);
    }
    logger.error({ worker: worker.id, code, signal }, 'gateway worker died; starting another');
    cluster.fork();
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
  logger.info({ workers: settings.workers, port: settings.port }, 'gateway primary started its workers');
} else {
  const workerLabel = cluster.isWorker ? `worker-${cluster.worker!.id}` : 'single';
  const gateway = await Gateway.start({ ...settings, workerLabel }, logger.child({ worker: workerLabel })).catch(fail);
  const stop = () => {
    const deadline = setTimeout(() => process.exit(0), SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    void gateway.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
