import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { rollbackSchema } from '../config/route-config.js';
import { GatewayMetrics } from '../metrics/gateway-metrics.js';
import { RouteWeights } from '../state/route-weights.js';
import { RollbackGuard } from './rollback-guard.js';

const DEADLINE = { timeout: 5_000, interval: 5 };

/** A guard over a memory RouteWeights, with a clock the test moves and the log lines it wrote. */
async function setUp(thresholds: Partial<ReturnType<typeof rollbackSchema.parse>> = {}) {
  const lines: Array<{ level: number; msg: string } & Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const weights = await RouteWeights.open({ namespace: 'unused', logger });
  weights.setFileWeights({ payments: 50 });
  const metrics = new GatewayMetrics();
  const clock = { now: 1_700_000_000_000 };
  // The guard's deferred verdicts run on this clock: `advance` moves it, running what falls due.
  const timers: { at: number; run: () => void; done: boolean }[] = [];
  const schedule = (run: () => void, delayMs: number) => {
    const timer = { at: clock.now + delayMs, run, done: false };
    timers.push(timer);
    return () => void (timer.done = true);
  };
  const advance = (ms: number) => {
    const until = clock.now + ms;
    for (;;) {
      const due = timers.filter((t) => !t.done && t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      clock.now = Math.max(clock.now, due.at);
      due.done = true;
      due.run();
    }
    clock.now = until;
  };
  const pendingTimers = () => timers.filter((t) => !t.done).length;
  const guard = new RollbackGuard(weights, metrics, logger, { now: () => clock.now, schedule });
  const route = { name: 'payments', rollback: rollbackSchema.parse({ windowSeconds: 30, minRequests: 50, maxErrorRate: 0.05, maxP99Ms: 2_000, ...thresholds }) };
  /** `count` requests spread evenly over `overMs`, from the current time on. */
  const traffic = (count: number, overMs: number, request: (i: number) => { latencyMs: number; failed: boolean }) => {
    const start = clock.now;
    for (let i = 0; i < count; i++) {
      advance(start + Math.floor((i * overMs) / count) - clock.now);
      const { latencyMs, failed } = request(i);
      guard.observe(route, latencyMs, failed);
    }
    advance(start + overMs - clock.now);
  };
  const errorLines = () => lines.filter((line) => line.level === 50);
  const rollbacksCounted = async () => Number(/gateway_rollbacks_total\{route="payments"\} (\d+)/.exec(await metrics.text())?.[1] ?? 0);
  return { weights, metrics, guard, route, clock, advance, pendingTimers, traffic, lines, errorLines, rollbacksCounted };
}

/** Lets the guard's pending rollBack() promise settle. */
async function settled(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
}

describe('RollbackGuard', () => {
  it('does not roll back below minRequests, even at 100% errors; at minRequests it does', async () => {
    const { weights, guard, route, clock, traffic, errorLines, rollbacksCounted } = await setUp({ minRequests: 50 });
    // 49 failures over 20 s: a verdict is due every second, and none rolls back.
    traffic(49, 20_000, () => ({ latencyMs: 5_000, failed: true }));
    await settled();
    expect(weights.stateOf('payments')).toMatchObject({ weight: 50, source: 'file' });
    expect(errorLines()).toHaveLength(0);
    // The 50th request, a second later: the window is big enough to judge.
    clock.now += 1_000;
    guard.observe(route, 5_000, true);
    await settled();
    expect(weights.stateOf('payments')).toMatchObject({ weight: 0, source: 'rollback', reason: '5xx rate 1 over 30 s (50 of 50 requests) > 0.05' });
    expect(errorLines()).toHaveLength(1);
    expect(await rollbacksCounted()).toBe(1);
    expect(guard.windowOf('payments')).toBeUndefined(); // the window that judged it is done
  });

  it('holds any verdict while the window has fewer than minRequests', async () => {
    const { weights, guard, traffic, clock, errorLines, rollbacksCounted } = await setUp({ minRequests: 50 });
    // 49 failing requests, a verdict due every second over 49 s: never a rollback.
    traffic(49, 49_000, () => ({ latencyMs: 5_000, failed: true }));
    await settled();
    expect(weights.stateOf('payments')).toMatchObject({ weight: 50, source: 'file' });
    expect(errorLines()).toHaveLength(0);
    expect(await rollbacksCounted()).toBe(0);
    // The window only ever holds the last 30 s of them (seconds 20–49: 29 requests).
    expect(guard.windowOf('payments')).toMatchObject({ requests: 29, failures: 29, errorRate: 1 });
    clock.now += 60_000;
    expect(guard.windowOf('payments')).toMatchObject({ requests: 0 });
  });

  it('rolls back once when the 5xx rate passes the threshold, and logs the figures', async () => {
    const { weights, traffic, errorLines, rollbacksCounted } = await setUp();
    // 200 requests over 20 s, 84 of them failed, spread so the verdicts (once a second)
    // see a rate past 0.05 early on: the rollback fires within the window.
    traffic(200, 20_000, (i) => ({ latencyMs: 12, failed: i % 50 < 21 }));
    await settled();
    const state = weights.stateOf('payments');
    expect(state).toMatchObject({ weight: 0, source: 'rollback' });
    expect(state.reason).toMatch(/^5xx rate [\d.]+ over 30 s \(\d+ of \d+ requests\) > 0\.05$/);
    const [line, ...others] = errorLines();
    expect(others).toHaveLength(0);
    expect(line?.msg).toBe(`route payments rolled back to weight 0: ${state.reason}`);
    expect(line).toMatchObject({ route: 'payments', windowSeconds: 30, maxErrorRate: 0.05 });
    expect(line?.requests).toBeGreaterThanOrEqual(50);
    expect(line?.failures).toBe(Math.round((line!.errorRate as number) * (line!.requests as number)));
    expect(await rollbacksCounted()).toBe(1);

    // Failing traffic that keeps arriving (header override, requests in flight) changes nothing more.
    traffic(500, 10_000, () => ({ latencyMs: 12, failed: true }));
    await settled();
    expect(errorLines()).toHaveLength(1);
    expect(await rollbacksCounted()).toBe(1);

    // The file's weight does not lift it; an operator's does.
    weights.setFileWeights({ payments: 70 });
    expect(weights.weightOf('payments')).toBe(0);
  });

  it('states the exact figures of the window it judged', async () => {
    const { weights, guard, route, clock, traffic, errorLines } = await setUp({ minRequests: 200 });
    // 199 requests, then the 200th in a later second: the verdict sees exactly 84 of 200.
    traffic(199, 10_000, (i) => ({ latencyMs: 12, failed: i < 84 }));
    clock.now += 1_000;
    guard.observe(route, 12, false);
    await settled();
    expect(weights.stateOf('payments').reason).toBe('5xx rate 0.42 over 30 s (84 of 200 requests) > 0.05');
    expect(errorLines()[0]).toMatchObject({ requests: 200, failures: 84, errorRate: 0.42 });
  });

  it('rolls back when the p99 latency passes the threshold', async () => {
    const { weights, traffic, errorLines, rollbacksCounted } = await setUp({ maxP99Ms: 2_000 });
    // No errors, but 5% of answers take 3 s.
    traffic(200, 10_000, (i) => ({ latencyMs: i % 20 === 0 ? 3_000 : 15, failed: false }));
    await settled();
    const state = weights.stateOf('payments');
    expect(state.source).toBe('rollback');
    expect(state.reason).toMatch(/^p99 (\d+) ms over 30 s \(\d+ requests\) > 2000 ms$/);
    expect(Number(/^p99 (\d+)/.exec(state.reason!)![1])).toBeGreaterThan(2_800);
    expect(errorLines()).toHaveLength(1);
    expect(errorLines()[0]).toMatchObject({ maxP99Ms: 2_000 });
    expect(await rollbacksCounted()).toBe(1);
  });

  it('leaves fine traffic alone', async () => {
    const { weights, guard, traffic, errorLines, rollbacksCounted } = await setUp();
    // 1% errors and a p99 well under 2 s, for a minute.
    traffic(6_000, 60_000, (i) => ({ latencyMs: i % 100 === 1 ? 900 : 8, failed: i % 100 === 0 }));
    await settled();
    expect(weights.stateOf('payments')).toMatchObject({ weight: 50, source: 'file' });
    expect(errorLines()).toHaveLength(0);
    expect(await rollbacksCounted()).toBe(0);
    // Seconds 31–60 of the minute (the 60th has had no request yet).
    expect(guard.windowOf('payments')).toMatchObject({ requests: 2_900, failures: 29 });
  });

  it('judges at most once a second: the requests in between get one verdict at the end of that second, with no request needed', async () => {
    const { weights, guard, route, advance, pendingTimers, errorLines } = await setUp({ minRequests: 50 });
    guard.observe(route, 10, false); // judged at once: too few requests
    for (let i = 0; i < 100; i++) guard.observe(route, 10, true); // within the same second, then silence
    await settled();
    expect(weights.stateOf('payments').source).toBe('file');
    expect(pendingTimers()).toBe(1); // one deferred verdict, not one per request
    advance(999);
    await settled();
    expect(weights.stateOf('payments').source).toBe('file');
    advance(1);
    await settled();
    expect(weights.stateOf('payments')).toMatchObject({ weight: 0, source: 'rollback' });
    expect(errorLines()).toHaveLength(1);
  });

  it('cancels the deferred verdict when a request brings the verdict itself', async () => {
    const { guard, route, clock, pendingTimers } = await setUp({ minRequests: 50 });
    guard.observe(route, 10, false);
    guard.observe(route, 10, true);
    expect(pendingTimers()).toBe(1);
    clock.now += 1_000; // past the second, the timer not yet run
    guard.observe(route, 10, true);
    expect(pendingTimers()).toBe(0);
  });

  it('judges again a second after a rollback it could not record, with no request needed', async () => {
    const { weights, guard, route, advance, errorLines } = await setUp({ minRequests: 50 });
    const rollBack = weights.rollBack.bind(weights);
    let refusals = 1;
    weights.rollBack = (name, reason) => (refusals-- > 0 ? Promise.reject(new Error('state store unreachable')) : rollBack(name, reason));
    for (let i = 0; i < 59; i++) guard.observe(route, 10, true);
    advance(1_000);
    guard.observe(route, 10, true); // judged at once: the store refuses the rollback
    await settled();
    expect(weights.stateOf('payments').source).toBe('file');
    expect(errorLines().map((line) => line.msg)).toEqual([expect.stringMatching(/^could not roll route payments back/)]);
    advance(1_000);
    await settled();
    expect(weights.stateOf('payments')).toMatchObject({ weight: 0, source: 'rollback' });
  });

  it('leaves no verdict due after close', async () => {
    const { weights, guard, route, advance, pendingTimers } = await setUp({ minRequests: 50 });
    guard.observe(route, 10, false);
    for (let i = 0; i < 60; i++) guard.observe(route, 10, true);
    guard.close();
    expect(pendingTimers()).toBe(0);
    advance(5_000);
    guard.observe(route, 10, true);
    await settled();
    expect(weights.stateOf('payments').source).toBe('file');
  });

  it("judges an operator's new weight by a fresh window", async () => {
    const { weights, guard, traffic, errorLines } = await setUp({ minRequests: 50 });
    traffic(100, 5_000, () => ({ latencyMs: 10, failed: true }));
    await settled();
    expect(weights.stateOf('payments').source).toBe('rollback');

    await weights.setByOperator('payments', 10);
    expect(guard.windowOf('payments')).toBeUndefined();
    // A few failures on the new attempt are below minRequests of the fresh window.
    traffic(20, 5_000, () => ({ latencyMs: 10, failed: true }));
    await settled();
    expect(weights.stateOf('payments')).toMatchObject({ weight: 10, source: 'operator' });
    expect(guard.windowOf('payments')).toMatchObject({ requests: 20 });
    // Enough of them, and it rolls back again.
    traffic(60, 5_000, () => ({ latencyMs: 10, failed: true }));
    await vi.waitFor(() => expect(weights.stateOf('payments').source).toBe('rollback'), DEADLINE);
    expect(errorLines()).toHaveLength(2);
  });

  it('starts a fresh window when the routes file changes its length', async () => {
    const { guard, route, clock } = await setUp();
    guard.observe(route, 10, true);
    guard.observe({ ...route, rollback: { ...route.rollback, windowSeconds: 10 } }, 10, false);
    clock.now += 1;
    expect(guard.windowOf('payments')).toMatchObject({ requests: 1, failures: 0 });
  });
});
