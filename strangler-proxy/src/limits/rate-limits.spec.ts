import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GatewayRateLimits, type RateVerdict } from './rate-limits.js';

// The test run's Redis (test/support/global-setup.ts sets it, starting a throwaway one if need be).
const REDIS_URL =
  process.env.TEST_REDIS_URL ??
  (() => {
    throw new Error('TEST_REDIS_URL is not set: the test run sets it (test/support/global-setup.ts)');
  })();

function capturedLogger() {
  const lines: Array<{ level: number; msg: string }> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

async function times(n: number, call: () => Promise<RateVerdict>): Promise<RateVerdict[]> {
  const verdicts: RateVerdict[] = [];
  for (let i = 0; i < n; i++) verdicts.push(await call());
  return verdicts;
}

function expectRefused(verdict: RateVerdict, limit: 'client-address' | 'user', durationSeconds: number): void {
  expect(verdict).toMatchObject({ allowed: false, limit });
  if (verdict.allowed) return;
  expect(Number.isInteger(verdict.retryAfterSeconds)).toBe(true);
  expect(verdict.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  expect(verdict.retryAfterSeconds).toBeLessThanOrEqual(durationSeconds);
}

describe('GatewayRateLimits in memory', () => {
  it('refuses a client past its limit, with a Retry-After of whole seconds', async () => {
    const limits = GatewayRateLimits.create({ keyPrefix: 'gw', perClientAddress: { points: 3, durationSeconds: 60 }, perUser: null });
    const verdicts = await times(4, () => limits.consume('payments', '203.0.113.7', undefined));
    expect(verdicts.slice(0, 3)).toEqual([{ allowed: true }, { allowed: true }, { allowed: true }]);
    expectRefused(verdicts[3]!, 'client-address', 60);
    // Another client has its own budget.
    expect(await limits.consume('payments', '203.0.113.8', undefined)).toEqual({ allowed: true });
    await limits.close();
  });

  it('counts each route on its own (the caller passes the route, so path variants share it)', async () => {
    const limits = GatewayRateLimits.create({ keyPrefix: 'gw', perClientAddress: { points: 2, durationSeconds: 60 }, perUser: null });
    await times(2, () => limits.consume('payments', '::1', undefined));
    expectRefused(await limits.consume('payments', '::1', undefined), 'client-address', 60);
    expect(await limits.consume('monolith', '::1', undefined)).toEqual({ allowed: true });
    await limits.close();
  });

  it('limits per user and per address independently', async () => {
    const limits = GatewayRateLimits.create({ keyPrefix: 'gw', perClientAddress: { points: 5, durationSeconds: 60 }, perUser: { points: 2, durationSeconds: 30 } });
    // One user from one address: the user's limit (2) comes first.
    await times(2, () => limits.consume('payments', '198.51.100.1', 'user-a'));
    expectRefused(await limits.consume('payments', '198.51.100.1', 'user-a'), 'user', 30);
    // The same user elsewhere is still over its limit; another user at the same address is not.
    expectRefused(await limits.consume('payments', '198.51.100.2', 'user-a'), 'user', 30);
    expect(await limits.consume('payments', '198.51.100.1', 'user-b')).toEqual({ allowed: true });
    // The address has spent 4 (user-a's refused request counted too): one more, then refused, anonymous or not.
    expect(await limits.consume('payments', '198.51.100.1', undefined)).toEqual({ allowed: true });
    expectRefused(await limits.consume('payments', '198.51.100.1', undefined), 'client-address', 60);
    expectRefused(await limits.consume('payments', '198.51.100.1', 'user-c'), 'client-address', 60);
    await limits.close();
  });

  it('lets everything through when both limits are off', async () => {
    const limits = GatewayRateLimits.create({ keyPrefix: 'gw', perClientAddress: null, perUser: null });
    const verdicts = await times(100, () => limits.consume('payments', '::1', 'user-a'));
    expect(verdicts.every((verdict) => verdict.allowed)).toBe(true);
    await limits.close();
  });

  it('keeps a forged, huge user id from becoming a huge key', async () => {
    const limits = GatewayRateLimits.create({ keyPrefix: 'gw', perClientAddress: null, perUser: { points: 1, durationSeconds: 60 } });
    const huge = 'x'.repeat(10_000);
    expect(await limits.consume('payments', '::1', huge)).toEqual({ allowed: true });
    expectRefused(await limits.consume('payments', '::1', huge), 'user', 60);
    expect(await limits.consume('payments', '::1', `${huge}y`)).toEqual({ allowed: true });
    await limits.close();
  });
});

describe('GatewayRateLimits shared through Redis', () => {
  const clients: Redis[] = [];
  const prefixes: string[] = [];
  let admin: Redis;

  beforeAll(async () => {
    admin = new Redis(REDIS_URL, { lazyConnect: true });
    await admin.connect();
  });

  afterEach(async () => {
    for (const prefix of prefixes.splice(0)) {
      const keys = await admin.keys(`${prefix}:*`);
      if (keys.length > 0) await admin.del(...keys);
    }
    for (const client of clients.splice(0)) client.disconnect();
  });

  afterAll(async () => {
    await admin.quit();
  });

  async function client(url = REDIS_URL): Promise<Redis> {
    const redis = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 500 });
    redis.on('error', () => {}); // the limits log the fallback themselves
    clients.push(redis);
    if (url === REDIS_URL) await redis.connect();
    return redis;
  }

  function freshPrefix(): string {
    const prefix = `test-limits-${randomUUID()}`;
    prefixes.push(prefix);
    return prefix;
  }

  it('gives two replicas one budget', async () => {
    const keyPrefix = freshPrefix();
    const limit = { points: 5, durationSeconds: 60 };
    const one = GatewayRateLimits.create({ redis: await client(), keyPrefix, perClientAddress: limit, perUser: limit });
    const two = GatewayRateLimits.create({ redis: await client(), keyPrefix, perClientAddress: limit, perUser: limit });

    await times(3, () => one.consume('payments', '203.0.113.9', undefined));
    await times(2, () => two.consume('payments', '203.0.113.9', undefined));
    expectRefused(await one.consume('payments', '203.0.113.9', undefined), 'client-address', 60);
    expectRefused(await two.consume('payments', '203.0.113.9', undefined), 'client-address', 60);

    // Users too, whatever address they come from.
    await times(3, () => one.consume('payments', '198.51.100.1', 'user-a'));
    await times(2, () => two.consume('payments', '198.51.100.2', 'user-a'));
    expectRefused(await one.consume('payments', '198.51.100.3', 'user-a'), 'user', 60);

    // The counters are in Redis, under the prefix. Replica two spent the last point, so
    // it refused its next request from memory without asking Redis: 6, not 7.
    expect(await admin.get(`${keyPrefix}:addr:payments:203.0.113.9`)).toBe('6');
    await Promise.all([one.close(), two.close()]);
  });

  it('counts in memory while Redis is unreachable, logging it once, and never fails a request', async () => {
    const { logger, lines } = capturedLogger();
    const redis = await client('redis://127.0.0.1:1');
    redis.connect().catch(() => {}); // refused: it keeps retrying in the background
    const limits = GatewayRateLimits.create({ redis, keyPrefix: freshPrefix(), perClientAddress: { points: 2, durationSeconds: 60 }, perUser: null, logger });
    const verdicts = await times(5, () => limits.consume('payments', '::1', undefined));
    expect(verdicts.slice(0, 2)).toEqual([{ allowed: true }, { allowed: true }]);
    for (const verdict of verdicts.slice(2)) expectRefused(verdict, 'client-address', 60);
    expect(lines.filter((line) => /Redis is unreachable/.test(line.msg))).toHaveLength(1);
    await limits.close();
  });
});
