import { ConfigError, type AppConfig } from './app-config.js';
import { MODULE_DATABASE_URL_VARIABLE, moduleDatabaseUrls } from './module-database-urls.js';

/**
 * Where each module runs, read from the environment once at startup. Every process of
 * one shop (the monolith and each extracted service) is given the same
 * `EXTRACTED_MODULES` and `SERVICE_URL_<MODULE>` values; each works out for itself
 * which modules it hosts and where the others are. A module is hosted by one kind of
 * process: its own service when extracted, the monolith otherwise; or by both during its
 * hand-over (`HANDOVER_MODULES`), while the strangler gateway moves its traffic.
 */
export interface Placement {
  /** `monolith`, or the module an extracted service runs. */
  readonly process: string;
  /** Modules whose controllers, handlers, consumers and migrations run here. */
  readonly hosted: readonly string[];
  /** Modules running as their own service (EXTRACTED_MODULES). */
  readonly extracted: readonly string[];
  /**
   * Extracted modules the monolith goes on hosting beside their service (HANDOVER_MODULES):
   * both serve the module's routes on its one schema, relay its outbox and work its queue
   * (if it has subscriptions), so the gateway can split, shadow and fall back between
   * them. Contract calls still follow the placement: the monolith's own callers call the
   * module here, every other process calls its service (docs/extraction.md).
   */
  readonly handover: readonly string[];
  /** Base URL of every module hosted elsewhere. */
  readonly remote: ReadonlyMap<string, string>;
  /**
   * The modules with a database of their own (DATABASE_URL_<MODULE>): their role, schema,
   * migrations, outbox, inbox and dead letters are there. The others use DATABASE_URL.
   */
  readonly databases: ReadonlyMap<string, string>;
  /** Signs and checks service credentials; set whenever some module runs elsewhere. */
  readonly serviceTokenSecret: string | undefined;
  /** The process hosting a module: its own service when extracted, `monolith` otherwise. */
  serviceOf(module: string): string;
  /** The resilience settings of calls to one service (a module's name, or `monolith`). */
  resilienceFor(service: string): RemoteCallSettings;
}

export const MONOLITH = 'monolith';

export interface RemoteCallSettings {
  /** Deadline of one attempt (the caller's remaining deadline, when shorter, wins). */
  attemptTimeoutMs: number;
  /** Further attempts for queries and idempotent commands after a lost answer. */
  retries: number;
  /** First retry delay; exponential with jitter after that. */
  retryBackoffMs: number;
  /** Consecutive failed calls that open the target's circuit. */
  breakerFailures: number;
  /** How long an open circuit fails calls fast before it lets one through to test the target. */
  breakerOpenMs: number;
  /** Calls in flight to the target at once (bulkhead). */
  maxConcurrent: number;
  /** Calls waiting for a slot; beyond this they fail at once. */
  maxQueued: number;
  /** Keep-alive connections to the target. */
  connections: number;
  /** Calls of one contract type made in the same turn that may share one request (1: every call alone; at most 256). */
  maxBatch: number;
}

/** The defaults, documented in the README's configuration table. */
export const REMOTE_CALL_DEFAULTS: RemoteCallSettings = {
  attemptTimeoutMs: 2_000,
  retries: 2,
  retryBackoffMs: 25,
  breakerFailures: 5,
  breakerOpenMs: 5_000,
  maxConcurrent: 64,
  maxQueued: 256,
  connections: 16,
  maxBatch: 64,
};

const SETTINGS_VARIABLES: Record<keyof RemoteCallSettings, { name: string; min: number; max?: number }> = {
  attemptTimeoutMs: { name: 'REMOTE_CALL_TIMEOUT_MS', min: 1 },
  retries: { name: 'REMOTE_CALL_RETRIES', min: 0 },
  retryBackoffMs: { name: 'REMOTE_CALL_RETRY_BACKOFF_MS', min: 1 },
  breakerFailures: { name: 'REMOTE_BREAKER_FAILURES', min: 1 },
  breakerOpenMs: { name: 'REMOTE_BREAKER_OPEN_MS', min: 1 },
  maxConcurrent: { name: 'REMOTE_MAX_CONCURRENT', min: 1 },
  maxQueued: { name: 'REMOTE_MAX_QUEUED', min: 0 },
  connections: { name: 'REMOTE_CONNECTIONS', min: 1 },
  maxBatch: { name: 'REMOTE_MAX_BATCH', min: 1, max: 256 },
};

const serviceUrlVariable = (module: string) => `SERVICE_URL_${module.toUpperCase()}`;

/**
 * The variables of a placement, as the README's configuration table names them: each
 * REMOTE_* setting with its default, and the rest without one. `SERVICE_URL_<MODULE>`
 * and `REMOTE_…_<MODULE>` stand for one variable per module.
 */
export function placementVariables(): { name: string; default: unknown }[] {
  return [
    ...['EXTRACTED_MODULES', 'HANDOVER_MODULES', 'SERVICE_URL_<MODULE>', MODULE_DATABASE_URL_VARIABLE, 'MONOLITH_URL', 'SERVICE_TOKEN_SECRET', 'REMOTE_…_<MODULE>'].map((name) => ({
      name,
      default: undefined,
    })),
    ...(Object.entries(SETTINGS_VARIABLES) as [keyof RemoteCallSettings, { name: string }][]).map(([key, { name }]) => ({
      name,
      default: REMOTE_CALL_DEFAULTS[key],
    })),
  ];
}

/**
 * Reads the placement of `process` (the monolith, or one module's service) among
 * `modules`. Every mistake is reported at once, naming its variable, and stops the
 * process: a module without an address would otherwise fail only on its first call.
 */
export function loadPlacement(
  env: Record<string, string | undefined>,
  modules: readonly string[],
  process: string,
  config: AppConfig,
): Placement {
  const problems: string[] = [];
  const value = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]!.trim());
  if (process !== MONOLITH && !modules.includes(process)) {
    throw new ConfigError(`Unknown module "${process}": the modules are ${modules.join(', ')}`);
  }
  const extracted = [...new Set((value('EXTRACTED_MODULES') ?? '').split(',').map((m) => m.trim()).filter(Boolean))];
  for (const module of extracted) {
    if (!modules.includes(module)) problems.push(`EXTRACTED_MODULES: unknown module "${module}" (the modules are ${modules.join(', ')})`);
  }
  if (process !== MONOLITH && !extracted.includes(process)) {
    problems.push(`EXTRACTED_MODULES: must name ${process}, since this process is its extracted service (every process gets the same list)`);
  }
  const handover = [...new Set((value('HANDOVER_MODULES') ?? '').split(',').map((m) => m.trim()).filter(Boolean))];
  for (const module of handover) {
    if (!modules.includes(module)) problems.push(`HANDOVER_MODULES: unknown module "${module}" (the modules are ${modules.join(', ')})`);
    else if (!extracted.includes(module)) {
      problems.push(`HANDOVER_MODULES: ${module} is not in EXTRACTED_MODULES (a module is handed over to its service: extract it too)`);
    }
  }
  // In the monolith a handed-over module is hosted here as well as by its service, and its
  // callers here call it here; every other process calls its service.
  const hosted = process === MONOLITH ? modules.filter((m) => !extracted.includes(m) || handover.includes(m)) : [process];
  const remote = new Map<string, string>();
  for (const module of modules.filter((m) => !hosted.includes(m))) {
    const variable = extracted.includes(module) ? serviceUrlVariable(module) : 'MONOLITH_URL';
    const url = value(variable);
    if (!url) {
      problems.push(
        extracted.includes(module)
          ? `${variable}: required, since ${module} is in EXTRACTED_MODULES (its service's base URL, e.g. http://127.0.0.1:3101)`
          : `MONOLITH_URL: required in an extracted service while ${module} still runs in the monolith (the monolith's base URL)`,
      );
      continue;
    }
    if (!/^https?:\/\/[^\s/]+\/?$/.test(url)) {
      problems.push(`${variable}: must be a base URL such as http://127.0.0.1:3101 (scheme, host, port; no path)`);
      continue;
    }
    remote.set(module, url.replace(/\/$/, ''));
  }
  const databases = moduleDatabaseUrls(env, modules);
  problems.push(...databases.problems);
  const serviceTokenSecret = value('SERVICE_TOKEN_SECRET');
  if (extracted.length > 0) {
    if (!config.redisUrl) problems.push('REDIS_URL: required with EXTRACTED_MODULES (events cross processes through its queues)');
    if (!serviceTokenSecret) problems.push('SERVICE_TOKEN_SECRET: required with EXTRACTED_MODULES (it signs the services\' calls to each other)');
    else if (serviceTokenSecret.length < 32) problems.push('SERVICE_TOKEN_SECRET: at least 32 characters');
    if (!config.jwt.publicKeyPem) {
      problems.push('JWT_PRIVATE_KEY and JWT_PUBLIC_KEY: required with EXTRACTED_MODULES (every process checks identity\'s tokens with the same key)');
    }
    if ((config.databaseUrl || databases.urls.size > 0) && !config.moduleDbSecret) {
      problems.push('MODULE_DB_SECRET: required with EXTRACTED_MODULES (every process must derive the same database role passwords)');
    }
    if (!config.databaseUrl) problems.push('DATABASE_URL: required with EXTRACTED_MODULES (the embedded database belongs to one process)');
  }
  const serviceOf = (module: string) => (extracted.includes(module) ? module : MONOLITH);
  const settings = new Map<string, RemoteCallSettings>();
  // One set per target service: the modules still in the monolith share its connections,
  // breaker and bulkhead (REMOTE_…_MONOLITH overrides them).
  for (const module of new Set([...remote.keys()].map(serviceOf))) {
    const resolved = { ...REMOTE_CALL_DEFAULTS };
    for (const [key, { name, min, max }] of Object.entries(SETTINGS_VARIABLES) as [keyof RemoteCallSettings, { name: string; min: number; max?: number }][]) {
      for (const variable of [name, `${name}_${module.toUpperCase()}`]) {
        const given = value(variable);
        if (given === undefined) continue;
        const number = Number(given);
        if (!Number.isInteger(number) || number < min || (max !== undefined && number > max)) {
          problems.push(`${variable}: an integer of at least ${min}${max === undefined ? '' : ` and at most ${max}`}`);
        } else resolved[key] = number;
      }
    }
    settings.set(module, resolved);
  }
  if (problems.length) throw new ConfigError(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return {
    process,
    hosted,
    extracted,
    handover,
    remote,
    databases: new Map([...databases.urls].filter(([module]) => hosted.includes(module))),
    serviceTokenSecret,
    serviceOf,
    resilienceFor: (service) => settings.get(service) ?? REMOTE_CALL_DEFAULTS,
  };
}

/** Every module in this process: the default of tests and of a monolith without extraction. */
export function allInOneProcess(modules: readonly string[], databases: ReadonlyMap<string, string> = new Map()): Placement {
  return {
    process: MONOLITH,
    hosted: [...modules],
    extracted: [],
    handover: [],
    remote: new Map(),
    databases,
    serviceTokenSecret: undefined,
    serviceOf: () => MONOLITH,
    resilienceFor: () => REMOTE_CALL_DEFAULTS,
  };
}

/** The placement of this process, for the platform parts that depend on it. */
export const PLACEMENT = Symbol('PLACEMENT');
