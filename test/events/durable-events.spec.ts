import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { UserRegistered } from '../../src/modules/identity/contract.js';
import type { DatabaseEngine } from '../../src/platform/database/database-engine.js';
import { DATABASE_ENGINE } from '../../src/platform/database/database.tokens.js';
import { applyOnce } from '../../src/platform/events/apply-once.js';
import { queueNameOf } from '../../src/platform/events/bullmq-transport.js';
import { EventRoutes } from '../../src/platform/events/event-routes.js';
import { EVENT_TRANSPORT, type EventTransport } from '../../src/platform/events/event-transport.js';
import { EventOutsideTransactionError, Outbox } from '../../src/platform/events/outbox.js';
import { FakeNotificationSender } from '../support/fake-notification-sender.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestDatabase } from '../support/test-database.js';
import { testRedisUrl } from '../support/test-env.js';
import { waitFor } from '../support/wait-for.js';

type Mode = { name: string; transport: 'in-process' | 'bullmq'; env: () => Record<string, string> };

const modes: Mode[] = [
  { name: 'in-process delivery', transport: 'in-process', env: () => ({}) },
  {
    name: 'BullMQ delivery',
    transport: 'bullmq',
    // A prefix per app keeps parallel test files from consuming each other's jobs.
    env: () => ({ REDIS_URL: testRedisUrl(), EVENTS_QUEUE_PREFIX: `t${randomUUID().slice(0, 8)}` }),
  },
];

describe.each(modes)('durable events with $name', (mode) => {
  let shop: TestApp | undefined;
  let database: TestDatabase | undefined;
  const sender = new FakeNotificationSender();

  afterEach(() => sender.heal());
  afterAll(async () => {
    await shop?.close();
  });

  let currentEnv: Record<string, string> = {};

  async function start(env: Record<string, string> = {}): Promise<TestApp> {
    currentEnv = { ...mode.env(), ...env };
    shop = await startTestApp({ database, env: currentEnv, edges: { notificationSender: sender } });
    database = shop.database!;
    return shop;
  }

  const register = async (name: string) => {
    const email = `${name.toLowerCase()}-${randomUUID().slice(0, 8)}@test.local`;
    const answer = await shop!.http.post('/api/v1/identity/register', {
      body: { email, password: 'a-long-password', name },
    });
    expect(answer.status).toBe(201);
    return { id: answer.body.id as string, email };
  };

  const welcomesFor = async (userId: string) =>
    (await database!.sql<{ n: number }>(
      "SELECT count(*)::int AS n FROM notifications.notifications WHERE recipient_user_id = $1 AND template = 'welcome'",
      [userId],
    ))[0]!.n;

  /**
   * True once nothing is left to deliver to notifications: in-process delivery is done
   * when the endpoint answers; with BullMQ the consumer's queue must hold no waiting,
   * delayed or active job.
   */
  async function notificationsQueueDrained(): Promise<boolean> {
    if (!currentEnv.REDIS_URL) return true;
    const queue = new Queue(queueNameOf('notifications'), {
      connection: { url: currentEnv.REDIS_URL },
      prefix: currentEnv.EVENTS_QUEUE_PREFIX,
    });
    try {
      const counts = await queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized', 'waiting-children');
      return Object.values(counts).every((n) => n === 0);
    } finally {
      await queue.close();
    }
  }

  it('should deliver, after a restart, an event committed while no relay ran, exactly once', async () => {
    await start({ EVENTS_RELAY: 'false' });
    expect(shop!.app.get<EventTransport>(EVENT_TRANSPORT).kind).toBe(mode.transport);
    const ada = await register('Ada');
    const [row] = await database!.sql<{ published_at: Date | null }>(
      "SELECT published_at FROM identity.outbox WHERE type = 'identity.UserRegistered' AND payload->>'userId' = $1",
      [ada.id],
    );
    expect(row).toEqual({ published_at: null });
    expect(await welcomesFor(ada.id)).toBe(0);

    // The process goes away with the event still in the outbox; a new one takes over.
    await shop!.close({ keepData: true });
    await start();
    await waitFor(async () => (await welcomesFor(ada.id)) === 1, { what: 'the welcome after restart' });
    await waitFor(
      async () =>
        (await database!.sql("SELECT 1 FROM identity.outbox WHERE published_at IS NULL")).length === 0,
      { what: 'the outbox row to be marked published' },
    );
    expect(await welcomesFor(ada.id)).toBe(1);
    expect(sender.sent.filter((m) => m.to === ada.email)).toHaveLength(1);
  });

  it('should apply an event once however often it is delivered or replayed', async () => {
    const since = new Date(Date.now() - 60_000).toISOString();
    const grace = await register('Grace');
    await waitFor(async () => (await welcomesFor(grace.id)) === 1, { what: 'the first welcome' });

    // A duplicate delivery straight into the consumer.
    const engine = shop!.app.get<DatabaseEngine>(DATABASE_ENGINE);
    const routes = shop!.app.get(EventRoutes);
    const [stored] = await database!.sql<{ id: string; occurred_at: Date; correlation_id: string; causation_id: string }>(
      "SELECT id, occurred_at, correlation_id, causation_id FROM identity.outbox WHERE payload->>'userId' = $1",
      [grace.id],
    );
    const envelope = {
      id: stored!.id,
      type: UserRegistered.wireName,
      version: 1,
      source: 'identity',
      occurredAt: stored!.occurred_at.toISOString(),
      correlationId: stored!.correlation_id,
      causationId: stored!.causation_id,
      traceparent: null,
      payload: { userId: grace.id, email: grace.email, name: 'Grace' },
    };
    const welcome = routes.subscription('notifications.WelcomeNewUser')!;
    expect(await applyOnce(engine, welcome, envelope)).toBe('duplicate');

    // A replay of everything identity published since a minute ago.
    const admin = await shop!.adminToken();
    const replay = await shop!.http.post('/ops/events/replay', {
      token: admin,
      body: { publisher: 'identity', subscriber: 'notifications', types: ['identity.UserRegistered'], since },
    });
    expect(replay.status).toBe(202);
    expect(replay.body.deliveries).toBeGreaterThanOrEqual(1);
    // Wait until every replayed delivery has been processed (and absorbed by the inbox).
    await waitFor(() => notificationsQueueDrained(), { what: 'the replay to be processed' });
    expect(await welcomesFor(grace.id)).toBe(1);
    expect(sender.sent.filter((m) => m.to === grace.email)).toHaveLength(1);
    expect(sender.attemptsTo.get(grace.email)).toBe(1);
  });

  it('should leave no outbox row and no effect when the publishing transaction rolls back', async () => {
    const engine = shop!.app.get<DatabaseEngine>(DATABASE_ENGINE);
    const outbox = new Outbox('identity');
    const ghost = randomUUID();
    await expect(
      engine.forModule('identity').transaction(async (tx) => {
        await outbox.publish(tx, UserRegistered, { userId: ghost, email: 'ghost@test.local', name: 'Ghost' });
        throw new Error('the change failed after publishing');
      }),
    ).rejects.toThrow('the change failed');
    expect(await database!.sql("SELECT 1 FROM identity.outbox WHERE payload->>'userId' = $1", [ghost])).toHaveLength(0);

    // Publishing outside a transaction is refused outright, not silently lost.
    await expect(
      outbox.publish(engine.forModule('identity').db, UserRegistered, { userId: ghost, email: 'g@t.l', name: 'G' }),
    ).rejects.toBeInstanceOf(EventOutsideTransactionError);

    // An event committed afterwards arrives; the rolled-back one never does.
    const later = await register('Later');
    await waitFor(async () => (await welcomesFor(later.id)) === 1, { what: 'the later welcome' });
    expect(await welcomesFor(ghost)).toBe(0);
  });

  it('should dead-letter a delivery that keeps failing, keep others flowing, and re-drive it once after the fix', async () => {
    const stuck = await (async () => {
      const email = `stuck-${randomUUID().slice(0, 8)}@test.local`;
      sender.unreachable.add(email);
      const answer = await shop!.http.post('/api/v1/identity/register', {
        body: { email, password: 'a-long-password', name: 'Stuck' },
      });
      return { id: answer.body.id as string, email };
    })();
    const fine = await register('Fine');
    await waitFor(async () => (await welcomesFor(fine.id)) === 1, { what: 'the other user welcome' });

    const admin = await shop!.adminToken();
    const letters = await waitFor(
      async () => {
        const answer = await shop!.http.get('/ops/events/dead-letters?consumer=notifications', { token: admin });
        const mine = (answer.body.items as { envelope: { payload: { userId: string } } }[]).filter(
          (l) => l.envelope.payload.userId === stuck.id,
        );
        return mine.length ? mine : undefined;
      },
      { what: 'a dead letter' },
    );
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ subscription: 'notifications.WelcomeNewUser', attempts: 3 });
    expect((letters[0] as unknown as { lastError: string }).lastError).toContain(`provider refused ${stuck.email}`);
    expect(sender.attemptsTo.get(stuck.email)).toBe(3);
    expect(await welcomesFor(stuck.id)).toBe(0);

    sender.heal();
    const redrive = await shop!.http.post('/ops/events/dead-letters/redrive', {
      token: admin,
      body: { consumer: 'notifications' },
    });
    expect(redrive.status).toBe(202);
    expect(redrive.body.redriven).toBe(1);
    await waitFor(async () => (await welcomesFor(stuck.id)) === 1, { what: 'the re-driven welcome' });
    // A second re-drive finds nothing pending.
    const again = await shop!.http.post('/ops/events/dead-letters/redrive', { token: admin, body: { consumer: 'notifications' } });
    expect(again.body.redriven).toBe(0);
    expect(await welcomesFor(stuck.id)).toBe(1);
  });

  it('should, in a batch delivered together, apply the good events once and dead-letter only the bad one', async () => {
    // Committed in one transaction, so the relay takes them in one batch (one job with BullMQ).
    const engine = shop!.app.get<DatabaseEngine>(DATABASE_ENGINE);
    const outbox = new Outbox('identity');
    const users = Array.from({ length: 6 }, (_, i) => ({ userId: randomUUID(), email: `batch-${i}-${randomUUID().slice(0, 8)}@test.local`, name: `B${i}` }));
    const bad = users[3]!;
    sender.unreachable.add(bad.email);
    await engine.forModule('identity').transaction(async (tx) => {
      for (const user of users) await outbox.publish(tx, UserRegistered, user);
    });

    const admin = await shop!.adminToken();
    await waitFor(
      async () => {
        const answer = await shop!.http.get('/ops/events/dead-letters?consumer=notifications', { token: admin });
        return (answer.body.items as { envelope: { payload: { userId: string } } }[]).some((l) => l.envelope.payload.userId === bad.userId);
      },
      { what: 'the bad event to be dead-lettered' },
    );
    for (const user of users) {
      expect(await welcomesFor(user.userId)).toBe(user === bad ? 0 : 1);
      // Each good event's work ran once, not again when its neighbour failed; the bad one once per attempt.
      expect(sender.attemptsTo.get(user.email)).toBe(user === bad ? 3 : 1);
    }
  });

  it('should replay an event that is not delivered yet, so a rebuild cannot miss it', async () => {
    await shop!.close({ keepData: true });
    await start({ EVENTS_RELAY: 'false' });
    const since = new Date(Date.now() - 60_000).toISOString();
    const pending = await register('Pending');
    expect(
      await database!.sql("SELECT 1 FROM identity.outbox WHERE payload->>'userId' = $1 AND published_at IS NULL", [pending.id]),
    ).toHaveLength(1);
    const replay = await shop!.http.post('/ops/events/replay', {
      token: await shop!.adminToken(),
      body: { publisher: 'identity', subscriber: 'notifications', types: ['identity.UserRegistered'], since },
    });
    expect(replay.status).toBe(202);
    await waitFor(async () => (await welcomesFor(pending.id)) === 1, { what: 'the replayed welcome' });
  });

  it('should refuse the operator endpoints to non-admins and name bad fields', async () => {
    const customer = await shop!.customer();
    expect((await shop!.http.get('/ops/events/dead-letters?consumer=notifications', { token: customer.token })).status).toBe(403);
    const admin = await shop!.adminToken();
    const bad = await shop!.http.post('/ops/events/replay', {
      token: admin,
      body: { publisher: 'identity', subscriber: 'nobody', types: ['not a type'], since: 'yesterday' },
    });
    expect(bad.status).toBe(400);
    expect((bad.body.errors as { field: string }[]).map((e) => e.field).sort()).toEqual(['since', 'types.0']);
    const unknown = await shop!.http.post('/ops/events/replay', {
      token: admin,
      body: { publisher: 'identity', subscriber: 'catalog', types: ['identity.UserRegistered'], since: new Date().toISOString() },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([{ field: 'subscriber', message: 'not a subscribing module' }]);
  });
});
