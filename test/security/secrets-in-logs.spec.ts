import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueNameOf } from '../../src/platform/events/bullmq-transport.js';
import { ADDRESS, orderBody, placeOrder, sellable, settledOrder } from '../support/checkout-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { testRedisUrl } from '../support/test-env.js';
import { waitFor } from '../support/wait-for.js';

const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

/**
 * The shop at its most talkative (LOG_LEVEL=trace) is driven through registration,
 * sign-in, an order and each way they can fail, unexpected failures in the database
 * included, with secret values known to the test. None of them may appear anywhere in
 * what it logged; personal data (emails, addresses) may appear only below info level.
 */
describe('secrets and personal data in logs', () => {
  let shop: TestApp;
  const run = randomUUID().slice(0, 8);
  const secrets: string[] = [];
  const personal: string[] = [];
  const secret = (value: string) => (secrets.push(value), value);
  const pii = (value: string) => (personal.push(value), value);

  beforeAll(async () => {
    shop = await startTestApp({ env: { LOG_LEVEL: 'trace', EVENTS_MAX_ATTEMPTS: '2' } });
    // Unexpected failures on purpose, deep in the database, where the values of the
    // failing statement are at hand: a registration, an order, an event consumer's write.
    await shop.database!.sql(`
      CREATE FUNCTION public.refuse_for_test() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'refused by the test trigger'; END $$;
      CREATE TRIGGER refuse_exploding_users BEFORE INSERT ON identity.users
        FOR EACH ROW WHEN (NEW.name = 'Explode') EXECUTE FUNCTION public.refuse_for_test();
      CREATE TRIGGER refuse_exploding_orders BEFORE INSERT ON ordering.orders
        FOR EACH ROW WHEN (NEW.shipping_address->>'name' = 'Explode') EXECUTE FUNCTION public.refuse_for_test();
      -- Quoting the offending value at the end, as PostgreSQL's own messages do ('invalid input syntax for type uuid: "…"').
      CREATE FUNCTION public.refuse_quoting_email() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'refused by the test trigger: "%"', NEW.recipient_email; END $$;
      CREATE TRIGGER refuse_dead_letter_mail BEFORE INSERT ON notifications.notifications
        FOR EACH ROW WHEN (NEW.recipient_email LIKE 'dead-letter-%') EXECUTE FUNCTION public.refuse_quoting_email();`);
  });
  afterAll(async () => {
    await shop.close();
  });

  const register = (email: string, password: string, name = 'Grace') =>
    shop.http.post('/api/v1/identity/register', { body: { email, password, name } });
  const logIn = (email: string, password: string) => shop.http.post('/api/v1/identity/login', { body: { email, password } });

  it('should log none of the secrets of registration, sign-in and an order, on any path', async () => {
    const email = pii(`grace-${run}@test.local`);
    const password = secret(`correct-horse-${run}`);
    expect((await register(email, password)).status).toBe(201);
    expect((await register(email, secret(`second-try-${run}`))).status).toBe(409);
    expect((await logIn(email, secret(`wrong-battery-${run}`))).status).toBe(401);
    const login = await logIn(email, password);
    expect(login.status).toBe(200);
    const token = secret(login.body.accessToken);
    const [stored] = await shop.database!.sql<{ password_hash: string }>('SELECT password_hash FROM identity.users WHERE email = $1', [email]);
    const hash = stored!.password_hash;
    secrets.push(hash, hash.split('$').at(-1)!);

    // A registration that fails unexpectedly, inside the INSERT that carries the hash.
    const exploding = pii(`explode-${run}@test.local`);
    expect((await register(exploding, secret(`explosive-${run}`), 'Explode')).status).toBe(500);

    const admin = await shop.adminToken();
    secrets.push(admin);
    const kettle = await sellable(shop.http, admin, { stock: 10 });
    const street = pii(`${run} Secret Garden Lane`);
    const card = secret(`card-${run}-4242`);
    const placed = await placeOrder(shop.http, token, orderBody([{ item: kettle, quantity: 1 }], { paymentToken: card, shippingAddress: { ...ADDRESS, line1: street } }));
    expect(placed.status).toBe(202);
    expect((await settledOrder(shop.http, token, placed.body.id)).status).toBe('CONFIRMED');
    // An order that fails unexpectedly, in the INSERT that carries the address and the card token.
    const failing = await placeOrder(
      shop.http,
      token,
      orderBody([{ item: kettle, quantity: 1 }], { paymentToken: secret(`card-${run}-0000`), shippingAddress: { ...ADDRESS, name: 'Explode', line1: pii(`${run} Hidden Road`) } }),
    );
    expect(failing.status).toBe(500);
    // A declined card, and a request with a forged token.
    const declined = await placeOrder(shop.http, token, orderBody([{ item: kettle, quantity: 1 }], { paymentToken: 'tok_declined' }));
    expect((await settledOrder(shop.http, token, declined.body.id)).status).toBe('CANCELLED');
    expect((await shop.http.get('/api/v1/orders', { token: secret(`${token.slice(0, -4)}AAAA`) })).status).toBe(401);

    // An event consumer whose write keeps failing: the welcome mail for this user is dead-lettered.
    const unlucky = pii(`dead-letter-${run}@test.local`);
    const registered = await register(unlucky, secret(`unlucky-${run}-pass`));
    expect(registered.status).toBe(201);
    const [letter] = await waitFor(
      async () => {
        const rows = await shop.database!.sql<{ last_error: string }>(
          "SELECT last_error FROM notifications.dead_letters WHERE envelope->'payload'->>'userId' = $1",
          [registered.body.id],
        );
        return rows.length ? rows : undefined;
      },
      { what: 'the welcome mail to be dead-lettered' },
    );
    // What operators read (GET /ops/events/dead-letters) is as clean as the log.
    expect(letter!.last_error).toMatch(/refused by the test trigger/);
    for (const value of [...secrets, ...personal]) expect(letter!.last_error).not.toContain(value);

    const log = shop.logText();
    // The failures above were logged: the search below is over real error lines.
    expect(shop.logs.filter((line) => line.level === 'error').length).toBeGreaterThanOrEqual(2);
    expect(log).toMatch(/refused by the test trigger/);
    for (const value of secrets) expect(log, `a secret was logged: ${value.slice(0, 12)}…`).not.toContain(value);
    expect(log).not.toMatch(/scrypt\$\d/);
    expect(log).not.toMatch(/eyJ[A-Za-z0-9_-]+\.eyJ/);

    // Personal data: never at info level or above.
    const visible = shop.logs.filter((line) => LEVELS[String(line.level)]! >= LEVELS.info!).map((line) => JSON.stringify(line));
    for (const value of personal) {
      expect(visible.filter((line) => line.includes(value)), `personal data at info: ${value}`).toEqual([]);
    }
  });
});

/**
 * With BullMQ, a failed attempt's error is kept in Redis with the job (its
 * failedReason and stack trace) until the retry: it must be as clean as the log.
 */
describe('secrets and personal data in Redis', () => {
  let shop: TestApp;
  const prefix = `s${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    // The retry waits a minute: the failed attempt stays in Redis, delayed, to be read.
    shop = await startTestApp({ env: { REDIS_URL: testRedisUrl(), EVENTS_QUEUE_PREFIX: prefix, EVENTS_BACKOFF_MS: '60000' } });
    await shop.database!.sql(`
      CREATE FUNCTION public.refuse_quoting_email() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'refused by the test trigger: "%"', NEW.recipient_email; END $$;
      CREATE TRIGGER refuse_welcome BEFORE INSERT ON notifications.notifications
        FOR EACH ROW EXECUTE FUNCTION public.refuse_quoting_email();`);
  });
  afterAll(async () => {
    await shop.close();
  });

  it("should keep no value of the failed query in a retried job's failure", async () => {
    const email = `redis-${randomUUID().slice(0, 8)}@test.local`;
    expect((await shop.http.post('/api/v1/identity/register', { body: { email, password: 'a-long-password', name: 'Redis' } })).status).toBe(201);
    const queue = new Queue(queueNameOf('notifications'), { connection: { url: testRedisUrl() }, prefix });
    try {
      const failed = await waitFor(async () => (await queue.getDelayed()).find((job) => job.failedReason), {
        what: 'the welcome job to fail once and wait for its retry',
      });
      expect(failed.failedReason).toMatch(/refused by the test trigger/);
      const kept = JSON.stringify({ reason: failed.failedReason, stack: failed.stacktrace });
      expect(kept).not.toContain(email);
      expect(kept).not.toMatch(/params:/);
    } finally {
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
    }
  });
});
