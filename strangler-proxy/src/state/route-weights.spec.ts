import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { RouteWeights, type WeightState } from './route-weights.js';

// The test run's Redis (test/support/global-setup.ts sets it, starting a throwaway one if need be).
const REDIS_URL =
  process.env.TEST_REDIS_URL ??
  (() => {
    throw new Error('TEST_REDIS_URL is not set: the test run sets it (test/support/global-setup.ts)');
  })();
const DEADLINE = { timeout: 5_000, interval: 10 };

function capturedLogger() {
  const lines: Array<{ level: number; msg: string } & Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

describe('RouteWeights in one process (no Redis)', () => {
  it('runs each route at its file weight until an operator sets one, then back after a reset', async () => {
    const weights = await RouteWeights.open({ namespace: 'unused', logger: capturedLogger().logger });
    weights.setFileWeights({ payments: 30, catalog: 0 });
    expect(weights.weightOf('payments')).toBe(30);
    expect(weights.stateOf('payments')).toEqual({ weight: 30, source: 'file', mode: 'split', modeSource: 'file' });

    const set = await weights.setByOperator('payments', 60);
    expect(set).toMatchObject({ weight: 60, source: 'operator' });
    expect(Date.parse(set.at!)).not.toBeNaN();
    // The operator's weight wins over a reloaded file...
    weights.setFileWeights({ payments: 10, catalog: 0 });
    expect(weights.weightOf('payments')).toBe(60);
    // ...until it is reset: then the file's current weight holds.
    expect(await weights.reset('payments')).toEqual({ weight: 10, source: 'file', mode: 'split', modeSource: 'file' });
    expect(weights.weightOf('payments')).toBe(10);
    await weights.close();
  });

  it('keeps a rolled-back route at 0 whatever the file says, until an operator sets a weight', async () => {
    const weights = await RouteWeights.open({ namespace: 'unused', logger: capturedLogger().logger });
    weights.setFileWeights({ payments: 50 });
    expect(await weights.rollBack('payments', '5xx rate 0.42 over 30 s (84 of 200 requests) > 0.05')).toBe(true);
    expect(weights.stateOf('payments')).toMatchObject({ weight: 0, source: 'rollback', reason: '5xx rate 0.42 over 30 s (84 of 200 requests) > 0.05' });
    // Only the first call changes it.
    expect(await weights.rollBack('payments', 'again')).toBe(false);
    expect(weights.stateOf('payments').reason).toMatch(/^5xx rate 0.42/);

    weights.setFileWeights({ payments: 80 });
    expect(weights.weightOf('payments')).toBe(0);

    await weights.setByOperator('payments', 20);
    expect(weights.stateOf('payments')).toMatchObject({ weight: 20, source: 'operator' });
    // An operator's weight can be rolled back again.
    expect(await weights.rollBack('payments', 'p99 2400 ms over 30 s (200 requests) > 2000 ms')).toBe(true);
    expect(weights.weightOf('payments')).toBe(0);
    await weights.close();
  });

  it('tells listeners of each change once, and forgets routes the file no longer has', async () => {
    const weights = await RouteWeights.open({ namespace: 'unused', logger: capturedLogger().logger });
    const changes: Array<[string, WeightState]> = [];
    weights.onChange((route, state) => changes.push([route, state]));
    weights.setFileWeights({ payments: 10, catalog: 5 });
    weights.setFileWeights({ payments: 10, catalog: 5 }); // the same file again: no change
    await weights.setByOperator('catalog', 40);
    weights.setFileWeights({ payments: 10 });
    expect(changes.map(([route, state]) => [route, state.weight, state.source])).toEqual([
      ['payments', 10, 'file'],
      ['catalog', 5, 'file'],
      ['catalog', 40, 'operator'],
      ['catalog', 0, 'file'],
    ]);
    expect(weights.stateOf('catalog')).toEqual({ weight: 0, source: 'file', mode: 'split', modeSource: 'file' });
    // Re-added, it starts from the file again: the operator's value went with the route.
    weights.setFileWeights({ payments: 10, catalog: 5 });
    expect(weights.stateOf('catalog')).toEqual({ weight: 5, source: 'file', mode: 'split', modeSource: 'file' });
    await weights.close();
  });

  it('refuses a weight outside 0–100 and a route the file does not have', async () => {
    const weights = await RouteWeights.open({ namespace: 'unused', logger: capturedLogger().logger });
    weights.setFileWeights({ payments: 10 });
    await expect(weights.setByOperator('payments', 101)).rejects.toThrow(/0 to 100/);
    await expect(weights.setByOperator('payments', Number.NaN)).rejects.toThrow(/0 to 100/);
    await expect(weights.setByOperator('nope', 10)).rejects.toThrow(/no route named "nope"/);
    expect(() => weights.setFileWeights({ payments: -1 })).toThrow(/0 to 100/);
    expect(weights.weightOf('payments')).toBe(10);
    await weights.close();
  });

  it('keeps a change in its own process', async () => {
    const one = await RouteWeights.open({ namespace: 'same', logger: capturedLogger().logger });
    const two = await RouteWeights.open({ namespace: 'same', logger: capturedLogger().logger });
    one.setFileWeights({ payments: 10 });
    two.setFileWeights({ payments: 10 });
    await one.setByOperator('payments', 70);
    expect(one.weightOf('payments')).toBe(70);
    expect(two.weightOf('payments')).toBe(10);
    await Promise.all([one.close(), two.close()]);
  });
});

describe('RouteWeights: modes', () => {
  it("runs each route in the file's mode until an operator sets one, and back after a reset", async () => {
    const weights = await RouteWeights.open({ namespace: 'unused', logger: capturedLogger().logger });
    weights.setFileRoutes({ payments: { weight: 30, mode: 'shadow' }, catalog: { weight: 0, mode: 'split' } });
    expect(weights.modeOf('payments')).toBe('shadow');
    expect(weights.stateOf('payments')).toEqual({ weight: 30, source: 'file', mode: 'shadow', modeSource: 'file' });

    const set = await weights.setModeByOperator('payments', 'split');
    expect(set).toMatchObject({ weight: 30, source: 'file', mode: 'split', modeSource: 'operator' });
    expect(Date.parse(set.modeAt!)).not.toBeNaN();
    expect(weights.modeOf('payments')).toBe('split');
    // The operator's mode wins over a reloaded file, and the file's weight still holds.
    weights.setFileRoutes({ payments: { weight: 40, mode: 'shadow' }, catalog: { weight: 0, mode: 'split' } });
    expect(weights.stateOf('payments')).toMatchObject({ weight: 40, source: 'file', mode: 'split', modeSource: 'operator' });
    // A reset forgets the operator's weight and mode together.
    await weights.setByOperator('payments', 70);
    expect(await weights.reset('payments')).toEqual({ weight: 40, source: 'file', mode: 'shadow', modeSource: 'file' });
    expect(weights.modeOf('payments')).toBe('shadow');
    await weights.close();
  });

  it('keeps the mode through a rollback and the weight through a mode change', async () => {
    const weights = await RouteWeights.open({ namespace: 'unused', logger: capturedLogger().logger });
    weights.setFileRoutes({ payments: { weight: 50, mode: 'split' } });
    await weights.setByOperator('payments', 60);
    await weights.setModeByOperator('payments', 'shadow');
    expect(weights.stateOf('payments')).toMatchObject({ weight: 60, source: 'operator', mode: 'shadow', modeSource: 'operator' });
    expect(await weights.rollBack('payments', '5xx rate 0.3 over 30 s (60 of 200 requests) > 0.05')).toBe(true);
    expect(weights.stateOf('payments')).toMatchObject({ weight: 0, source: 'rollback', mode: 'shadow', modeSource: 'operator' });
    await weights.setModeByOperator('payments', 'split');
    // Back in split, still rolled back: only an operator's weight lifts it.
    expect(weights.stateOf('payments')).toMatchObject({ weight: 0, source: 'rollback', mode: 'split' });
    expect(weights.weightOf('payments')).toBe(0);
    await weights.close();
  });

  it('keeps each route\'s file mode when only weights are given, split for a new route', async () => {
    const weights = await RouteWeights.open({ namespace: 'unused', logger: capturedLogger().logger });
    weights.setFileRoutes({ payments: { weight: 10, mode: 'shadow' } });
    weights.setFileWeights({ payments: 20, catalog: 5 });
    expect(weights.stateOf('payments')).toEqual({ weight: 20, source: 'file', mode: 'shadow', modeSource: 'file' });
    expect(weights.modeOf('catalog')).toBe('split');
    expect(weights.modeOf('not-in-the-file')).toBe('split');
    await weights.close();
  });

  it('tells listeners of a mode change, and refuses a bad mode or a route the file does not have', async () => {
    const weights = await RouteWeights.open({ namespace: 'unused', logger: capturedLogger().logger });
    weights.setFileRoutes({ payments: { weight: 10, mode: 'split' } });
    const changes: Array<[string, WeightState]> = [];
    weights.onChange((route, state) => changes.push([route, state]));
    await weights.setModeByOperator('payments', 'shadow');
    weights.setFileRoutes({ payments: { weight: 10, mode: 'shadow' } }); // the file now agrees: nothing changes
    weights.setFileRoutes({ payments: { weight: 10, mode: 'split' } }); // the operator's mode still wins: nothing changes
    await weights.reset('payments');
    expect(changes.map(([route, state]) => [route, state.mode, state.modeSource])).toEqual([
      ['payments', 'shadow', 'operator'],
      ['payments', 'split', 'file'],
    ]);
    await expect(weights.setModeByOperator('payments', 'canary' as never)).rejects.toThrow(/"split" or "shadow", not "canary"/);
    await expect(weights.setModeByOperator('nope', 'shadow')).rejects.toThrow(/no route named "nope"/);
    expect(() => weights.setFileRoutes({ payments: { weight: 10, mode: 'mirror' as never } })).toThrow(/route "payments": a mode is "split" or "shadow"/);
    expect(weights.modeOf('payments')).toBe('split');
    await weights.close();
  });
});

describe('RouteWeights shared through Redis', () => {
  let redis: Redis;
  const namespaces: string[] = [];
  const opened: RouteWeights[] = [];

  beforeAll(async () => {
    redis = new Redis(REDIS_URL, { lazyConnect: true });
    await redis.connect();
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((weights) => weights.close()));
    for (const namespace of namespaces.splice(0)) {
      const keys = await redis.keys(`${namespace}:*`);
      if (keys.length > 0) await redis.del(...keys);
    }
  });

  afterAll(async () => {
    await redis.quit();
  });

  async function replica(namespace: string, refreshMs?: number): Promise<RouteWeights> {
    const weights = await RouteWeights.open({ redisUrl: REDIS_URL, namespace, logger: capturedLogger().logger, ...(refreshMs ? { refreshMs } : {}) });
    weights.setFileWeights({ payments: 10, catalog: 0 });
    opened.push(weights);
    return weights;
  }

  function freshNamespace(): string {
    const namespace = `test-weights-${randomUUID()}`;
    namespaces.push(namespace);
    return namespace;
  }

  it("lets every replica see another's operator weight, rollback and reset", async () => {
    const namespace = freshNamespace();
    const one = await replica(namespace);
    const two = await replica(namespace);
    const seenByTwo: Array<[string, WeightState]> = [];
    two.onChange((route, state) => seenByTwo.push([route, state]));

    await one.setByOperator('payments', 60);
    await vi.waitFor(() => expect(two.stateOf('payments')).toMatchObject({ weight: 60, source: 'operator' }), DEADLINE);

    expect(await two.rollBack('payments', '5xx rate 0.5 over 30 s (100 of 200 requests) > 0.05')).toBe(true);
    expect(two.weightOf('payments')).toBe(0);
    await vi.waitFor(() => expect(one.stateOf('payments')).toMatchObject({ weight: 0, source: 'rollback', reason: '5xx rate 0.5 over 30 s (100 of 200 requests) > 0.05' }), DEADLINE);

    await one.reset('payments');
    await vi.waitFor(() => expect(two.stateOf('payments')).toEqual({ weight: 10, source: 'file', mode: 'split', modeSource: 'file' }), DEADLINE);

    // Each change reached the other replica's listeners exactly once.
    expect(seenByTwo.map(([route, state]) => [route, state.weight, state.source])).toEqual([
      ['payments', 60, 'operator'],
      ['payments', 0, 'rollback'],
      ['payments', 10, 'file'],
    ]);
  });

  it('rolls back once when two replicas try at the same moment: the first wins', async () => {
    const namespace = freshNamespace();
    const one = await replica(namespace);
    const two = await replica(namespace);
    const results = await Promise.all([one.rollBack('payments', 'from one'), two.rollBack('payments', 'from two')]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results[0] ? 'from one' : 'from two';
    await vi.waitFor(() => {
      expect(one.stateOf('payments')).toMatchObject({ weight: 0, source: 'rollback', reason: winner });
      expect(two.stateOf('payments')).toMatchObject({ weight: 0, source: 'rollback', reason: winner });
    }, DEADLINE);
    expect(await one.rollBack('payments', 'later')).toBe(false);
  });

  it('keeps the changes across a restart', async () => {
    const namespace = freshNamespace();
    const first = await replica(namespace);
    await first.setByOperator('payments', 45);
    await first.rollBack('catalog', 'p99 3000 ms over 30 s (80 requests) > 2000 ms');
    await first.close();

    const restarted = await replica(namespace);
    expect(restarted.stateOf('payments')).toMatchObject({ weight: 45, source: 'operator' });
    expect(restarted.stateOf('catalog')).toMatchObject({ weight: 0, source: 'rollback' });
  });

  it('catches up by re-reading when a change message was missed', async () => {
    const namespace = freshNamespace();
    const weights = await replica(namespace, 50);
    // A change written behind the replicas' backs: no message is published.
    await redis.hset(`${namespace}:weights`, 'payments', JSON.stringify({ weight: 90, source: 'operator', at: new Date().toISOString() }));
    await redis.incr(`${namespace}:weights:version`);
    await vi.waitFor(() => expect(weights.stateOf('payments')).toMatchObject({ weight: 90, source: 'operator' }), DEADLINE);
  });

  it('ignores an unreadable stored weight instead of running the route at it', async () => {
    const namespace = freshNamespace();
    await redis.hset(`${namespace}:weights`, 'payments', '{"weight":500,"source":"operator"}');
    const weights = await replica(namespace);
    expect(weights.stateOf('payments')).toEqual({ weight: 10, source: 'file', mode: 'split', modeSource: 'file' });
  });

  it("lets every replica see another's mode, keeps it through a rollback, and forgets it on a reset", async () => {
    const namespace = freshNamespace();
    const one = await replica(namespace);
    const two = await replica(namespace);
    await one.setModeByOperator('payments', 'shadow');
    await vi.waitFor(() => expect(two.stateOf('payments')).toMatchObject({ mode: 'shadow', modeSource: 'operator' }), DEADLINE);
    expect(two.modeOf('payments')).toBe('shadow');

    // A weight change and a rollback from the other replica leave the mode as it is.
    await two.setByOperator('payments', 35);
    await vi.waitFor(() => expect(one.stateOf('payments')).toMatchObject({ weight: 35, source: 'operator', mode: 'shadow', modeSource: 'operator' }), DEADLINE);
    expect(await two.rollBack('payments', 'p99 2500 ms over 30 s (120 requests) > 2000 ms')).toBe(true);
    await vi.waitFor(() => expect(one.stateOf('payments')).toMatchObject({ weight: 0, source: 'rollback', mode: 'shadow', modeSource: 'operator' }), DEADLINE);

    await two.reset('payments');
    await vi.waitFor(() => expect(one.stateOf('payments')).toEqual({ weight: 10, source: 'file', mode: 'split', modeSource: 'file' }), DEADLINE);
  });

  it('keeps a mode across a restart, and ignores an unreadable stored mode', async () => {
    const namespace = freshNamespace();
    const first = await replica(namespace);
    await first.setModeByOperator('payments', 'shadow');
    await first.close();
    await redis.hset(`${namespace}:modes`, 'catalog', '{"mode":"canary"}');

    const { logger, lines } = capturedLogger();
    const restarted = await RouteWeights.open({ redisUrl: REDIS_URL, namespace, logger });
    opened.push(restarted);
    restarted.setFileRoutes({ payments: { weight: 10, mode: 'split' }, catalog: { weight: 0, mode: 'split' } });
    expect(restarted.stateOf('payments')).toMatchObject({ mode: 'shadow', modeSource: 'operator' });
    expect(restarted.stateOf('catalog')).toEqual({ weight: 0, source: 'file', mode: 'split', modeSource: 'file' });
    expect(lines.some((line) => line.level === 40 && line.msg.includes('unreadable stored mode for route catalog'))).toBe(true);
  });

  it('uses Redis, not the state file, when both are given', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'route-weights-'));
    try {
      const stateFile = path.join(folder, 'state.json');
      const weights = await RouteWeights.open({ redisUrl: REDIS_URL, namespace: freshNamespace(), logger: capturedLogger().logger, stateFile });
      opened.push(weights);
      weights.setFileWeights({ payments: 10 });
      await weights.setByOperator('payments', 80);
      await weights.setModeByOperator('payments', 'shadow');
      expect(existsSync(stateFile)).toBe(false);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('refuses to open when Redis cannot be reached, without printing the password', async () => {
    const error = await RouteWeights.open({ redisUrl: 'redis://:s3cret-pass@127.0.0.1:1', namespace: freshNamespace(), logger: capturedLogger().logger }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/could not reach Redis at 127\.0\.0\.1:1/);
    expect(error?.message).not.toContain('s3cret-pass');
  });
});
