/**
 * Where the tests find PostgreSQL and Redis. The defaults are the services on this
 * machine (../shared/STACK.md); override them for another setup.
 */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The same server, another database. */
export function databaseUrl(database: string): string {
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Module role passwords derive from this in tests (the local server trusts loopback anyway). */
export const TEST_MODULE_DB_SECRET = 'test-module-db-secret-0123456789';

/**
 * Roles are shared by every database of a PostgreSQL server, and a shop refuses roles
 * another database created. So a test run provisions roles of its own, named after
 * the run (`shop_t<pid>_<module>`), and drops them at the end (global-setup.ts);
 * another shop on the same server, or another run, is never touched.
 */
export function runRolePrefix(runPid: number): string {
  return `shop_t${runPid}_`;
}

/** Matches the role prefix of any run, capturing the run's pid (for leftovers of killed runs). */
export const RUN_ROLE_PREFIX = /^shop_t(\d+)_/;
