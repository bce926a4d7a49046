import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * Everything the process reads from its environment, parsed once at startup.
 * A bad value stops the process with a message naming the variable, instead of
 * surfacing later as a confusing runtime error.
 */
const booleanish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z.string().url().optional(),
  DATA_DIR: z.string().default('./.data'),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  MODULE_ROLE_PREFIX: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'lowercase letters, digits and underscores')
    .default('shop_'),
  MODULE_DB_SECRET: z.string().min(16).optional(),
  MODULE_DB_SECRET_PREVIOUS: z.string().min(16).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(30_000),
  // Addresses only. Not `true`: trusting every hop takes the leftmost X-Forwarded-For
  // entry, which the client writes itself, so a per-address throttle could be dodged
  // with a header. Not a hop count: Fastify cannot check the peer then, and trusts nothing.
  TRUST_PROXY: z
    .string()
    .refine(
      (value) => value === 'false' || value.split(',').every((entry) => isIP(entry.trim().replace(/\/\d{1,3}$/, '')) !== 0),
      'false, or the addresses or CIDR ranges of the proxies in front, comma-separated (e.g. 10.0.0.0/8,127.0.0.1)',
    )
    .default('false'),
  CORS_ORIGINS: z
    .string()
    .regex(/^https?:\/\/[^\s,/]+(,https?:\/\/[^\s,/]+)*$/, 'comma-separated origins such as https://shop.example,http://localhost:5173')
    .optional(),
  THROTTLE_LOGIN_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(0).max(1_000_000).default(10),
  THROTTLE_LOGIN_FAILURES_PER_ADDRESS: z.coerce.number().int().min(0).max(1_000_000).default(100),
  THROTTLE_REGISTRATIONS_PER_ADDRESS: z.coerce.number().int().min(0).max(1_000_000).default(20),
  JWT_ISSUER: z.string().default('urn:shop:identity'),
  JWT_AUDIENCE: z.string().default('urn:shop:api'),
  JWT_TTL_SECONDS: z.coerce.number().int().min(30).default(900),
  JWT_PRIVATE_KEY: z.string().optional(),
  JWT_PUBLIC_KEY: z.string().optional(),
  JWT_KEY_ID: z.string().optional(),
  BOOTSTRAP_ADMIN_EMAIL: z.string().email().optional(),
  BOOTSTRAP_ADMIN_PASSWORD: z.string().min(12).optional(),
  CONTRACT_CALL_TIMEOUT_MS: z.coerce.number().int().min(1).default(2000),
  CONTRACT_TRANSPORT_MODE: z.enum(['direct', 'serializing', 'serializing-repeat']).default('direct'),
  MIGRATE_ON_START: booleanish.default(true),
  REDIS_URL: z.string().url().optional(),
  EVENTS_RELAY: booleanish.default(true),
  EVENTS_QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default('shop'),
  EVENTS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
  EVENTS_BACKOFF_MS: z.coerce.number().int().min(1).default(200),
  EVENTS_POLL_MS: z.coerce.number().int().min(10).default(1000),
  EVENTS_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(8),
  EVENTS_BATCH_SIZE: z.coerce.number().int().min(1).max(5000).default(200),
  EVENTS_RETENTION_DAYS: z.coerce.number().min(0).default(7),
  SHUTDOWN_DEADLINE_MS: z.coerce.number().int().min(100).default(10_000),
  CHECKOUT_STEP_TIMEOUT_MS: z.coerce.number().int().min(1).default(5_000),
  CHECKOUT_STEP_DEADLINE_MS: z.coerce.number().int().min(1).default(30_000),
  CHECKOUT_RETRY_BACKOFF_MS: z.coerce.number().int().min(1).default(100),
  CHECKOUT_COMPENSATION_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
  CHECKOUT_LEASE_MS: z.coerce.number().int().min(100).default(30_000),
  CHECKOUT_RESUME_EVERY_MS: z.coerce.number().int().min(10).default(5_000),
  PAYMENTS_SIM_LATENCY_MS: z.coerce.number().int().min(0).default(0),
  PAYMENTS_SIM_ERROR_RATE: z.coerce.number().min(0).max(1).default(0),
  PAYMENTS_SIM_AMOUNT_LIMIT: z.coerce.number().int().min(1).default(1_000_000),
  SHIPPING_COUNTRIES: z
    .string()
    .regex(/^[A-Z]{2}(,[A-Z]{2})*$/, 'comma-separated ISO 3166-1 alpha-2 codes, e.g. DE,FR,NL')
    .default('AT,BE,CH,DE,DK,ES,FR,GB,IE,IT,LU,NL,PL,PT,SE,US'),
  SHIPPING_HOME_COUNTRY: z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code').default('DE'),
});

/**
 * Every variable the shop reads through this schema, with its default (undefined: none),
 * as the README's configuration table must list them (test/architecture/configuration-table.spec.ts).
 */
export function configurationVariables(): { name: string; default: unknown }[] {
  return Object.keys(envSchema.shape).map((name) => {
    const parsed = envSchema.shape[name as keyof typeof envSchema.shape].safeParse(undefined);
    return { name, default: parsed.success ? parsed.data : undefined };
  });
}

export type AppConfig = {
  port: number;
  host: string;
  /** PostgreSQL connection string; when absent the embedded PGlite database is used. */
  databaseUrl: string | undefined;
  dataDir: string;
  dbPoolSize: number;
  moduleRolePrefix: string;
  /** Secret the module roles' passwords derive from; generated into DATA_DIR when unset. */
  moduleDbSecret: string | undefined;
  /** While rotating MODULE_DB_SECRET: the previous one, so roles made with it are still this shop's. */
  moduleDbSecretPrevious: string | undefined;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  /** `auto`: readable text when stdout is a terminal, JSON otherwise. */
  logFormat: z.infer<typeof envSchema>['LOG_FORMAT'];
  bodyLimitBytes: number;
  /** A request (headers and body) not received in full within this time is answered 408 and dropped. */
  requestTimeoutMs: number;
  /** Fastify's `trustProxy`: the proxies whose `X-Forwarded-For` names the client's address (false, or addresses/CIDRs). */
  trustProxy: false | string;
  /** Origins allowed to call the API from a browser; empty: CORS off (no CORS headers at all). */
  corsOrigins: string[];
  /** Brute-force throttles (0 turns one off); counters in Redis when REDIS_URL is set. */
  throttle: {
    /** Failed logins for one account from one address in 15 minutes before that pair is refused for 15 minutes. */
    loginFailuresPerAccount: number;
    /** Failed logins from one address, any account, in an hour before it is refused for an hour. */
    loginFailuresPerAddress: number;
    /** Registrations from one address in an hour. */
    registrationsPerAddress: number;
  };
  jwt: {
    issuer: string;
    audience: string;
    ttlSeconds: number;
    privateKeyPem: string | undefined;
    publicKeyPem: string | undefined;
    keyId: string | undefined;
  };
  bootstrapAdmin: { email: string; password: string } | undefined;
  contractCallTimeoutMs: number;
  /**
   * How contract calls to modules in this process travel: `direct` (objects as they
   * are), `serializing` (every message, result and error through the wire encoding, as
   * if remote), `serializing-repeat` (that, and every idempotent command delivered twice).
   * The last two are for tests: a payload that could not cross a wire fails in one process.
   */
  contractTransportMode: 'direct' | 'serializing' | 'serializing-repeat';
  migrateOnStart: boolean;
  /** BullMQ delivery when set; in-process delivery otherwise. */
  redisUrl: string | undefined;
  events: {
    /** Run the outbox relay in this process. */
    relay: boolean;
    /** BullMQ key prefix: separates shops (or test runs) sharing one Redis. */
    queuePrefix: string;
    maxAttempts: number;
    backoffMs: number;
    pollMs: number;
    batchSize: number;
    /** Jobs a BullMQ worker runs at once, per consuming module. */
    workerConcurrency: number;
    retentionDays: number;
  };
  shutdownDeadlineMs: number;
  /** The checkout saga in ordering. */
  checkout: {
    /** Deadline of one call to a step (ReserveStock, ProcessPayment, CreateShipment). */
    stepTimeoutMs: number;
    /** How long a step is retried on transient errors before the order is cancelled. */
    stepDeadlineMs: number;
    /** First retry delay (exponential, with jitter). */
    retryBackoffMs: number;
    /** Tries of each compensation before the saga is parked as COMPENSATION_FAILED. */
    compensationAttempts: number;
    /** How long one process holds a saga before another may take it over. */
    leaseMs: number;
    /** How often unfinished sagas are looked for and resumed. */
    resumeEveryMs: number;
  };
  /** The simulated payment provider (see docs/payments-simulator.md). */
  paymentsSimulator: {
    latencyMs: number;
    /** Share of calls (0–1) that fail with a transient provider error. */
    errorRate: number;
    /** Charges above this amount (minor units) are declined with AMOUNT_LIMIT. */
    amountLimit: number;
  };
  shipping: {
    /** Destinations served. */
    countries: string[];
    /** Hazardous goods ship only within this country. */
    homeCountry: string;
  };
};

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  // Empty strings are how shells and .env files say "unset".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if ((e.JWT_PRIVATE_KEY === undefined) !== (e.JWT_PUBLIC_KEY === undefined)) {
    throw new ConfigError('Invalid configuration:\n  JWT_PRIVATE_KEY and JWT_PUBLIC_KEY must be set together');
  }
  if ((e.BOOTSTRAP_ADMIN_EMAIL === undefined) !== (e.BOOTSTRAP_ADMIN_PASSWORD === undefined)) {
    throw new ConfigError(
      'Invalid configuration:\n  BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD must be set together',
    );
  }
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    dbPoolSize: e.DB_POOL_SIZE,
    moduleRolePrefix: e.MODULE_ROLE_PREFIX,
    moduleDbSecret: e.MODULE_DB_SECRET,
    moduleDbSecretPrevious: e.MODULE_DB_SECRET_PREVIOUS,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    trustProxy: e.TRUST_PROXY === 'false' ? false : e.TRUST_PROXY,
    corsOrigins: e.CORS_ORIGINS ? e.CORS_ORIGINS.split(',') : [],
    throttle: {
      loginFailuresPerAccount: e.THROTTLE_LOGIN_FAILURES_PER_ACCOUNT,
      loginFailuresPerAddress: e.THROTTLE_LOGIN_FAILURES_PER_ADDRESS,
      registrationsPerAddress: e.THROTTLE_REGISTRATIONS_PER_ADDRESS,
    },
    jwt: {
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      ttlSeconds: e.JWT_TTL_SECONDS,
      privateKeyPem: e.JWT_PRIVATE_KEY,
      publicKeyPem: e.JWT_PUBLIC_KEY,
      keyId: e.JWT_KEY_ID,
    },
    bootstrapAdmin:
      e.BOOTSTRAP_ADMIN_EMAIL && e.BOOTSTRAP_ADMIN_PASSWORD
        ? { email: e.BOOTSTRAP_ADMIN_EMAIL, password: e.BOOTSTRAP_ADMIN_PASSWORD }
        : undefined,
    contractCallTimeoutMs: e.CONTRACT_CALL_TIMEOUT_MS,
    contractTransportMode: e.CONTRACT_TRANSPORT_MODE,
    migrateOnStart: e.MIGRATE_ON_START,
    redisUrl: e.REDIS_URL,
    events: {
      relay: e.EVENTS_RELAY,
      queuePrefix: e.EVENTS_QUEUE_PREFIX,
      maxAttempts: e.EVENTS_MAX_ATTEMPTS,
      backoffMs: e.EVENTS_BACKOFF_MS,
      pollMs: e.EVENTS_POLL_MS,
      batchSize: e.EVENTS_BATCH_SIZE,
      workerConcurrency: e.EVENTS_WORKER_CONCURRENCY,
      retentionDays: e.EVENTS_RETENTION_DAYS,
    },
    shutdownDeadlineMs: e.SHUTDOWN_DEADLINE_MS,
    checkout: {
      stepTimeoutMs: e.CHECKOUT_STEP_TIMEOUT_MS,
      stepDeadlineMs: e.CHECKOUT_STEP_DEADLINE_MS,
      retryBackoffMs: e.CHECKOUT_RETRY_BACKOFF_MS,
      compensationAttempts: e.CHECKOUT_COMPENSATION_ATTEMPTS,
      leaseMs: e.CHECKOUT_LEASE_MS,
      resumeEveryMs: e.CHECKOUT_RESUME_EVERY_MS,
    },
    paymentsSimulator: {
      latencyMs: e.PAYMENTS_SIM_LATENCY_MS,
      errorRate: e.PAYMENTS_SIM_ERROR_RATE,
      amountLimit: e.PAYMENTS_SIM_AMOUNT_LIMIT,
    },
    shipping: {
      countries: e.SHIPPING_COUNTRIES.split(','),
      homeCountry: e.SHIPPING_HOME_COUNTRY,
    },
  };
}

/** Nest injection token for the parsed configuration. */
export const APP_CONFIG = Symbol('APP_CONFIG');
