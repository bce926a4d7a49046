import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';
import { inject } from 'vitest';
import { MONOLITH_MODULES } from '../../src/app.module.js';
import { freePort, renewPortLease } from './free-port.js';
import { spawnGateway } from './gateway.js';
import { httpClient, type HttpAnswer, type HttpClient, type RequestOptions } from './http-client.js';
import { runLogFile } from './run-log.js';
import {
  baseProcessEnv,
  distEntry,
  runContextOfTestFile,
  spawnShopProcess,
  type Exit,
  type RunContext,
  type SpawnedProcess,
} from './shop-process.js';
import { ADMIN } from './test-app.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';
import { testRedisUrl } from './test-env.js';
import { waitFor } from './wait-for.js';

/**
 * Placements: where the modules run. Each is a set of real child processes on loopback
 * (`node dist/main.js` for the monolith, `node dist/extracted/<module>/main.js` for each
 * extracted module), started with the environment of docs/extraction.md, sharing one
 * test database and one Redis (under a queue prefix of their own).
 *
 * - startPlacement(name): a placement of one's own, stopped with `stop()`.
 * - sharedPlacement(): in a scenario file (test/scenarios/), the placement of the
 *   file's project, shared with the project's other files (see vitest.config.ts and
 *   superviseSharedPlacements). `npx vitest run --project scenarios:monolith` runs the
 *   scenarios in one placement; `npx vitest run test/scenarios` in all five.
 *
 * Either answers HTTP routed to the process hosting each route's module, SQL on the
 * database, and what each process logged. With `gateway: true` (the shared placements
 * that extract modules), the public API goes through the strangler gateway
 * (`node dist/strangler-proxy/main.js`), which routes each extracted module's prefixes,
 * read from the monolith's routing manifest, to its service; the operators' `/ops/`
 * endpoints still go to the process hosting the module asked about. That is: what a user or an operator can observe,
 * and nothing of a process's insides, so the same scenario runs in every placement.
 */
export const PLACEMENT_NAMES = ['monolith', 'serializing', 'payments-inventory', 'all-but-ordering', 'payments-handover'] as const;
export type PlacementName = (typeof PLACEMENT_NAMES)[number];

export const MODULES: readonly string[] = MONOLITH_MODULES;

/** The name of the monolith's process; an extracted service's process is named after its module. */
export const MONOLITH = 'monolith';

interface PlacementDefinition {
  extracted: readonly string[];
  /** Extracted modules the monolith hosts as well (HANDOVER_MODULES), mid-move behind the gateway. */
  handover?: readonly string[];
  env: Record<string, string>;
}

const DEFINITIONS: Record<PlacementName, PlacementDefinition> = {
  /** All modules in one process. */
  monolith: { extracted: [], env: {} },
  /** One process; every contract message through the wire encoding, every idempotent command delivered twice. */
  serializing: { extracted: [], env: { CONTRACT_TRANSPORT_MODE: 'serializing-repeat' } },
  /** The monolith, and payments and inventory as services of their own. */
  'payments-inventory': { extracted: ['payments', 'inventory'], env: {} },
  /** The monolith hosting ordering alone, and a service for every other module. */
  'all-but-ordering': { extracted: MODULES.filter((module) => module !== 'ordering'), env: {} },
  /**
   * Payments mid-move: hosted by the monolith and by its service on one schema, both
   * relaying its outbox; behind the gateway, half of the users (by token) read payments
   * from the service, with fallback to the monolith. The checkout saga (ordering, in the
   * monolith) still calls payments in-process.
   */
  'payments-handover': { extracted: ['payments'], handover: ['payments'], env: {} },
};

/** The share of users the gateway of a placement sends to a handed-over module's service. */
export const HANDOVER_WEIGHT = 50;

/**
 * Each module's public routes, for sending test traffic to the process that hosts it
 * in placements without the gateway (the monolith's routing manifest says the same). Anything else goes to the monolith.
 */
export const ROUTE_PREFIXES: Record<string, readonly string[]> = {
  identity: ['/api/v1/identity', '/.well-known/jwks.json'],
  catalog: ['/api/v1/catalog'],
  inventory: ['/api/v1/inventory'],
  payments: ['/api/v1/payments'],
  shipping: ['/api/v1/shipping'],
  ordering: ['/api/v1/orders'],
  notifications: ['/api/v1/notifications'],
  reporting: ['/api/v1/reporting'],
};

/** One process of a placement, as a test file can be told of it (serializable, for `provide`). */
export interface PlacementProcessInfo {
  /** `monolith`, or the module an extracted service hosts. */
  name: string;
  modules: string[];
  url: string;
  /** Where everything it prints is written (a file of the run's log folder). */
  logFile: string;
}

/** What a global setup `provide`s of a placement it started, for the files that share it. */
export interface PlacementInfo {
  name: PlacementName;
  databaseUrl: string;
  /** EVENTS_QUEUE_PREFIX of its processes (their BullMQ queues and throttle counters in Redis). */
  queuePrefix: string;
  processes: PlacementProcessInfo[];
  /** The gateway in front of the public API, when the placement has one (its admin API needs `adminToken`). */
  gateway?: { url: string; adminUrl: string; adminToken: string; logFile: string };
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The placement the files of a scenario project run in (vitest.config.ts). */
    placementName: PlacementName;
    /** Where its files acquire the shared placement (placement-setup.ts). */
    placementControl: PlacementControl;
  }
}

/** One line a process logged (pino JSON), with the name of the process that logged it. */
export type LogLine = Record<string, unknown> & { process: string; msg?: string };

export interface Placement {
  readonly name: PlacementName;
  readonly info: PlacementInfo;
  /** Sends each request to the process hosting the module whose route it is (ROUTE_PREFIXES). */
  readonly http: HttpClient;
  /** SQL as the superuser on the placement's database: to arrange faults and to read what is stored. */
  sql<R extends Record<string, unknown> = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  /** The name of the process hosting `module` (the monolith, for a module it is handing over). */
  hostOf(module: string): string;
  /** Every process hosting `module`: one, or the monolith and the service of a module being handed over. */
  hostsOf(module: string): string[];
  /** Everything a process printed (every start of it), or every process's, one after the other. */
  output(processName?: string): string;
  /** The JSON lines of `output`, parsed. */
  logs(processName?: string): LogLine[];
  /**
   * The same, once every line the process(es) logged before this call has been read:
   * each is sent a request with a fresh request id, and its log line awaited. Output
   * comes through a pipe, so a line logged before an answer may not be read yet when
   * the answer arrives; after this, a line that is not there was not logged.
   */
  logsNow(processName?: string): Promise<LogLine[]>;
  adminToken(): Promise<string>;
  /** Registers a customer and returns its token and id. */
  customer(name?: string): Promise<{ token: string; id: string; email: string }>;
  /** Sends `signal` (SIGKILL unless told) to a process; waits for its exit unless the signal is SIGSTOP or SIGCONT. */
  kill(processName: string, signal?: NodeJS.Signals): Promise<Exit | undefined>;
  /** Starts a process again (stopping it first if it runs) on its port with its environment (plus `env`), and waits until it is ready. */
  restart(processName: string, options?: { env?: Record<string, string> }): Promise<void>;
  /** Starts again every process that is not running (killed and not restarted); answers their names. */
  revive(): Promise<string[]>;
  /** Stops every process (SIGTERM), drops the database; a placement it was only given, it just lets go of. */
  stop(): Promise<void>;
}

export interface StartPlacementOptions {
  /** Added to (and overriding) every process's environment. */
  env?: Record<string, string>;
  /** The run's log folder and role prefix, and where its template is; a test file's by default (inject). */
  run?: RunContext & { templateDatabase: string; runPid: number };
  /** How long every process has to become ready. */
  readyTimeoutMs?: number;
  /** Processes not started with the others (a service that has never run yet); `restart` starts one. */
  notStarted?: string[];
  /** Put the strangler gateway in front, sending each extracted module's routes (by module name) to its service. */
  gateway?: boolean;
}

/**
 * The settings test/support/test-app.ts gives an app for tests, as a process's
 * environment (JSON logs, which the scenarios read; fast event retries and polling; a
 * contract call deadline a loaded machine does not hit), and a checkout lease short
 * enough that the saga of a process that was killed is taken up again within seconds.
 */
const TEST_FRIENDLY_ENV: Record<string, string> = {
  DB_POOL_SIZE: '4',
  LOG_LEVEL: 'info',
  LOG_FORMAT: 'json',
  EVENTS_BACKOFF_MS: '20',
  EVENTS_MAX_ATTEMPTS: '5',
  EVENTS_POLL_MS: '200',
  CONTRACT_CALL_TIMEOUT_MS: '10000',
  CHECKOUT_LEASE_MS: '2000',
  CHECKOUT_RESUME_EVERY_MS: '200',
};

/** Which process hosts each module in a placement: every module not extracted is in the monolith. */
function layoutOf(name: PlacementName): { name: string; modules: string[]; entry: string }[] {
  const { extracted, handover = [] } = DEFINITIONS[name];
  return [
    { name: MONOLITH, modules: MODULES.filter((module) => !extracted.includes(module) || handover.includes(module)), entry: distEntry('main.js') },
    ...extracted.map((module) => ({ name: module, modules: [module], entry: distEntry(`extracted/${module}/main.js`) })),
  ];
}

/**
 * Starts a placement: a fresh test database, free ports chosen first (so that every
 * process is told where the others are), then every process at once, each awaited
 * until `/health/ready` answers. A process that exits or is not ready by the deadline
 * fails the start with its output; whatever had started is stopped again.
 */
export async function startPlacement(name: PlacementName, options: StartPlacementOptions = {}): Promise<Placement> {
  if (!DEFINITIONS[name]) throw new Error(`unknown placement "${name}" (the placements are ${PLACEMENT_NAMES.join(', ')})`);
  const run = options.run ?? { ...runContextOfTestFile(), templateDatabase: inject('templateDatabase'), runPid: process.ppid };
  const layout = layoutOf(name);
  const ports = new Map<string, number>();
  for (const proc of layout) ports.set(proc.name, await freePort());
  const urlOf = (processName: string) => `http://127.0.0.1:${ports.get(processName)}`;

  const database = await createTestDatabase({ template: run.templateDatabase, runPid: run.runPid });
  const keys = generateKeyPairSync('ed25519');
  const queuePrefix = `shop-scn-${randomBytes(4).toString('hex')}`;
  const { extracted, handover = [] } = DEFINITIONS[name];
  const sharedEnv: Record<string, string> = {
    ...TEST_FRIENDLY_ENV,
    DATABASE_URL: database.url,
    REDIS_URL: testRedisUrl(),
    EVENTS_QUEUE_PREFIX: queuePrefix,
    JWT_PRIVATE_KEY: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    JWT_PUBLIC_KEY: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    SERVICE_TOKEN_SECRET: randomBytes(32).toString('hex'),
    ...(extracted.length
      ? {
          EXTRACTED_MODULES: extracted.join(','),
          MONOLITH_URL: urlOf(MONOLITH),
          ...Object.fromEntries(extracted.map((module) => [`SERVICE_URL_${module.toUpperCase()}`, urlOf(module)])),
        }
      : {}),
    ...(handover.length ? { HANDOVER_MODULES: handover.join(',') } : {}),
    ...DEFINITIONS[name].env,
    ...options.env,
  };

  const members = new Map<string, Member>();
  for (const proc of layout) {
    const toRunLog = runLogFile(run.runLogDir, `placement-${name}-${proc.name}`);
    members.set(proc.name, {
      ...proc,
      port: ports.get(proc.name)!,
      env: { ...baseProcessEnv(run), ...sharedEnv },
      toRunLog,
      earlier: '',
      current: undefined,
    });
  }
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const spawn = (member: Member, env: Record<string, string>) => {
    renewPortLease(member.port);
    if (member.current) member.earlier += member.current.output();
    member.current = spawnShopProcess({
      entry: member.entry,
      port: member.port,
      env,
      toRunLog: member.toRunLog,
      label: `process "${member.name}" of placement ${name}`,
    });
    return member.current;
  };

  const stopAll = async (signal: NodeJS.Signals) => {
    await Promise.all([...members.values()].map((member) => member.current?.stop(signal)));
  };
  const cleanUp = async () => {
    await database.drop();
    for (const member of members.values()) rmSync(member.env.DATA_DIR!, { recursive: true, force: true });
    await forgetQueues(queuePrefix);
  };

  try {
    // The first failure fails the start at once; the others' readiness (the processes are
    // stopped next) is still awaited, so none is left unhandled.
    const readiness = [...members.values()]
      .filter((member) => !options.notStarted?.includes(member.name))
      .map(async (member) => spawn(member, member.env).ready(readyTimeoutMs));
    await Promise.all(readiness).finally(() => readiness.forEach((ready) => ready.catch(() => undefined)));
  } catch (error) {
    await stopAll('SIGKILL');
    await cleanUp();
    throw new Error(`placement ${name} did not start: ${(error as Error).message}`);
  }

  let gateway: RunningPlacementGateway | undefined;
  if (options.gateway && extracted.length) {
    try {
      gateway = await startPlacementGateway(
        name,
        run,
        urlOf(MONOLITH),
        extracted.map((module) => ({ module, url: urlOf(module), handover: handover.includes(module) })),
      );
    } catch (error) {
      await stopAll('SIGKILL');
      await cleanUp();
      throw new Error(`placement ${name} did not start its gateway: ${(error as Error).message}`);
    }
  }

  const info: PlacementInfo = {
    name,
    databaseUrl: database.url,
    queuePrefix,
    ...(gateway ? { gateway: { url: gateway.url, adminUrl: gateway.adminUrl, adminToken: gateway.adminToken, logFile: gateway.logFile } } : {}),
    processes: [...members.values()].map((member) => ({
      name: member.name,
      modules: member.modules,
      url: urlOf(member.name),
      logFile: member.toRunLog.file,
    })),
  };
  const memberOf = (processName: string) => {
    const member = members.get(processName);
    if (!member) throw new Error(`placement ${name} has no process "${processName}" (it has ${[...members.keys()].join(', ')})`);
    return member;
  };
  let stopped: Promise<void> | undefined;
  return {
    ...clientOf(info, {
      sql: database.sql,
      output: (processName) => {
        const member = memberOf(processName);
        return member.earlier + (member.current?.output() ?? '');
      },
    }),
    async kill(processName, signal = 'SIGKILL') {
      const member = memberOf(processName);
      const current = member.current;
      if (!current) return undefined; // never started
      if (!current.running()) return current.exited;
      // Its port is free from now until a restart: nobody else is to be given it.
      renewPortLease(member.port);
      current.child.kill(signal);
      if (signal === 'SIGSTOP' || signal === 'SIGCONT') return undefined;
      return current.exited;
    },
    async restart(processName, restartOptions = {}) {
      const member = memberOf(processName);
      renewPortLease(member.port);
      await member.current?.stop('SIGTERM');
      await spawn(member, { ...member.env, ...restartOptions.env }).ready(readyTimeoutMs);
    },
    async revive() {
      const down = [...members.values()].filter((member) => !member.current?.running());
      await Promise.all(down.map((member) => spawn(member, member.env).ready(readyTimeoutMs)));
      return down.map((member) => member.name);
    },
    stop() {
      stopped ??= (async () => {
        await gateway?.process.stop('SIGTERM');
        if (gateway) rmSync(gateway.dir, { recursive: true, force: true });
        await stopAll('SIGTERM');
        await cleanUp();
      })();
      return stopped;
    },
  };
}

interface RunningPlacementGateway {
  process: SpawnedProcess;
  url: string;
  adminUrl: string;
  adminToken: string;
  logFile: string;
  dir: string;
}

/**
 * The strangler gateway in front of a placement: the monolith as its default upstream,
 * and one route per extracted module, by module name (so the prefixes come from the
 * monolith's routing manifest), without rate limits (every test client is 127.0.0.1).
 * A module that has left the monolith is routed at weight 100 without fallback (the
 * monolith no longer hosts it); a module being handed over, at HANDOVER_WEIGHT by
 * token, with fallback to the monolith, which still hosts it.
 */
async function startPlacementGateway(
  name: PlacementName,
  run: RunContext,
  monolithUrl: string,
  services: { module: string; url: string; handover: boolean }[],
): Promise<RunningPlacementGateway> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'placement-gateway-'));
  const routesFile = path.join(dir, 'routes.json');
  writeFileSync(
    routesFile,
    JSON.stringify({
      monolith: { instances: [monolithUrl] },
      rateLimits: { perClientAddress: null, perUser: null },
      headerOverride: { enabled: true },
      routes: services.map(({ module, url, handover }) => ({
        name: module,
        module,
        target: { instances: [url] },
        ...(handover ? { weight: HANDOVER_WEIGHT, stickiness: 'jwt-sub', fallback: true } : { weight: 100, fallback: false }),
      })),
    }),
  );
  const toRunLog = runLogFile(run.runLogDir, `placement-${name}-gateway`);
  const { spawned, url, adminUrl, adminToken } = await spawnGateway({ routesFile, stateFile: path.join(dir, 'state.json'), toRunLog, label: `the gateway of placement ${name}` });
  const health = `${adminUrl}/health`;
  try {
    await spawned.ready();
    // Routes by module name are active once the monolith's manifest has arrived.
    await waitFor(async () => ((await (await fetch(health)).json()) as { manifest: string }).manifest === 'loaded', {
      what: `the gateway of placement ${name} to read the routing manifest`,
    });
  } catch (error) {
    await spawned.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return { process: spawned, url, adminUrl, adminToken, logFile: toRunLog.file, dir };
}

interface Member {
  name: string;
  modules: string[];
  entry: string;
  port: number;
  env: Record<string, string>;
  toRunLog: ((text: string) => void) & { file: string };
  /** What earlier runs of this process printed (before a restart). */
  earlier: string;
  current: SpawnedProcess | undefined;
}

/** Where a test file asks the run's placement supervisor for a shared placement (provided by placement-setup.ts). */
export interface PlacementControl {
  url: string;
  token: string;
}

/**
 * The placement the files of a scenario project share, booted by the run's supervisor
 * (superviseSharedPlacements) when the first of them asks, and kept until the run ends
 * or another placement needs the machine. It gives HTTP, SQL and the processes' output
 * (read from their log files); `stop()` lets go of it (the processes run on).
 *
 * `exclusive`: for scenarios that act on the whole shop (kill a process, break a table,
 * rebuild a read model). The answer waits until no other file holds the placement, and
 * no other file gets it until this one lets go; only then do `kill` and `restart` work
 * (the supervisor does them, since the processes are its children).
 */
export async function sharedPlacement(options: { exclusive?: boolean } = {}): Promise<Placement> {
  const name = inject('placementName');
  const control = inject('placementControl');
  if (!name || !control) {
    throw new Error('no placement to share: the scenario specs run in the scenarios:<placement> projects of vitest.config.ts');
  }
  const call = async <T>(action: string, body: Record<string, unknown>): Promise<T> => {
    const answer = await fetch(`${control.url}/placements/${name}/${action}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${control.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answered = (await answer.json()) as T & { error?: string };
    if (!answer.ok) throw new Error(answered.error ?? `the placement supervisor answered ${answer.status} to ${action}`);
    return answered;
  };
  const { info, lease } = await call<{ info: PlacementInfo; lease: string }>('acquire', { exclusive: options.exclusive ?? false });
  const pool = new pg.Pool({ connectionString: info.databaseUrl, max: 2 });
  pool.on('error', () => undefined);
  const client = clientOf(info, {
    sql: async (text, params) => (await pool.query(text, params)).rows,
    output: (processName) => readFileSync(info.processes.find((p) => p.name === processName)!.logFile, 'utf8'),
  });
  let released: Promise<void> | undefined;
  return {
    ...client,
    kill: async (processName, signal = 'SIGKILL') => (await call<{ exit?: Exit }>('kill', { lease, processName, signal })).exit,
    restart: async (processName, restartOptions = {}) => {
      await call('restart', { lease, processName, env: restartOptions.env ?? {} });
    },
    revive: async () => (await call<{ revived: string[] }>('revive', { lease })).revived,
    stop: () =>
      (released ??= (async () => {
        await pool.end();
        await call('release', { lease });
      })()),
  };
}

interface Supervised {
  started?: Promise<{ placement: Placement } | { error: string }>;
  /** Leases held: an id each, and whether it is exclusive. */
  leases: Map<string, boolean>;
  /** Exclusive requests waiting: they go before shared requests that come after them. */
  exclusiveWaiting: number;
  /** Woken whenever a lease is let go. */
  waiting: (() => void)[];
}

/**
 * The run's shared placements, in the test runner's own process (a project's global
 * setup starts it): a loopback endpoint where a test file acquires its project's
 * placement, booting it on first demand, and releases it when done. A placement is
 * booted once per run, when its files start: booting every placement up front would
 * keep all their processes (and their database connections, of which the server has
 * 100 for everyone) alive through the whole run, next to the rest of the suite. When a
 * placement is booted, the placements no file holds are stopped first. One that fails
 * to start fails every file that asks for it, at once, with the reason.
 */
export async function superviseSharedPlacements(
  run: RunContext & { templateDatabase: string; runPid: number },
): Promise<{ control: PlacementControl; close(): Promise<void> }> {
  const token = randomBytes(24).toString('hex');
  const placements = new Map<PlacementName, Supervised>();
  const entryOf = (name: PlacementName) => {
    let entry = placements.get(name);
    if (!entry) placements.set(name, (entry = { leases: new Map(), exclusiveWaiting: 0, waiting: [] }));
    return entry;
  };
  const stopIdle = async (except: PlacementName) => {
    for (const [name, entry] of placements) {
      if (name === except || entry.leases.size > 0 || !entry.started) continue;
      const started = await entry.started;
      // A placement that failed to start keeps its answer; one a file took meanwhile stays.
      if (!('placement' in started) || entry.leases.size > 0) continue;
      entry.started = undefined;
      await started.placement.stop();
    }
  };
  const start = (name: PlacementName, entry: Supervised) => {
    const since = Date.now();
    entry.started ??= stopIdle(name)
      .then(() => startPlacement(name, { run, gateway: true }))
      .then(
        (placement) => {
          console.info(`placement ${name}: ${placement.info.processes.length} process(es) ready in ${Date.now() - since} ms`);
          return { placement };
        },
        (error: Error) => ({ error: error.message }),
      );
    return entry.started;
  };
  const acquire = async (name: PlacementName, exclusive: boolean) => {
    const entry = entryOf(name);
    const free = () =>
      ![...entry.leases.values()].includes(true) && (exclusive ? entry.leases.size === 0 : entry.exclusiveWaiting === 0);
    if (exclusive) entry.exclusiveWaiting++;
    try {
      while (!free()) await new Promise<void>((resolve) => entry.waiting.push(resolve));
    } finally {
      if (exclusive) entry.exclusiveWaiting--;
    }
    const lease = randomBytes(8).toString('hex');
    entry.leases.set(lease, exclusive);
    const started = await start(name, entry);
    if ('error' in started) {
      await release(name, lease);
      return { status: 503, body: started };
    }
    return { status: 200, body: { info: started.placement.info, lease } };
  };
  /**
   * Lets a lease go. A file that held the placement exclusively and left a process down
   * (a kill it did not undo, a failed restart) does not pass that on: whatever is down
   * is started again before the next file gets the placement.
   */
  const release = async (name: PlacementName, lease: string) => {
    const entry = entryOf(name);
    try {
      if (entry.leases.get(lease) === true) {
        const started = await entry.started;
        if (started && 'placement' in started) {
          const revived = await started.placement.revive();
          if (revived.length) console.warn(`placement ${name}: started ${revived.join(', ')} again, left down by an exclusive holder`);
        }
      }
    } finally {
      entry.leases.delete(lease);
      for (const wake of entry.waiting.splice(0)) wake();
    }
  };
  /** kill, restart and revive, for the holder of the exclusive lease only. */
  const act = async (
    name: PlacementName,
    request: { lease?: string; processName?: string; signal?: string; env?: Record<string, string> },
    action: 'kill' | 'restart' | 'revive',
  ) => {
    const entry = entryOf(name);
    if (!request.lease || entry.leases.get(request.lease) !== true) {
      return { status: 409, body: { error: `${action} needs the exclusive lease of placement ${name}: sharedPlacement({ exclusive: true })` } };
    }
    const started = await entry.started!;
    if (!('placement' in started)) return { status: 503, body: started };
    const { placement } = started;
    switch (action) {
      case 'kill':
        return { status: 200, body: { exit: await placement.kill(request.processName!, request.signal as NodeJS.Signals) } };
      case 'restart':
        await placement.restart(request.processName!, { env: request.env });
        return { status: 200, body: {} };
      case 'revive':
        return { status: 200, body: { revived: await placement.revive() } };
    }
  };

  const server = createServer((request, response) => {
    const reply = ({ status, body }: { status: number; body: unknown }) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body ?? {}));
    };
    const route = /^\/placements\/([a-z-]+)\/(acquire|release|kill|restart|revive)$/.exec(request.url ?? '');
    if (request.method !== 'POST' || request.headers.authorization !== `Bearer ${token}`) return reply({ status: 401, body: {} });
    if (!route || !PLACEMENT_NAMES.includes(route[1] as PlacementName)) return reply({ status: 404, body: {} });
    const name = route[1] as PlacementName;
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (text += chunk));
    request.on('end', () => {
      const answer = async () => {
        const body = (text ? JSON.parse(text) : {}) as { exclusive?: boolean; lease?: string; processName?: string; signal?: string; env?: Record<string, string> };
        switch (route[2]) {
          case 'acquire':
            return acquire(name, body.exclusive === true);
          case 'release':
            await release(name, body.lease ?? '');
            return { status: 200, body: {} };
          default:
            return act(name, body, route[2] as 'kill' | 'restart' | 'revive');
        }
      };
      answer().then(reply, (error: Error) => reply({ status: 500, body: { error: error.message } }));
    });
  });
  // Acquiring waits for a boot or for another file's lease: no timeout of the server's cuts it short.
  server.requestTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    control: { url: `http://127.0.0.1:${port}`, token },
    close: () =>
      (closed ??= (async () => {
        server.close();
        server.closeAllConnections();
        await Promise.all(
          [...placements.values()].map(async (entry) => {
            const started = await entry.started;
            if (started && 'placement' in started) await started.placement.stop();
          }),
        );
      })()),
  };
}

/** The part of a Placement that needs no ownership of its processes. */
function clientOf(
  info: PlacementInfo,
  access: { sql: TestDatabase['sql']; output: (processName: string) => string },
): Omit<Placement, 'kill' | 'restart' | 'revive' | 'stop'> {
  const hostOf = (module: string) => {
    const host = info.processes.find((proc) => proc.modules.includes(module));
    if (!host) throw new Error(`no process of placement ${info.name} hosts module "${module}"`);
    return host.name;
  };
  const hostsOf = (module: string) => info.processes.filter((proc) => proc.modules.includes(module)).map((proc) => proc.name);
  const urls = new Map(info.processes.map((proc) => [proc.name, proc.url]));
  const http = routedHttpClient((path, options) => {
    if (info.gateway && !path.startsWith('/ops/')) return info.gateway.url;
    const module = moduleOfRoute(path, options);
    return urls.get(module === undefined ? MONOLITH : hostOf(module))!;
  });
  const output = (processName?: string) =>
    processName === undefined ? info.processes.map((proc) => access.output(proc.name)).join('') : access.output(processName);
  const logs = (processName?: string): LogLine[] =>
    (processName === undefined ? info.processes.map((proc) => proc.name) : [processName]).flatMap((name) =>
      access
        .output(name)
        .split('\n')
        .filter((line) => line.startsWith('{') && line.endsWith('}'))
        .flatMap((line) => {
          try {
            return [{ ...(JSON.parse(line) as Record<string, unknown>), process: name }];
          } catch {
            return [];
          }
        }),
    );
  const logsNow = async (processName?: string) => {
    const names = processName === undefined ? info.processes.map((proc) => proc.name) : [processName];
    await Promise.all(
      names.map(async (name) => {
        const requestId = `log-barrier-${randomBytes(8).toString('hex')}`;
        const answer = await fetch(`${urls.get(name)}/health/live`, { headers: { 'x-request-id': requestId } });
        if (!answer.ok) throw new Error(`process ${name} answered ${answer.status} to /health/live`);
        await waitFor(() => access.output(name).includes(`"requestId":"${requestId}"`), {
          what: `process ${name} to log request ${requestId}`,
        });
      }),
    );
    return logs(processName);
  };
  let adminToken: string | undefined;
  let counter = 0;
  return {
    name: info.name,
    info,
    http,
    sql: access.sql,
    hostOf,
    hostsOf,
    output,
    logs,
    logsNow,
    async adminToken() {
      if (!adminToken) {
        const answer = await http.post('/api/v1/identity/login', { body: ADMIN });
        if (answer.status !== 200) throw new Error(`admin login failed: ${answer.status} ${answer.text}`);
        adminToken = answer.body.accessToken as string;
      }
      return adminToken;
    },
    async customer(name = 'Customer') {
      const email = `customer-${process.pid}-${++counter}-${Date.now()}@test.local`;
      const password = 'customer-password-1';
      const registered = await http.post('/api/v1/identity/register', { body: { email, password, name } });
      if (registered.status !== 201) throw new Error(`register failed: ${registered.status} ${registered.text}`);
      const login = await http.post('/api/v1/identity/login', { body: { email, password } });
      if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.text}`);
      return { token: login.body.accessToken as string, id: registered.body.id as string, email };
    },
  };
}

/**
 * The module a request is for: the one whose route prefix the path has; for the events
 * operator endpoints (/ops/events/…), the module asked about (a dead letter's consumer,
 * a replay's publisher). Undefined for anything else (/health, /docs): the monolith's.
 */
export function moduleOfRoute(path: string, options: RequestOptions = {}): string | undefined {
  const [pathname, search = ''] = path.split('?') as [string, string?];
  for (const [module, prefixes] of Object.entries(ROUTE_PREFIXES)) {
    if (prefixes.some((prefix) => pathname === prefix || pathname.startsWith(`${prefix}/`))) return module;
  }
  if (pathname.startsWith('/ops/events/')) {
    const body = (options.body ?? {}) as { consumer?: unknown; publisher?: unknown };
    const asked = new URLSearchParams(search).get('consumer') ?? body.consumer ?? body.publisher;
    if (typeof asked === 'string' && MODULES.includes(asked)) return asked;
  }
  return undefined;
}

/** An HttpClient whose every request goes to the base URL `baseOf` picks for it. */
function routedHttpClient(baseOf: (path: string, options?: RequestOptions) => string): HttpClient {
  const clients = new Map<string, HttpClient>();
  const clientFor = (base: string) => {
    let client = clients.get(base);
    if (!client) clients.set(base, (client = httpClient(base)));
    return client;
  };
  const request = <T = any>(method: string, path: string, options?: RequestOptions): Promise<HttpAnswer<T>> =>
    clientFor(baseOf(path, options)).request<T>(method, path, options);
  return {
    request,
    get: (path, options) => request('GET', path, options),
    post: (path, options) => request('POST', path, options),
    put: (path, options) => request('PUT', path, options),
    patch: (path, options) => request('PATCH', path, options),
    delete: (path, options) => request('DELETE', path, options),
  };
}

/** Removes a placement's keys from the shared Redis (its queues, its throttle counters). */
async function forgetQueues(prefix: string): Promise<void> {
  const redis = new Redis(testRedisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } catch {
    // Redis is a shared server: keys left behind cost memory, not correctness.
  } finally {
    redis.disconnect();
  }
}
