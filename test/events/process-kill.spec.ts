import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeNotificationSender } from '../support/fake-notification-sender.js';
import { startShopProcess, type ShopProcess } from '../support/shop-process.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { testRedisUrl } from '../support/test-env.js';
import { waitFor } from '../support/wait-for.js';

describe.each([
  { name: 'in-process delivery', env: (): Record<string, string> => ({}) },
  { name: 'BullMQ delivery', env: (): Record<string, string> => ({ REDIS_URL: testRedisUrl(), EVENTS_QUEUE_PREFIX: `k${randomUUID().slice(0, 8)}` }) },
])('a shop process killed or stopped, with $name', ({ env }) => {
  let database: TestDatabase;
  let shop: TestApp | undefined;
  let proc: ShopProcess | undefined;

  afterAll(async () => {
    if (proc && proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
    await shop?.close();
  });

  it('should deliver, exactly once, an event whose process was SIGKILLed right after the commit', async () => {
    database = await createTestDatabase();
    // The relay is off in the doomed process: its commit is the last thing it does.
    proc = await startShopProcess({ DATABASE_URL: database.url, EVENTS_RELAY: 'false', ...env() });
    const email = `killed-${randomUUID().slice(0, 8)}@test.local`;
    const registered = await fetch(`${proc.url}/api/v1/identity/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'a-long-password', name: 'Killed' }),
    });
    expect(registered.status).toBe(201);
    const { id } = (await registered.json()) as { id: string };
    proc.child.kill('SIGKILL');
    expect((await proc.exited).signal).toBe('SIGKILL');

    const sender = new FakeNotificationSender();
    shop = await startTestApp({ database, env: env(), edges: { notificationSender: sender } });
    const welcomes = async () =>
      (await database.sql<{ n: number }>(
        'SELECT count(*)::int AS n FROM notifications.notifications WHERE recipient_user_id = $1',
        [id],
      ))[0]!.n;
    await waitFor(async () => (await welcomes()) === 1, { what: 'the welcome after the kill' });
    await waitFor(async () => (await database.sql('SELECT 1 FROM identity.outbox WHERE published_at IS NULL')).length === 0, {
      what: 'the outbox to drain',
    });
    expect(await welcomes()).toBe(1);
    expect(sender.sent.filter((m) => m.to === email)).toHaveLength(1);
    await shop.close({ keepData: true });
    shop = undefined;
  });

  it('should stop on SIGTERM: finish, close workers, queues and pools, flush its log and exit 0', async () => {
    proc = await startShopProcess({ DATABASE_URL: database.url, ...env() });
    proc.child.kill('SIGTERM');
    const exit = await proc.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    const lines = proc.output().trim().split('\n').map((l) => JSON.parse(l) as { msg: string });
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['shutting down', 'shutdown complete']));
    expect(lines.at(-1)!.msg).toBe('shutdown complete');
    await database.drop();
  });
});
