import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { MONOLITH_MODULES } from '../../src/app.module.js';
import { PostgresEngine } from '../../src/platform/database/postgres-engine.js';
import { removeRunLog, runLogDirOf, secretsInRunLog } from './run-log.js';
import { isAlive, startThrowawayPostgres, startThrowawayRedis, type ThrowawayService } from './throwaway-services.js';
import { databaseUrl, RUN_ROLE_PREFIX, runRolePrefix, TEST_MODULE_DB_SECRET, testPostgresUrl } from './test-env.js';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
    /** MODULE_ROLE_PREFIX of this run's roles (see runRolePrefix). */
    moduleRolePrefix: string;
    /** Where every app of the run writes its log (run-log.ts). */
    runLogDir: string;
  }
}

/** What one test run prepares once for every project and file (see testRun). */
export interface TestRun {
  /** The test runner's pid: databases and roles are named after it. */
  runPid: number;
  templateDatabase: string;
  moduleRolePrefix: string;
  runLogDir: string;
  /**
   * Work that must end before the run's teardown drops its roles and searches its logs:
   * processes a project's global setup started, and their databases.
   */
  beforeTeardown(work: () => Promise<void>): void;
  /** Runs once, whichever global setup's teardown asks first. */
  teardown(): Promise<void>;
}

const RUN = Symbol.for('modular-shop.test-run');

/**
 * The run's template database, role prefix and log folder, prepared once per run.
 * Every Vitest project's global setup runs in the runner's process, but each loads its
 * files apart (and the root's runs last, its teardown first), so the one run is kept on
 * globalThis and each global setup asks for it.
 */
export function testRun(): Promise<TestRun> {
  const holder = globalThis as { [RUN]?: Promise<TestRun> };
  return (holder[RUN] ??= prepareRun());
}

/**
 * Migrates one template database per run; each test file then clones it with
 * `CREATE DATABASE … TEMPLATE`, which takes milliseconds instead of a migration run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const run = await testRun();
  project.provide('templateDatabase', run.templateDatabase);
  project.provide('moduleRolePrefix', run.moduleRolePrefix);
  project.provide('runLogDir', run.runLogDir);
  return () => run.teardown();
}

/**
 * TEST_POSTGRES_URL and TEST_REDIS_URL, or throwaway servers of the run's own when they
 * are unset (throwaway-services.ts). Set in this process's environment before any test
 * file runs, so the workers Vitest forks, and the shop processes the tests start,
 * inherit them. One line says which servers the run uses.
 */
async function servicesOfRun(): Promise<ThrowawayService[]> {
  const started: ThrowawayService[] = [];
  // Set by this run for its own servers: removed again when they stop (a watch-mode
  // restart in the same process must not find the addresses of stopped servers).
  const setHere: string[] = [];
  const forget = () => {
    for (const variable of setHere) delete process.env[variable];
  };
  const used: string[] = [];
  try {
    const kinds: [string, string, () => Promise<ThrowawayService>][] = [
      ['TEST_POSTGRES_URL', 'PostgreSQL', () => startThrowawayPostgres(process.pid)],
      ['TEST_REDIS_URL', 'Redis', () => startThrowawayRedis(process.pid)],
    ];
    for (const [variable, what, start] of kinds) {
      if (process.env[variable]) {
        used.push(`${what} at ${variable}`);
        continue;
      }
      const service = await start();
      started.push(service);
      process.env[variable] = service.url;
      setHere.push(variable);
      used.push(service.description);
    }
  } catch (error) {
    await Promise.allSettled(started.map((service) => service.stop()));
    forget();
    throw error;
  }
  console.log(`test run ${process.pid}: ${used.join('; ')}`);
  return started.map((service) => ({
    ...service,
    stop: async () => {
      await service.stop();
      forget();
    },
  }));
}

async function prepareRun(): Promise<TestRun> {
  const services = await servicesOfRun();
  try {
    return await prepareRunOn(services);
  } catch (error) {
    await Promise.allSettled(services.map((service) => service.stop()));
    throw error;
  }
}

async function prepareRunOn(services: ThrowawayService[]): Promise<TestRun> {
  const template = `shop_template_${process.pid}`;
  const rolePrefix = runRolePrefix(process.pid);
  const admin = new pg.Client({ connectionString: testPostgresUrl() });
  await admin.connect();
  await dropLeftovers(admin);
  await admin.query(`CREATE DATABASE ${template}`);
  const engine = new PostgresEngine({ url: databaseUrl(template), poolSize: 1, rolePrefix, roleSecret: TEST_MODULE_DB_SECRET });
  try {
    await engine.migrate(MONOLITH_MODULES);
  } finally {
    await engine.close();
  }
  const runLogDir = runLogDirOf(process.pid);
  const beforeTeardown: (() => Promise<void>)[] = [];
  let tornDown: Promise<void> | undefined;
  const teardown = async () => {
    await Promise.allSettled(beforeTeardown.map((work) => work()));
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
      await dropRoles(admin, (role) => role.startsWith(rolePrefix));
      await admin.end();
    } finally {
      // Whatever failed above, the run's own servers go, and a later run starts afresh.
      await Promise.allSettled(services.map((service) => service.stop()));
      delete (globalThis as { [RUN]?: Promise<TestRun> })[RUN];
    }
    // No secret may reach a log line, in any test: the whole run's log is searched.
    const findings = secretsInRunLog(runLogDir, rolePrefix, MONOLITH_MODULES);
    if (findings.length) {
      console.error(`\nSecrets were written to the log of this test run (kept in ${runLogDir}):\n  ${findings.slice(0, 50).join('\n  ')}`);
      process.exitCode = 1;
    } else {
      removeRunLog(runLogDir);
    }
  };
  return {
    runPid: process.pid,
    templateDatabase: template,
    moduleRolePrefix: rolePrefix,
    runLogDir,
    beforeTeardown: (work) => void beforeTeardown.push(work),
    teardown: () => (tornDown ??= teardown()),
  };
}

/**
 * Drops the roles `owned` picks. A role still holding privileges in a database that
 * was not dropped (a spec that failed to clean up) is left, and tried again next run.
 */
async function dropRoles(admin: pg.Client, owned: (role: string) => boolean): Promise<void> {
  const { rows } = await admin.query<{ rolname: string }>(`SELECT rolname FROM pg_roles WHERE rolname LIKE 'shop\\_t%'`);
  for (const { rolname } of rows) {
    if (owned(rolname)) await admin.query(`DROP ROLE IF EXISTS "${rolname}"`).catch(() => undefined);
  }
}

/** Databases left by runs that were killed: their owning process no longer exists. */
async function dropLeftovers(admin: pg.Client): Promise<void> {
  const { rows } = await admin.query<{ datname: string }>(
    `SELECT datname FROM pg_database WHERE datname ~ '^shop_(template|test)_[0-9]+'`,
  );
  for (const { datname } of rows) {
    const pid = Number(/^shop_(?:template|test)_(\d+)/.exec(datname)?.[1]);
    if (isAlive(pid)) continue;
    await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`).catch(() => undefined);
  }
  // Only roles named like a run's (shop_t<pid>_…), of a run that is gone.
  await dropRoles(admin, (role) => {
    const pid = RUN_ROLE_PREFIX.exec(role)?.[1];
    return pid !== undefined && !isAlive(Number(pid));
  });
}
