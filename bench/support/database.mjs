import pg from 'pg';

/**
 * Drops and re-creates `name` on the server behind `adminUrl` (a superuser connection)
 * and returns a connection string for the new database, same credentials.
 */
export async function freshDatabase(adminUrl, name) {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unsafe database name ${JSON.stringify(name)}`);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * The MODULE_ROLE_PREFIX of a bench database's shop. Roles are shared by every
 * database of a server, and a shop refuses roles another database created: each
 * bench database gets roles of its own, named after it (`shop_bench_catalog`).
 */
export function rolePrefixOf(databaseName) {
  return `${databaseName}_`;
}

/** Drops `name` (see freshDatabase) when a scenario is done with it; its roles stay, as they are shared by every run. */
export async function dropDatabase(adminUrl, name) {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unsafe database name ${JSON.stringify(name)}`);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
