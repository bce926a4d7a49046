import { describe, expect, it } from 'vitest';
import { RollingWindow } from './rolling-window.js';

const T0 = 1_700_000_000_000; // a whole second: the window's buckets are epoch seconds

describe('RollingWindow', () => {
  it('counts requests and failures over the window', () => {
    const window = new RollingWindow(30);
    for (let i = 0; i < 200; i++) window.record(10, i < 84, T0 + i * 100); // 20 s of traffic
    const snapshot = window.snapshot(T0 + 20_000);
    expect(snapshot.requests).toBe(200);
    expect(snapshot.failures).toBe(84);
    expect(snapshot.errorRate).toBeCloseTo(0.42, 10);
  });

  it('is empty before anything is recorded', () => {
    expect(new RollingWindow(10).snapshot(T0)).toEqual({ requests: 0, failures: 0, errorRate: 0, p99Ms: 0 });
  });

  it('forgets requests older than the window, second by second', () => {
    const window = new RollingWindow(10);
    window.record(5, true, T0); // second 0
    window.record(5, false, T0 + 4_500); // second 4
    window.record(5, false, T0 + 9_999); // second 9
    expect(window.snapshot(T0 + 9_999).requests).toBe(3);
    // At second 10 the window is seconds 1–10: the first request has left it.
    expect(window.snapshot(T0 + 10_000)).toMatchObject({ requests: 2, failures: 0 });
    expect(window.snapshot(T0 + 13_999).requests).toBe(2);
    expect(window.snapshot(T0 + 14_000).requests).toBe(1);
    expect(window.snapshot(T0 + 19_000).requests).toBe(0);
  });

  it('reuses a bucket when its slot comes round again, without the old second\'s counts', () => {
    const window = new RollingWindow(5);
    for (let i = 0; i < 50; i++) window.record(3_000, true, T0 + 2_000); // second 2
    window.record(10, false, T0 + 7_000); // second 7: the same slot as second 2
    expect(window.snapshot(T0 + 7_000)).toEqual({ requests: 1, failures: 0, errorRate: 0, p99Ms: expect.closeTo(10, 0) });
  });

  it('drops a record for a second already past the window rather than wiping a live bucket', () => {
    const window = new RollingWindow(5);
    window.record(10, false, T0 + 7_000);
    window.record(10, true, T0 + 2_000); // late: second 2 shares second 7's slot
    expect(window.snapshot(T0 + 7_000)).toMatchObject({ requests: 1, failures: 0 });
  });

  it("reads p99 within the histogram's precision (±5%)", () => {
    const window = new RollingWindow(60);
    // 1..1000 ms, one of each: the true p99 is 990 ms.
    for (let ms = 1; ms <= 1000; ms++) window.record(ms, false, T0 + ms * 10);
    expect(window.snapshot(T0 + 10_000).p99Ms / 990).toBeGreaterThan(0.95);
    expect(window.snapshot(T0 + 10_000).p99Ms / 990).toBeLessThan(1.05);

    // 98% fast, 2% slow: the p99 is a slow one.
    const mixed = new RollingWindow(30);
    for (let i = 0; i < 1000; i++) mixed.record(i % 50 === 0 ? 2_500 : 4, false, T0);
    expect(mixed.snapshot(T0).p99Ms).toBeGreaterThan(2_500 * 0.95);
    expect(mixed.snapshot(T0).p99Ms).toBeLessThan(2_500 * 1.05);

    // 0.5% slow: below the p99, so the p99 is a fast one.
    const rare = new RollingWindow(30);
    for (let i = 0; i < 1000; i++) rare.record(i % 200 === 0 ? 2_500 : 4, false, T0);
    expect(rare.snapshot(T0).p99Ms).toBeLessThan(4 * 1.05);
  });

  it('merges the latencies of every second in the window, and only those', () => {
    const window = new RollingWindow(10);
    for (let i = 0; i < 100; i++) window.record(5_000, false, T0); // second 0: slow
    for (let i = 0; i < 100; i++) window.record(20, false, T0 + 5_000); // second 5: fast
    expect(window.snapshot(T0 + 5_000).p99Ms).toBeGreaterThan(4_500);
    expect(window.snapshot(T0 + 10_000).p99Ms).toBeLessThan(21); // the slow second has left
  });

  it('stays bounded: latencies beyond the histogram land in its last bin', () => {
    const window = new RollingWindow(1);
    window.record(10 * 60_000, true, T0);
    window.record(-3, false, T0); // a clock that stepped back
    const snapshot = window.snapshot(T0);
    expect(snapshot.requests).toBe(2);
    expect(snapshot.p99Ms).toBeGreaterThan(100_000);
  });

  it('refuses a window that is not a whole number of seconds', () => {
    expect(() => new RollingWindow(0)).toThrow(/windowSeconds/);
    expect(() => new RollingWindow(1.5)).toThrow(/windowSeconds/);
  });
});
