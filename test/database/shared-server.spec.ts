import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { createTestDatabase, testRolePrefix, type TestDatabase } from '../support/test-database.js';
import { testPostgresUrl } from '../support/test-env.js';

/**
 * Roles are cluster-wide: two shops on one PostgreSQL server, each with its own
 * database and MODULE_DB_SECRET, must not share `<prefix><module>` roles, or the
 * second resets the first one's passwords and the first one's pools fail at their next
 * reconnect. A shop changes no role it did not create: it stops at startup, naming
 * MODULE_ROLE_PREFIX.
 */
describe('two shops on one PostgreSQL server', () => {
  const prefix = `${testRolePrefix()}shared_`;
  const databases: TestDatabase[] = [];
  let first: TestApp;
  const admin = new pg.Client({ connectionString: testPostgresUrl() });

  const database = async () => {
    const created = await createTestDatabase();
    databases.push(created);
    return created;
  };
  const shopOn = (db: TestDatabase, env: Record<string, string>) => startTestApp({ database: db, env });

  beforeAll(async () => {
    await admin.connect();
    first = await shopOn(await database(), { MODULE_ROLE_PREFIX: prefix, MODULE_DB_SECRET: 'the-first-shops-own-secret' });
  });
  afterAll(async () => {
    await first?.close({ keepData: true });
    for (const db of databases) await db.drop();
    await admin.end();
  });

  it("should refuse to start a second shop on another database with the first one's role prefix", async () => {
    const second = await database();
    const starting = shopOn(second, { MODULE_ROLE_PREFIX: prefix, MODULE_DB_SECRET: 'the-second-shops-secret' });
    await expect(starting).rejects.toThrow(/MODULE_ROLE_PREFIX/);
    await expect(starting).rejects.toThrow(new RegExp(`"${prefix}signals" already exists.*another MODULE_DB_SECRET`, 's'));
  });

  it("should leave the first shop's roles alone: it reconnects and serves as before", async () => {
    // Every connection dropped: the pools must log in again with their passwords.
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [first.database!.name]);
    const login = await first.http.post('/api/v1/identity/login', { body: { email: 'admin@test.local', password: 'admin-password-123' } });
    expect(login.status).toBe(200);
    expect((await first.http.get('/health/ready')).status).toBe(200);
  });

  it('should start the second shop once it has roles of its own', async () => {
    const second = await shopOn(await database(), { MODULE_ROLE_PREFIX: `${testRolePrefix()}other_`, MODULE_DB_SECRET: 'the-second-shops-secret' });
    try {
      expect((await second.http.get('/health/ready')).status).toBe(200);
    } finally {
      await second.close({ keepData: true });
    }
  });

  it('should refuse a role of its name that something else created', async () => {
    const foreign = `${testRolePrefix()}dba_`;
    await admin.query(`CREATE ROLE "${foreign}catalog" NOLOGIN`);
    try {
      await expect(shopOn(await database(), { MODULE_ROLE_PREFIX: foreign })).rejects.toThrow(
        new RegExp(`"${foreign}catalog" already exists.*this shop did not create it.*MODULE_ROLE_PREFIX`, 's'),
      );
      // Refused before anything was provisioned: not even the roles that were free.
      const { rows } = await admin.query('SELECT rolname FROM pg_roles WHERE rolname LIKE $1', [`${foreign}%`]);
      expect(rows).toEqual([{ rolname: `${foreign}catalog` }]);
    } finally {
      await admin.query(`DROP OWNED BY "${foreign}catalog"`).catch(() => undefined);
    }
  });

  it("should refuse a copy of the first shop's database started with another secret, though it grants the roles their schemas", async () => {
    await first.close({ keepData: true });
    // A staging copy made from the first shop's database: its grants name the first shop's roles.
    const copy = `${first.database!.name}_copy`;
    await admin.query(`CREATE DATABASE ${copy} TEMPLATE ${first.database!.name}`);
    databases.push({ ...first.database!, name: copy, drop: () => admin.query(`DROP DATABASE IF EXISTS ${copy} WITH (FORCE)`).then(() => undefined) });
    const url = new URL(first.database!.url);
    url.pathname = `/${copy}`;
    const copied = { ...first.database!, name: copy, url: url.toString() };
    await expect(shopOn(copied, { MODULE_ROLE_PREFIX: prefix, MODULE_DB_SECRET: 'the-staging-copys-secret' })).rejects.toThrow(/another MODULE_DB_SECRET/);
    // With the first shop's own secret, the copy is the same shop and starts.
    const same = await shopOn(copied, { MODULE_ROLE_PREFIX: prefix, MODULE_DB_SECRET: 'the-first-shops-own-secret' });
    await same.close({ keepData: true });
  });

  it('should restart the first shop on its own database as before, and let it rotate its secret', async () => {
    first = await shopOn(first.database!, { MODULE_ROLE_PREFIX: prefix, MODULE_DB_SECRET: 'the-first-shops-own-secret' });
    expect((await first.http.get('/health/ready')).status).toBe(200);
    await first.close({ keepData: true });
    const rotated = { MODULE_ROLE_PREFIX: prefix, MODULE_DB_SECRET: 'the-first-shops-new-secret', MODULE_DB_SECRET_PREVIOUS: 'the-first-shops-own-secret' };
    first = await shopOn(first.database!, rotated);
    expect((await first.http.post('/api/v1/identity/login', { body: { email: 'admin@test.local', password: 'admin-password-123' } })).status).toBe(200);
    await first.close({ keepData: true });
    // The roles are the new secret's now: the old one alone no longer claims them.
    await expect(shopOn(first.database!, { MODULE_ROLE_PREFIX: prefix, MODULE_DB_SECRET: 'the-first-shops-own-secret' })).rejects.toThrow(
      /another MODULE_DB_SECRET/,
    );
    first = await shopOn(first.database!, { MODULE_ROLE_PREFIX: prefix, MODULE_DB_SECRET: 'the-first-shops-new-secret' });
    expect((await first.http.get('/health/ready')).status).toBe(200);
  });

  it('should take its roles back once an administrator clears their comments, when the secret was lost', async () => {
    await first.close({ keepData: true });
    const lost = { MODULE_ROLE_PREFIX: prefix, MODULE_DB_SECRET: 'a-secret-nobody-had-before' };
    await expect(shopOn(first.database!, lost)).rejects.toThrow(/COMMENT ON ROLE/);
    const { rows } = await admin.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1)', [prefix]);
    for (const { rolname } of rows) await admin.query(`COMMENT ON ROLE "${rolname}" IS NULL`);
    first = await shopOn(first.database!, lost);
    expect((await first.http.get('/health/ready')).status).toBe(200);
  });
});

describe('the connections a running shop holds', () => {
  let shop: TestApp;

  beforeAll(async () => {
    shop = await startTestApp();
    // Some work in every module, so each pool has connected.
    expect((await shop.http.get('/api/v1/catalog/products')).status).toBe(200);
    await shop.adminToken();
  });
  afterAll(async () => {
    await shop.close();
  });

  it('should hold none with the provisioning login once it has started', async () => {
    const probe = new pg.Client({ connectionString: testPostgresUrl(), application_name: 'shared-server-probe' });
    await probe.connect();
    try {
      const { rows } = await probe.query<{ usename: string; application_name: string }>(
        `SELECT usename, application_name FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'`,
        [shop.database!.name],
      );
      expect(rows.length).toBeGreaterThan(2);
      const provisioning = new URL(testPostgresUrl()).username;
      expect(rows.filter((row) => row.usename === provisioning)).toEqual([]);
      const prefix = testRolePrefix();
      for (const row of rows) expect(row.usename.startsWith(prefix), `${row.usename} (${row.application_name})`).toBe(true);
      expect(rows.map((row) => row.usename)).toContain(`${prefix}signals`);
    } finally {
      await probe.end();
    }
  });

  it('should give the signals role nothing but LISTEN and NOTIFY', async () => {
    const url = new URL(shop.database!.url);
    url.username = `${testRolePrefix()}signals`;
    const { moduleRolePassword } = await import('../../src/platform/database/module-role-secret.js');
    const { TEST_MODULE_DB_SECRET } = await import('../support/test-env.js');
    url.password = moduleRolePassword(TEST_MODULE_DB_SECRET, url.username);
    const signals = new pg.Client({ connectionString: url.toString() });
    await signals.connect();
    try {
      await signals.query('LISTEN shop_outbox');
      await signals.query("SELECT pg_notify('shop_outbox', 'nothing')");
      for (const table of ['identity.users', 'ordering.orders', 'payments.payments', 'catalog.outbox']) {
        await expect(signals.query(`SELECT 1 FROM ${table} LIMIT 1`), table).rejects.toThrow(/permission denied/);
      }
      await expect(signals.query('CREATE TABLE public.intruder (id int)')).rejects.toThrow(/permission denied/);
    } finally {
      await signals.end();
    }
  });
});
