import type { Logger } from 'pino';
import { RedisWeightStore, type WeightChange } from './redis-weight-store.js';
import { assertWeight, sameState, type OverrideState, type WeightState } from './weight-state.js';

export type { WeightState } from './weight-state.js';

/** What a route the routes file does not name runs at: nothing goes to an extracted side. */
const UNKNOWN: WeightState = Object.freeze({ weight: 0, source: 'file' });

/**
 * The weight each route runs at, shared by every replica of the gateway.
 *
 * Precedence: a rollback (0, until an operator sets a weight) over an operator's weight
 * (until reset) over the routes file's. With a Redis URL the overrides live in Redis
 * (RedisWeightStore): every replica learns of a change at once through pub/sub, and also
 * re-reads them every `refreshMs` in case a message was missed. Without, they live in
 * this process only.
 *
 * The hot path reads `weightOf()`: one Map lookup in local memory, never a Redis call.
 */
export class RouteWeights {
  private readonly fileWeights = new Map<string, number>();
  /** With Redis: a mirror of the hash, routes the file no longer has included. */
  private overrides = new Map<string, OverrideState>();
  /** The resolved state of every route the file has: what the hot path reads. */
  private readonly effective = new Map<string, WeightState>();
  private readonly listeners: Array<(route: string, state: WeightState) => void> = [];
  /** The newest store version applied: older replies, messages and re-reads are ignored. */
  private version = 0;
  private store: RedisWeightStore | undefined;
  private timer: NodeJS.Timeout | undefined;
  private refreshFailing = false;
  private closed = false;

  private constructor(private readonly logger: Logger) {}

  /**
   * With redisUrl: connects, reads the stored overrides and subscribes to changes;
   * rejects (naming host and port, never the URL) when Redis cannot be reached, rather
   * than starting a replica that would ignore a rollback. Without: in this process only.
   */
  static async open(options: { redisUrl?: string; namespace: string; logger: Logger; refreshMs?: number }): Promise<RouteWeights> {
    const weights = new RouteWeights(options.logger);
    if (!options.redisUrl) return weights;
    weights.store = await RedisWeightStore.connect(options.redisUrl, options.namespace, options.logger, {
      onChange: (change) => weights.applyChange(change),
      onResubscribed: () => void weights.refresh(),
    });
    try {
      weights.applySnapshot(await weights.store.load());
    } catch (error) {
      await weights.store.close();
      throw new Error(`could not read the route weights from Redis: ${(error as Error).message}`, { cause: error });
    }
    const refreshMs = options.refreshMs ?? 5_000;
    weights.timer = setInterval(() => void weights.refresh(), refreshMs);
    weights.timer.unref();
    return weights;
  }

  /** The routes file's weights (on load and every reload); a route the file no longer has is forgotten locally. */
  setFileWeights(weights: Record<string, number>): void {
    for (const weight of Object.values(weights)) assertWeight(weight);
    for (const route of [...this.fileWeights.keys()]) {
      if (Object.hasOwn(weights, route)) continue;
      this.fileWeights.delete(route);
      // In Redis the override stays (another replica may still have the route); here it
      // would only be a leak.
      if (!this.store) this.overrides.delete(route);
      this.resolve(route);
    }
    for (const [route, weight] of Object.entries(weights)) {
      this.fileWeights.set(route, weight);
      this.resolve(route);
    }
  }

  /** Synchronous, from local memory: the hot path calls it on every request. */
  weightOf(route: string): number {
    return (this.effective.get(route) ?? UNKNOWN).weight;
  }

  stateOf(route: string): WeightState {
    return this.effective.get(route) ?? UNKNOWN;
  }

  /** An operator's weight: wins over the file's until reset; clears a rollback. */
  async setByOperator(route: string, weight: number): Promise<WeightState> {
    assertWeight(weight);
    if (!this.fileWeights.has(route)) throw new Error(`no route named "${route}" in the routes file`);
    const state: OverrideState = { weight, source: 'operator', at: new Date().toISOString() };
    if (this.store) this.applyChange({ route, state, version: await this.store.set(route, state) });
    else this.setOverride(route, state);
    return this.stateOf(route);
  }

  /**
   * Drops the route to 0 and keeps it there (whatever the file says) until an operator
   * sets a weight. True only if this call changed it: of several replicas rolling back
   * at once, the first wins and the others get false.
   */
  async rollBack(route: string, reason: string): Promise<boolean> {
    const state: OverrideState = { weight: 0, source: 'rollback', reason, at: new Date().toISOString() };
    if (this.store) {
      const version = await this.store.rollBack(route, state);
      if (version === null) return false;
      this.applyChange({ route, state, version });
      return true;
    }
    if (this.overrides.get(route)?.source === 'rollback') return false;
    this.setOverride(route, state);
    return true;
  }

  /** Forgets the operator's or rollback's value: back to the file's weight. */
  async reset(route: string): Promise<WeightState> {
    if (this.store) this.applyChange({ route, state: null, version: await this.store.remove(route) });
    else this.setOverride(route, null);
    return this.stateOf(route);
  }

  /** Called with a route's new state whenever it changes, here or on another replica. */
  onChange(listener: (route: string, state: WeightState) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.store?.close();
  }

  /** Re-reads every override (periodically, and after the subscription was lost). */
  private async refresh(): Promise<void> {
    if (!this.store || this.closed) return;
    try {
      this.applySnapshot(await this.store.load());
      if (this.refreshFailing) this.logger.info('route weights are read from Redis again');
      this.refreshFailing = false;
    } catch (error) {
      if (this.closed) return;
      // Once per outage: the connection's own warning says Redis is away.
      if (!this.refreshFailing) this.logger.warn({ err: (error as Error).message }, 'could not re-read the route weights from Redis; keeping the last known ones');
      this.refreshFailing = true;
    }
  }

  private applyChange(change: WeightChange): void {
    if (change.version <= this.version) return; // already applied (our own change's message) or superseded
    this.version = change.version;
    this.setOverride(change.route, change.state);
  }

  private applySnapshot(snapshot: { version: number; overrides: Map<string, OverrideState> }): void {
    // A re-read older than a message already applied would undo it: wait for the next one.
    if (snapshot.version < this.version) return;
    this.version = snapshot.version;
    const previous = this.overrides;
    this.overrides = snapshot.overrides;
    for (const route of previous.keys()) if (!snapshot.overrides.has(route)) this.resolve(route);
    for (const route of snapshot.overrides.keys()) this.resolve(route);
  }

  private setOverride(route: string, state: OverrideState | null): void {
    if (state) this.overrides.set(route, state);
    else this.overrides.delete(route);
    this.resolve(route);
  }

  /** Recomputes a route's effective state and tells the listeners if it changed. */
  private resolve(route: string): void {
    const before = this.effective.get(route);
    const fileWeight = this.fileWeights.get(route);
    if (fileWeight === undefined) {
      if (before === undefined) return;
      this.effective.delete(route);
      this.emit(route, UNKNOWN);
      return;
    }
    const after = this.overrides.get(route) ?? (before?.source === 'file' && before.weight === fileWeight ? before : { weight: fileWeight, source: 'file' as const });
    if (sameState(before, after)) return;
    // Handed out by stateOf() and to listeners: frozen, so no caller can change it under the others.
    this.effective.set(route, Object.freeze(after));
    this.emit(route, after);
  }

  private emit(route: string, state: WeightState): void {
    for (const listener of this.listeners) {
      try {
        listener(route, state);
      } catch (error) {
        this.logger.error({ route, err: error }, 'a route-weight listener failed');
      }
    }
  }
}
