import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { startRedis, stopRedis } from '../support/private-redis.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';


describe('BullMQ delivery when Redis goes away', () => {
  let shop: TestApp | undefined;
  let redis: ChildProcess | undefined;

  afterEach(async () => {
    await shop?.close();
    shop = undefined;
    if (redis) await stopRedis(redis);
  });
  afterAll(async () => {
    if (redis) await stopRedis(redis);
  });

  it('should keep accepting writes while Redis is down and deliver everything once it is back', async () => {
    const port = await freePort();
    redis = await startRedis(port);
    shop = await startTestApp({ env: { REDIS_URL: `redis://127.0.0.1:${port}`, EVENTS_QUEUE_PREFIX: 'outage' } });
    await stopRedis(redis);

    const ids: string[] = [];
    for (const name of ['One', 'Two', 'Three']) {
      const answer = await shop.http.post('/api/v1/identity/register', {
        body: { email: `${name.toLowerCase()}-${randomUUID().slice(0, 6)}@test.local`, password: 'a-long-password', name },
      });
      expect(answer.status).toBe(201);
      ids.push(answer.body.id);
    }
    const waiting = await shop.database!.sql("SELECT 1 FROM identity.outbox WHERE published_at IS NULL");
    expect(waiting.length).toBeGreaterThanOrEqual(3);

    redis = await startRedis(port);
    const welcomes = () =>
      shop!.database!.sql<{ n: number }>(
        "SELECT count(*)::int AS n FROM notifications.notifications WHERE template = 'welcome' AND recipient_user_id = ANY($1::uuid[])",
        [ids],
      );
    await waitFor(async () => (await welcomes())[0]!.n === 3, { what: 'all three welcomes', timeoutMs: 30_000 });
    // The relay marks a row published when its hand-over to Redis commits, which can be
    // after a worker has already applied the job: wait for it rather than read once.
    await waitFor(async () => (await shop!.database!.sql("SELECT 1 FROM identity.outbox WHERE published_at IS NULL")).length === 0, {
      what: 'every outbox row marked published',
    });
  });

  it('should warn at startup when Redis may evict keys, and not when it is set to noeviction', async () => {
    const port = await freePort();
    redis = await startRedis(port, ['--maxmemory-policy', 'allkeys-lru']);
    shop = await startTestApp({ env: { REDIS_URL: `redis://127.0.0.1:${port}`, EVENTS_QUEUE_PREFIX: 'policy' } });
    const warning = (line: Record<string, unknown>) => line.level === 'warn' && line.maxmemoryPolicy !== undefined;
    expect(shop.logs.filter(warning)).toEqual([expect.objectContaining({ maxmemoryPolicy: 'allkeys-lru' })]);
    expect(String(shop.logs.find(warning)!.msg)).toContain('noeviction');
    await shop.close();

    const admin = new Redis(port, '127.0.0.1');
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    admin.disconnect();
    shop = await startTestApp({ env: { REDIS_URL: `redis://127.0.0.1:${port}`, EVENTS_QUEUE_PREFIX: 'policy' } });
    expect(shop.logs.filter(warning)).toEqual([]);
  });
});
