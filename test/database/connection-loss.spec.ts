import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { orderBody, sellable } from '../support/checkout-fixture.js';
import { httpClient } from '../support/http-client.js';
import { startShopProcess, type ShopProcess } from '../support/shop-process.js';
import { ADMIN } from '../support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { testPostgresUrl, testRedisUrl } from '../support/test-env.js';
import { waitFor } from '../support/wait-for.js';

/**
 * A database restart or failover, played as `pg_terminate_backend` on every connection
 * of the shop's database, several times, in the middle of traffic: the process must
 * survive each time (a `pg` client's unheard 'error' event would end it), answer
 * nothing but success or 503 with Retry-After meanwhile, and serve again without a
 * restart, events included.
 */
describe.each([
  { name: 'in-process delivery', env: (): Record<string, string> => ({}) },
  { name: 'BullMQ delivery', env: (): Record<string, string> => ({ REDIS_URL: testRedisUrl(), EVENTS_QUEUE_PREFIX: `l${randomUUID().slice(0, 8)}` }) },
])('the database dropping every connection, with $name', ({ env }) => {
  let database: TestDatabase;
  let proc: ShopProcess | undefined;
  const admin = new pg.Client({ connectionString: testPostgresUrl() });

  afterAll(async () => {
    if (proc && proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
    await admin.end().catch(() => undefined);
    await database?.drop();
  });

  it('should survive each drop, answer only success or 503 meanwhile, and serve again', async () => {
    database = await createTestDatabase();
    await admin.connect();
    // Small pools: a connection that a failed transaction never gave back shows at once.
    // A long saga lease: a saga let go on a lost connection would wait minutes to be resumed.
    proc = await startShopProcess({ DATABASE_URL: database.url, EVENTS_POLL_MS: '200', DB_POOL_SIZE: '2', CHECKOUT_LEASE_MS: '300000', ...env() });
    const url = proc.url;
    const http = httpClient(url);
    // The admin stocks a product and orders it too: one token for both.
    const adminToken = (await http.post('/api/v1/identity/login', { body: ADMIN })).body.accessToken as string;
    const kettle = await sellable(http, adminToken, { stock: 1_000_000 });
    const answers: { status: number; retryAfter: string | null; route: string }[] = [];
    const failures: string[] = [];
    let stop = false;

    // Light traffic that keeps every kind of connection busy: reads, writes whose
    // events the relay hands on (registrations), and the consumers applying them.
    const call = async (route: string, init?: RequestInit) => {
      try {
        const answer = await fetch(`${url}${route}`, init);
        await answer.arrayBuffer();
        answers.push({ status: answer.status, retryAfter: answer.headers.get('retry-after'), route: route.split('?')[0]! });
      } catch (error) {
        failures.push(`${route}: ${(error as Error).message} ${String((error as { cause?: unknown }).cause ?? '')}`);
      }
    };
    const register = () =>
      call('/api/v1/identity/register', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: `blip-${randomUUID()}@test.local`, password: 'a-long-password', name: 'Blip' }),
      });
    const order = () =>
      call('/api/v1/orders', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}`, 'idempotency-key': randomUUID() },
        body: JSON.stringify(orderBody([{ item: kettle, quantity: 1 }])),
      });
    const traffic = [
      (async () => { while (!stop) await register(); })(),
      // Orders: transactions in four modules, batched, and the sagas that follow them.
      (async () => { while (!stop) await order(); })(),
      (async () => { while (!stop) await order(); })(),
      (async () => { while (!stop) await call('/api/v1/catalog/products?q=kettle'); })(),
      (async () => { while (!stop) await call('/health/ready'); })(),
    ];

    try {
      for (let round = 1; round <= 5; round++) {
        const before = answers.length;
        await waitFor(() => answers.length >= before + 10, { what: `traffic before drop ${round}`, timeoutMs: 20_000 });
        const { rows } = await admin.query<{ n: number }>(
          'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1',
          [database.name],
        );
        expect(rows[0]!.n, `connections terminated in round ${round}`).toBeGreaterThan(0);
        // Served again: successful answers after the drop, from the same process.
        const after = answers.length;
        await waitFor(() => answers.slice(after).filter((a) => a.status < 300).length >= 10, {
          what: `the shop to serve again after drop ${round}`,
          timeoutMs: 20_000,
        });
        expect(proc.child.exitCode, proc.output().slice(-3000)).toBeNull();
      }
    } finally {
      stop = true;
      await Promise.all(traffic);
    }

    expect(failures, proc.output().slice(-3000)).toEqual([]);
    expect(proc.child.exitCode).toBeNull();
    const unexpected = answers.filter((a) => a.status >= 500 && a.status !== 503);
    expect(unexpected, 'answers other than success or 503').toEqual([]);
    for (const refused of answers.filter((a) => a.status === 503)) expect(refused.retryAfter).toMatch(/^\d+$/);
    expect(answers.filter((a) => a.status >= 400 && a.status < 500)).toEqual([]);

    // Events too: a registration made now is welcomed, through the relay and the consumer.
    const last = await fetch(`${url}/api/v1/identity/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `after-${randomUUID()}@test.local`, password: 'a-long-password', name: 'After' }),
    });
    expect(last.status).toBe(201);
    const { id } = (await last.json()) as { id: string };
    await waitFor(
      async () => (await database.sql('SELECT 1 FROM notifications.notifications WHERE recipient_user_id = $1', [id])).length === 1,
      { what: 'the welcome of a user registered after the drops' },
    );
    // Every order placed meanwhile ends, and nothing holds a connection for ever:
    // a clean stop, well within the shutdown deadline.
    await waitFor(async () => (await database.sql("SELECT 1 FROM ordering.orders WHERE status NOT IN ('CONFIRMED', 'CANCELLED')")).length === 0, {
      what: 'every order to settle',
      timeoutMs: 40_000,
    });
    proc.child.kill('SIGTERM');
    expect(await proc.exited, proc.output().slice(-2000)).toEqual({ code: 0, signal: null });
    // Every wait above has its own deadline; this only bounds their sum on a slow machine.
  }, 240_000);
});
