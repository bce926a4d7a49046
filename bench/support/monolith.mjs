import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild, waitForHttpOk } from './child-process.mjs';
import { freePort } from './ports.mjs';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const BENCH_ADMIN = { email: 'bench-admin@example.com', password: 'bench-admin-password' };

// Settings the monolith reads (src/platform/config/app-config.ts) that the bench does not
// set: removed from the inherited environment so a developer's shell cannot skew the run.
const APP_ENV_KEYS = [
  'LOG_LEVEL',
  'MODULE_ROLE_PREFIX',
  'BODY_LIMIT_BYTES',
  'JWT_ISSUER',
  'JWT_AUDIENCE',
  'JWT_TTL_SECONDS',
  'JWT_PRIVATE_KEY',
  'JWT_PUBLIC_KEY',
  'JWT_KEY_ID',
  'CONTRACT_CALL_TIMEOUT_MS',
  'MIGRATE_ON_START',
  // Placement and event transport: each scenario says which it measures.
  'REDIS_URL',
  'EVENTS_QUEUE_PREFIX',
  'EXTRACTED_MODULES',
  'MONOLITH_URL',
  'SERVICE_TOKEN_SECRET',
  'CONTRACT_TRANSPORT_MODE',
];
/** The same for whole families: SERVICE_URL_<MODULE>, REMOTE_CALL_TIMEOUT_MS(_<MODULE>), REMOTE_BREAKER_…. */
const APP_ENV_PREFIXES = ['SERVICE_URL_', 'REMOTE_'];

/** The fixed MODULE_DB_SECRET of every bench shop (see shopEnv). */
export const BENCH_MODULE_DB_SECRET = 'bench-module-role-secret-0123456789';

/**
 * The environment of one shop process of the bench: the inherited one without the
 * app settings the bench does not choose, plus the database, its module roles, the
 * bootstrap admin and loopback. `extraEnv` is added last.
 */
export function shopEnv({ databaseUrl, rolePrefix, dataDir, port, extraEnv = {} }) {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (APP_ENV_KEYS.includes(key) || APP_ENV_PREFIXES.some((prefix) => key.startsWith(prefix))) delete env[key];
  }
  Object.assign(env, {
    DATABASE_URL: databaseUrl,
    ...(port === undefined ? {} : { PORT: String(port) }),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    DB_POOL_SIZE: '10',
    BOOTSTRAP_ADMIN_EMAIL: BENCH_ADMIN.email,
    BOOTSTRAP_ADMIN_PASSWORD: BENCH_ADMIN.password,
    MODULE_ROLE_PREFIX: rolePrefix,
    // The same secret every run: the bench's roles outlive its databases, and a shop
    // claims only roles made with its own secret (a new data folder would make a new one).
    MODULE_DB_SECRET: BENCH_MODULE_DB_SECRET,
    // The bench registers its customers from one address, faster than a person would.
    THROTTLE_REGISTRATIONS_PER_ADDRESS: '0',
    ...extraEnv,
  });
  return env;
}

/**
 * Starts one built shop process: `dist/main.js` (the monolith, `name` 'monolith') or
 * `dist/extracted/<module>/main.js` (`name` the module) on `port` (a free one if not
 * given) against `databaseUrl` with module roles named `<rolePrefix><module>`
 * (database.mjs, rolePrefixOf), logging to `<workDir>/<logName>.log`. With `wait` (the
 * default) it resolves once `/health/ready` answers 200; otherwise call `ready()`, so
 * that the processes of one placement can boot at once. It migrates its own modules'
 * schemas on start.
 */
export async function startShopProcess({
  name = 'monolith',
  databaseUrl,
  rolePrefix,
  workDir,
  port,
  nodeArgs = [],
  readyTimeoutMs = 60_000,
  env: extraEnv = {},
  logName = name,
  wait = true,
}) {
  const main = path.join(REPO_ROOT, name === 'monolith' ? 'dist/main.js' : `dist/extracted/${name}/main.js`);
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first (npm run bench does)`);
  port ??= await freePort();
  const dataDir = path.join(workDir, `${logName}-data`);
  fs.mkdirSync(dataDir, { recursive: true });
  const child = startChild({
    name: logName,
    args: [...nodeArgs, main],
    env: shopEnv({ databaseUrl, rolePrefix, dataDir, port, extraEnv }),
    cwd: REPO_ROOT,
    logFile: path.join(workDir, `${logName}.log`),
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const ready = async () => {
    try {
      await waitForHttpOk(`${baseUrl}/health/ready`, { child, timeoutMs: readyTimeoutMs });
    } catch (error) {
      await child.stop();
      throw error;
    }
  };
  if (wait) await ready();
  return { child, baseUrl, logFile: child.logFile, ready };
}

/**
 * Starts the built monolith (`node dist/main.js`), logging to `<workDir>/monolith.log`,
 * and waits for `/health/ready` (see startShopProcess). Returns the child handle plus
 * its base URL.
 */
export async function startMonolith(options) {
  const { child, baseUrl } = await startShopProcess({ ...options, name: 'monolith' });
  return { child, baseUrl };
}

/**
 * Lines of the monolith's JSON log at warn level or above (pino with label levels),
 * for the report: a bench run should not make the service complain.
 */
export function logProblems(logFile, limit = 5) {
  let text;
  try {
    text = fs.readFileSync(logFile, 'utf8');
  } catch {
    return { count: 0, samples: [] };
  }
  const samples = [];
  let count = 0;
  for (const line of text.split('\n')) {
    if (!line) continue;
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      // Not JSON: something wrote to stdout/stderr outside the logger. Worth showing.
      count++;
      if (samples.length < limit) samples.push(line.slice(0, 300));
      continue;
    }
    const level = entry.level;
    if (level === 'warn' || level === 'error' || level === 'fatal' || (typeof level === 'number' && level >= 40)) {
      count++;
      if (samples.length < limit) samples.push(`${level}: ${entry.msg ?? ''} ${entry.err?.message ?? ''}`.trim());
    }
  }
  return { count, samples };
}
