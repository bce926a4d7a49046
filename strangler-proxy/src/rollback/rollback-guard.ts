import type { Logger } from 'pino';
import type { RouteConfig } from '../config/route-config.js';
import type { GatewayMetrics } from '../metrics/gateway-metrics.js';
import type { RouteWeights } from '../state/route-weights.js';
import { RollingWindow, type WindowSnapshot } from './rolling-window.js';

type Thresholds = RouteConfig['rollback'];

interface Watch {
  window: RollingWindow;
  /** No verdict before this time: judging is once a second, not once a request. */
  nextVerdictAt: number;
  /** A rollBack() is in flight (Redis may be slow): do not send another. */
  rollingBack: boolean;
  /** Cancels the verdict deferred to `nextVerdictAt` (the last requests of a burst are judged too). */
  cancelDeferred: (() => void) | undefined;
  thresholds: Thresholds;
}

/**
 * Watches each split route's extracted side and rolls the route back to weight 0 when
 * its window's failure rate or p99 latency passes the route's thresholds.
 *
 * Judging is at most once a second; requests arriving in between are judged by a verdict
 * deferred to the end of that second, so a burst of failures that stops (clients that
 * gave up, a route that falls quiet) is still judged within a second of its last one.
 *
 * A verdict needs `minRequests` in the window: with a handful of requests one error is
 * a 20% error rate, and Flagger's and Argo Rollouts' users report canaries rolled back
 * (or promoted) on exactly that. Already rolled back, nothing more happens; an
 * operator's new weight starts a fresh window, so the requests that caused the rollback
 * do not judge the next attempt.
 */
/** Runs `callback` after `delayMs`; answers how to cancel it. Injected by tests, with their clock. */
export type Schedule = (callback: () => void, delayMs: number) => () => void;

const realTimer: Schedule = (callback, delayMs) => {
  const timer = setTimeout(callback, delayMs);
  timer.unref();
  return () => clearTimeout(timer);
};

export class RollbackGuard {
  private readonly watches = new Map<string, Watch>();
  private readonly now: () => number;
  private readonly schedule: Schedule;
  private closed = false;

  constructor(
    private readonly weights: RouteWeights,
    private readonly metrics: GatewayMetrics,
    private readonly logger: Logger,
    options: { now?: () => number; schedule?: Schedule } = {},
  ) {
    this.now = options.now ?? Date.now;
    this.schedule = options.schedule ?? realTimer;
    // A rollback (here or on another replica) or an operator's weight ends the window
    // that judged the route: requests still in flight at the rollback would otherwise
    // count against the operator's next try.
    weights.onChange((route, state) => {
      if (state.source !== 'file') this.forget(route);
    });
  }

  /** For every finished extracted-side request of a split route. */
  observe(route: { name: string; rollback: Thresholds }, latencyMs: number, failed: boolean): void {
    if (this.closed) return;
    const now = this.now();
    let watch = this.watches.get(route.name);
    if (watch === undefined || watch.window.windowSeconds !== route.rollback.windowSeconds) {
      // First request, or the routes file changed the window's length: a fresh window.
      watch?.cancelDeferred?.();
      watch = { window: new RollingWindow(route.rollback.windowSeconds), nextVerdictAt: 0, rollingBack: false, cancelDeferred: undefined, thresholds: route.rollback };
      this.watches.set(route.name, watch);
    }
    watch.thresholds = route.rollback;
    watch.window.record(latencyMs, failed, now);
    if (watch.rollingBack) return; // its outcome decides what comes next
    if (now < watch.nextVerdictAt) this.defer(route.name, watch, watch.nextVerdictAt - now);
    else this.verdict(route.name, watch, now);
  }

  /** A route's window (for the admin API). */
  windowOf(route: string): WindowSnapshot | undefined {
    return this.watches.get(route)?.window.snapshot(this.now());
  }

  /** Forgets a route's window: a fresh one judges it from the next request. */
  forget(route: string): void {
    this.watches.get(route)?.cancelDeferred?.();
    this.watches.delete(route);
  }

  /** At shutdown: no verdict is due any more, none can write to a closing store. */
  close(): void {
    this.closed = true;
    for (const route of [...this.watches.keys()]) this.forget(route);
  }

  /** A verdict at the end of the current second, unless one is already due then. */
  private defer(name: string, watch: Watch, delayMs: number): void {
    if (watch.cancelDeferred) return;
    watch.cancelDeferred = this.schedule(() => {
      watch.cancelDeferred = undefined;
      // A forgotten window (an operator's weight, a rollback elsewhere) has nothing left to judge.
      if (this.closed || this.watches.get(name) !== watch || watch.rollingBack) return;
      this.verdict(name, watch, this.now());
    }, Math.max(1, delayMs));
  }

  private verdict(name: string, watch: Watch, now: number): void {
    watch.cancelDeferred?.();
    watch.cancelDeferred = undefined;
    watch.nextVerdictAt = now + 1_000;
    this.judge(name, watch.thresholds, watch, now);
  }

  private judge(name: string, thresholds: Thresholds, watch: Watch, now: number): void {
    if (this.weights.stateOf(name).source === 'rollback') return;
    const figures = watch.window.snapshot(now);
    if (figures.requests < thresholds.minRequests) return;
    const reason = breach(figures, thresholds);
    if (reason === undefined) return;

    watch.rollingBack = true;
    this.weights.rollBack(name, reason).then(
      (changed) => {
        watch.rollingBack = false;
        // false: another replica rolled it back first and logged it there.
        if (!changed) return;
        this.metrics.rolledBack(name);
        this.logger.error(
          {
            route: name,
            requests: figures.requests,
            failures: figures.failures,
            errorRate: figures.errorRate,
            p99Ms: figures.p99Ms,
            windowSeconds: thresholds.windowSeconds,
            maxErrorRate: thresholds.maxErrorRate,
            maxP99Ms: thresholds.maxP99Ms,
          },
          `route ${name} rolled back to weight 0: ${reason}`,
        );
      },
      (error: unknown) => {
        watch.rollingBack = false;
        this.logger.error({ route: name, err: error, reason }, `could not roll route ${name} back (${reason}): ${(error as Error).message}`);
        // Judged again a second later, whether or not another request comes.
        if (!this.closed && this.watches.get(name) === watch) this.defer(name, watch, Math.max(1, watch.nextVerdictAt - this.now()));
      },
    );
  }
}

/** Why the figures fail the thresholds, stated with the figures; undefined if they pass. */
function breach(figures: WindowSnapshot, thresholds: Thresholds): string | undefined {
  const over = `over ${thresholds.windowSeconds} s`;
  if (figures.errorRate > thresholds.maxErrorRate) {
    return `5xx rate ${short(figures.errorRate)} ${over} (${figures.failures} of ${figures.requests} requests) > ${thresholds.maxErrorRate}`;
  }
  if (figures.p99Ms > thresholds.maxP99Ms) {
    return `p99 ${Math.round(figures.p99Ms)} ms ${over} (${figures.requests} requests) > ${thresholds.maxP99Ms} ms`;
  }
  return undefined;
}

/** 0.42, 0.417, 1: three significant digits, no trailing zeros. */
function short(value: number): string {
  return String(Number(value.toPrecision(3)));
}
