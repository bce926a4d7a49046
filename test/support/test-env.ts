/**
 * Where the tests find PostgreSQL and Redis: TEST_POSTGRES_URL and TEST_REDIS_URL when
 * they are set (a server of your own, for speed); otherwise the test run's global setup
 * starts throwaway servers (throwaway-services.ts) and sets both variables before any
 * test file or shop process starts, so every process of the run reads the same ones.
 */
export function testPostgresUrl(): string {
  return requiredUrl('TEST_POSTGRES_URL');
}

export function testRedisUrl(): string {
  return requiredUrl('TEST_REDIS_URL');
}

function requiredUrl(variable: string): string {
  const url = process.env[variable];
  if (!url) throw new Error(`${variable} is not set: the test run's global setup (test/support/global-setup.ts) sets it, or starts a server of its own`);
  return url;
}

/** The same server, another database. */
export function databaseUrl(database: string): string {
  const url = new URL(testPostgresUrl());
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
