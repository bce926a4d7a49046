import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresEngine } from '../../src/platform/database/postgres-engine.js';
import { extractData, verificationRows } from '../support/extract-data.js';
import { createTestDatabase, testRolePrefix, type TestDatabase } from '../support/test-database.js';
import { TEST_MODULE_DB_SECRET } from '../support/test-env.js';
import { waitFor } from '../support/wait-for.js';

/**
 * `npm run extract:data` on its own (test/placement/data-move.spec.ts runs it on a live
 * shop): what it copies, what it refuses, and that a run stopped midway leaves nothing.
 */
describe('extract:data', () => {
  let source: TestDatabase;
  const targets: TestDatabase[] = [];
  const emptyDatabase = async () => {
    const database = await createTestDatabase({ template: 'template0' });
    targets.push(database);
    return database;
  };
  const from = () => ({ DATABASE_URL: source.url });
  const orderIds = [randomUUID(), randomUUID()];

  beforeAll(async () => {
    source = await createTestDatabase();
    // Rows of every kind the modules keep: arrays, jsonb, a generated column, timestamps,
    // sequences, foreign keys (order lines and sagas after their orders), inbox and dead letters.
    for (const [i, name] of ['Kettle', 'Teapot', 'Mug ☕'].entries()) {
      await source.sql(
        `INSERT INTO catalog.products (name, description, images, category, tags, price_amount, currency, created_at)
         VALUES ($1, 'for tea', '[{"url":"https://img.example/1.png"}]', 'kitchen', ARRAY['tea', 'hot'], $2, 'EUR', '2026-01-0${i + 1}T10:00:00.123456Z')`,
        [name, 1000 + i],
      );
    }
    for (let i = 0; i < 3; i++) {
      await source.sql(
        `INSERT INTO catalog.outbox (id, type, version, payload, occurred_at, correlation_id, causation_id, published_at)
         VALUES ($1, 'catalog.ProductCreated', 1, '{"n": 1.5}', now(), 'c', 'c', CASE WHEN $2 THEN now() END)`,
        [randomUUID(), i < 2],
      );
    }
    for (const id of orderIds) {
      await source.sql(
        `INSERT INTO ordering.orders (id, user_id, status, total_amount, currency, shipping_address, payment_token, idempotency_key, request_hash)
         VALUES ($1, $2, 'CONFIRMED', 2400, 'EUR', '{"city": "Berlin"}', 'tok_x', $3, 'h')`,
        [id, randomUUID(), randomUUID()],
      );
      await source.sql(
        `INSERT INTO ordering.order_lines (order_id, line_no, product_id, sku, quantity, unit_amount, currency, product_name)
         VALUES ($1, 1, $2, 'SKU-1', 2, 1200, 'EUR', 'Kettle')`,
        [id, randomUUID()],
      );
      await source.sql(`INSERT INTO ordering.checkout_sagas (order_id, state, started_steps) VALUES ($1, 'DONE', ARRAY['stock', 'payment'])`, [id]);
    }
    const eventId = randomUUID();
    await source.sql(`INSERT INTO notifications.inbox (event_id, subscription) VALUES ($1, 'notifications.order-confirmed')`, [eventId]);
    await source.sql(
      `INSERT INTO notifications.dead_letters (event_id, subscription, envelope, attempts, last_error)
       VALUES ($1, 'notifications.order-confirmed', '{"type": "ordering.OrderConfirmed"}', 5, 'mail server down')`,
      [eventId],
    );
  }, 60_000);
  afterAll(async () => {
    await Promise.all([source?.drop(), ...targets.map((t) => t.drop())]);
  });

  const rowsOf = async (database: TestDatabase, table: string) =>
    database.sql(`SELECT * FROM ${table} ORDER BY 1, 2`).then((rows) => JSON.stringify(rows));

  it.each([
    ['catalog', ['catalog.products', 'catalog.outbox']],
    ['ordering', ['ordering.orders', 'ordering.order_lines', 'ordering.checkout_sagas', 'ordering.outbox']],
    ['notifications', ['notifications.inbox', 'notifications.dead_letters', 'notifications.notifications']],
  ])('should copy %s whole, with its role, and print a verification table that matches', async (module, tables) => {
    const target = await emptyDatabase();
    const run = await extractData([module, '--to', target.url], from());
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const rows = verificationRows(run.stdout);
    expect(rows.map((row) => row.object)).toEqual(expect.arrayContaining([...tables, `${module}.__migrations`]));
    for (const row of rows) expect(row, row.object).toMatchObject({ match: 'yes', targetRows: row.sourceRows, targetChecksum: row.sourceChecksum });
    for (const table of tables) expect(await rowsOf(target, table), table).toBe(await rowsOf(source, table));
    // Its migration history came along: a shop starting on the target has nothing to migrate, and its role may use the tables.
    expect(await rowsOf(target, `${module}.__migrations`)).toBe(await rowsOf(source, `${module}.__migrations`));
    const engine = new PostgresEngine({ url: target.url, poolSize: 1, rolePrefix: testRolePrefix(), roleSecret: TEST_MODULE_DB_SECRET });
    try {
      await engine.migrate([module]);
      const answer = (await engine.forModule(module).db.execute(sql.raw(`SELECT count(*)::int AS n FROM ${tables[0]}`))) as unknown as { rows: { n: number }[] };
      const [count] = answer.rows;
      expect(count!.n).toBe(Number(rows.find((row) => row.object === tables[0])!.sourceRows));
    } finally {
      await engine.close();
    }
    expect(await rowsOf(target, `${module}.__migrations`)).toBe(await rowsOf(source, `${module}.__migrations`));
    // The sequences go on from where the source's were.
    if (module === 'catalog') {
      const [next] = await target.sql<{ seq: string }>(
        `INSERT INTO catalog.outbox (id, type, version, payload, occurred_at, correlation_id, causation_id) VALUES ($1, 't', 1, '{}', now(), 'c', 'c') RETURNING seq::text`,
        [randomUUID()],
      );
      const [last] = await source.sql<{ seq: string }>('SELECT max(seq)::text AS seq FROM catalog.outbox');
      expect(Number(next!.seq)).toBe(Number(last!.seq) + 1);
    }
  });

  it('should change nothing when run again on a target that holds the same copy', async () => {
    const target = await emptyDatabase();
    expect((await extractData(['catalog', '--to', target.url], from())).code).toBe(0);
    const before = await rowsOf(target, 'catalog.products');
    const again = await extractData(['catalog', '--to', target.url], from());
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain('nothing was changed');
    expect(verificationRows(again.stdout).every((row) => row.match === 'yes')).toBe(true);
    expect(await rowsOf(target, 'catalog.products')).toBe(before);
  });

  it('should leave nothing on the target when stopped midway, and copy it all when run again', async () => {
    const target = await emptyDatabase();
    // Products are copied after catalog's outbox: while this lock is held, the copy waits there, its target transaction open.
    const holder = new pg.Client({ connectionString: source.url });
    await holder.connect();
    let child: ChildProcess | undefined;
    let output = '';
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE catalog.products IN ACCESS EXCLUSIVE MODE');
      const stopped = extractData(['catalog', '--to', target.url], from(), (started) => {
        child = started;
        started.stdout!.on('data', (text: string) => (output += text));
      });
      await waitFor(() => output.includes('copying catalog.products'), { what: 'the copy to reach catalog.products' });
      await waitFor(
        async () =>
          (await source.sql("SELECT 1 FROM pg_stat_activity WHERE application_name = 'shop:extract-data' AND wait_event_type = 'Lock'")).length > 0,
        { what: 'the copy to wait for the lock' },
      );
      child!.kill('SIGKILL');
      expect((await stopped).code).toBeNull();
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    // The server ends the killed run's transaction when it sees the connection gone: nothing of it stays.
    await waitFor(async () => (await target.sql("SELECT 1 FROM pg_stat_activity WHERE application_name = 'shop:extract-data'")).length === 0, {
      what: 'the stopped run to be gone from the target',
    });
    expect(await target.sql("SELECT 1 FROM pg_namespace WHERE nspname = 'catalog'")).toEqual([]);

    const again = await extractData(['catalog', '--to', target.url], from());
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(verificationRows(again.stdout).every((row) => row.match === 'yes')).toBe(true);
    expect(await rowsOf(target, 'catalog.products')).toBe(await rowsOf(source, 'catalog.products'));
  });

  it('should refuse, changing nothing, while a session of the module is connected to the source', async () => {
    const target = await emptyDatabase();
    const running = new PostgresEngine({ url: source.url, poolSize: 1, rolePrefix: testRolePrefix(), roleSecret: TEST_MODULE_DB_SECRET });
    try {
      await running.forModule('catalog').db.execute(sql`SELECT 1`);
      const run = await extractData(['catalog', '--to', target.url], from());
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(/session\(s\) of \S+catalog are connected to the source database/);
    } finally {
      await running.close();
    }
    expect(await target.sql("SELECT 1 FROM pg_namespace WHERE nspname = 'catalog'")).toEqual([]);
  });

  it('should refuse a source whose migration history is not this version\'s', async () => {
    const behind = await createTestDatabase();
    targets.push(behind);
    await behind.sql('DELETE FROM inventory.__migrations WHERE id = (SELECT max(id) FROM inventory.__migrations)');
    const target = await emptyDatabase();
    const run = await extractData(['inventory', '--to', target.url], { DATABASE_URL: behind.url });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/has \d+ of this version's \d+ migrations: start the shop on this version once/);
    expect(await target.sql("SELECT 1 FROM pg_namespace WHERE nspname = 'inventory'")).toEqual([]);
  });

  it('should replace a target where a shop only migrated the module (no rows), without being told', async () => {
    // A clone of the migrated template: every schema there, empty.
    const migrated = await createTestDatabase();
    targets.push(migrated);
    const run = await extractData(['catalog', '--to', migrated.url], from());
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(await rowsOf(migrated, 'catalog.products')).toBe(await rowsOf(source, 'catalog.products'));
  });

  it('should refuse, committing nothing, when the source changes while it is copied', async () => {
    const target = await emptyDatabase();
    const holder = new pg.Client({ connectionString: source.url });
    await holder.connect();
    let output = '';
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE catalog.products IN ACCESS EXCLUSIVE MODE');
      const running = extractData(['catalog', '--to', target.url], from(), (started) => {
        started.stdout!.on('data', (text: string) => (output += text));
      });
      await waitFor(() => output.includes('copying catalog.products'), { what: 'the copy to reach catalog.products' });
      // Behind the copy's back (catalog's outbox is copied already), as a writer nobody stopped would.
      await source.sql(
        `INSERT INTO catalog.outbox (id, type, version, payload, occurred_at, correlation_id, causation_id) VALUES ($1, 'late', 1, '{}', now(), 'c', 'c')`,
        [randomUUID()],
      );
      await holder.query('ROLLBACK');
      const run = await running;
      expect(run.code, run.stdout + run.stderr).toBe(3);
      expect(run.stderr).toMatch(/the source changed while it was being copied \(catalog\.outbox\): a writer of catalog is still at work/);
    } finally {
      await holder.end();
    }
    expect(await target.sql("SELECT 1 FROM pg_namespace WHERE nspname = 'catalog'")).toEqual([]);
    await source.sql("DELETE FROM catalog.outbox WHERE type = 'late'");
  });

  it('should refuse while a process of the module is already connected to the target', async () => {
    const target = await emptyDatabase();
    const early = new pg.Client({ connectionString: target.url, application_name: 'shop:catalog' });
    await early.connect();
    try {
      const run = await extractData(['catalog', '--to', target.url], from());
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(/session\(s\) of \S+catalog are connected to the target database: processes hosting catalog are already pointed at it/);
    } finally {
      await early.end();
    }
    expect(await target.sql("SELECT 1 FROM pg_namespace WHERE nspname = 'catalog'")).toEqual([]);
  });

  it('should answer bad usage with exit code 2, naming what is wrong', async () => {
    const target = await emptyDatabase();
    const cases: [string[], Record<string, string>, RegExp][] = [
      [[], from(), /the module to move is missing[\s\S]*--to <postgres-url> is missing/],
      [['paymentz', '--to', target.url], from(), /no module is called "paymentz"/],
      [['payments', '--to', 'mysql://x/y'], from(), /--to: must be a PostgreSQL connection string/],
      [['payments', '--to', target.url], {}, /the source is unknown: pass --from, or set DATABASE_URL_PAYMENTS or DATABASE_URL/],
      [['payments', '--to', source.url], from(), /--to names the database payments uses now/],
      [['payments', '--to', target.url], { ...from(), DATABASE_URL_PAYMNTS: target.url }, /DATABASE_URL_PAYMNTS: no module is called "paymnts"/],
      // A connection string in the wrong place is named, but not its password.
      [['payments', 'postgres://admin:s3cret-pass@db2/shop'], from(), /unexpected argument\(s\): postgres:\/\/admin:\[redacted\]@db2\/shop/],
      // No secret to derive the role's password from: one made up would lock the shop out of its role.
      [['payments', '--to', target.url], { ...from(), MODULE_DB_SECRET: '' }, /MODULE_DB_SECRET is not set, and DATA_DIR \(.*\) holds no secret/],
    ];
    for (const [args, env, message] of cases) {
      const run = await extractData(args, env);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(message);
      expect(run.stderr + run.stdout).not.toContain(TEST_MODULE_DB_SECRET);
      expect(run.stderr + run.stdout).not.toContain('s3cret-pass');
    }
  });
});
