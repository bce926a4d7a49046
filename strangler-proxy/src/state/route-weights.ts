import type { Logger } from 'pino';
import { RedisWeightStore, type WeightChange, type WeightSnapshot } from './redis-weight-store.js';
import { StateFile } from './state-file.js';
import { assertMode, assertWeight, sameState, type ModeOverride, type OverrideState, type RouteMode, type WeightState } from './weight-state.js';

export type { RouteMode, WeightState } from './weight-state.js';

/** What the routes file says of a route. */
export interface FileRoute {
  weight: number;
  mode: RouteMode;
}

/** What a route the routes file does not name runs at: nothing goes to an extracted side. */
const UNKNOWN: WeightState = Object.freeze({ weight: 0, source: 'file', mode: 'split', modeSource: 'file' });

/**
 * The weight and mode each route runs at, shared by every replica of the gateway.
 *
 * Weight: a rollback (0, until an operator sets a weight) over an operator's weight
 * (until reset) over the routes file's. Mode: an operator's (until reset) over the
 * file's; a rollback leaves the mode alone, and a reset forgets both.
 *
 * With a Redis URL the overrides live in Redis (RedisWeightStore): every replica learns
 * of a change at once through pub/sub, and also re-reads them every `refreshMs` in case
 * a message was missed; Redis keeps them across restarts. Without, they live in this
 * process, and in `stateFile` if one is given (StateFile), read back at the next start.
 *
 * The hot path reads `weightOf()` and `modeOf()`: one Map lookup each in local memory,
 * never a Redis call or a file read.
 */
export class RouteWeights {
  private readonly fileRoutes = new Map<string, FileRoute>();
  /** The weight overrides (operator or rollback). With Redis: a mirror of the hash, routes the file no longer has included. */
  private overrides = new Map<string, OverrideState>();
  /** The operators' modes; like `overrides`. */
  private modes = new Map<string, ModeOverride>();
  /** The resolved state of every route the file has: what the hot path reads. */
  private readonly effective = new Map<string, WeightState>();
  private readonly listeners: Array<(route: string, state: WeightState) => void> = [];
  /** The newest store version applied: older replies, messages and re-reads are ignored. */
  private version = 0;
  private store: RedisWeightStore | undefined;
  private stateFile: StateFile | undefined;
  private timer: NodeJS.Timeout | undefined;
  private refreshFailing = false;
  private closed = false;

  private constructor(private readonly logger: Logger) {}

  /**
   * With redisUrl: connects, reads the stored overrides and subscribes to changes;
   * rejects (naming host and port, never the URL) when Redis cannot be reached, rather
   * than starting a replica that would ignore a rollback; `stateFile` is not used (Redis
   * is the store). Without: in this process, kept in `stateFile` if given (read here; a
   * missing or unreadable file is an empty state, never a failure to start).
   */
  static async open(options: { redisUrl?: string; namespace: string; logger: Logger; refreshMs?: number; stateFile?: string }): Promise<RouteWeights> {
    const weights = new RouteWeights(options.logger);
    if (!options.redisUrl) {
      if (options.stateFile) {
        weights.stateFile = new StateFile(options.stateFile, options.logger, () => ({ weights: weights.overrides, modes: weights.modes }));
        const stored = await weights.stateFile.load();
        weights.overrides = stored.weights;
        weights.modes = stored.modes;
      }
      return weights;
    }
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

  /**
   * The routes file's weight and mode per route (on load and every reload). A route the
   * file no longer has is forgotten locally, its overrides with it when they are local
   * (in Redis they stay: another replica may still have the route).
   */
  setFileRoutes(routes: Record<string, FileRoute>): void {
    for (const [route, { weight, mode }] of Object.entries(routes)) {
      try {
        assertWeight(weight);
        assertMode(mode);
      } catch (error) {
        throw new RangeError(`route "${route}": ${(error as Error).message}`, { cause: error });
      }
    }
    for (const route of [...this.fileRoutes.keys()]) {
      if (Object.hasOwn(routes, route)) continue;
      this.fileRoutes.delete(route);
      this.resolve(route);
    }
    for (const [route, { weight, mode }] of Object.entries(routes)) {
      this.fileRoutes.set(route, { weight, mode });
      this.resolve(route);
    }
    if (!this.store) this.forgetLocalOverridesOfRoutesGone(routes);
  }

  /** The routes file's weights only: each route keeps the file mode it had ('split' for a new one). */
  setFileWeights(weights: Record<string, number>): void {
    this.setFileRoutes(Object.fromEntries(Object.entries(weights).map(([route, weight]) => [route, { weight, mode: this.fileRoutes.get(route)?.mode ?? 'split' }])));
  }

  /** Synchronous, from local memory: the hot path calls it on every request. */
  weightOf(route: string): number {
    return (this.effective.get(route) ?? UNKNOWN).weight;
  }

  /** Synchronous, from local memory (hot path): the operator's mode if set, else the file's. */
  modeOf(route: string): RouteMode {
    return (this.effective.get(route) ?? UNKNOWN).mode;
  }

  stateOf(route: string): WeightState {
    return this.effective.get(route) ?? UNKNOWN;
  }

  /** An operator's weight: wins over the file's until reset; clears a rollback. */
  async setByOperator(route: string, weight: number): Promise<WeightState> {
    assertWeight(weight);
    this.assertRoute(route);
    const state: OverrideState = { weight, source: 'operator', at: new Date().toISOString() };
    if (this.store) this.applyChange({ route, state, version: await this.store.set(route, state) });
    else {
      // Without Redis: in effect at once, then saved if there is a file (rejecting if it
      // could not be). Without a file there is no await: the promise settles as soon as
      // it always did, which callers' timing may rely on.
      this.applyParts(route, { state });
      if (this.stateFile) await this.persist(route);
    }
    return this.stateOf(route);
  }

  /** An operator's mode: wins over the file's until reset; the weight is left as it is. */
  async setModeByOperator(route: string, mode: RouteMode): Promise<WeightState> {
    assertMode(mode);
    this.assertRoute(route);
    const state: ModeOverride = { mode, at: new Date().toISOString() };
    if (this.store) this.applyChange({ route, mode: state, version: await this.store.setMode(route, state) });
    else {
      this.applyParts(route, { mode: state });
      if (this.stateFile) await this.persist(route);
    }
    return this.stateOf(route);
  }

  /**
   * Drops the route to 0 and keeps it there (whatever the file says) until an operator
   * sets a weight; the mode is left alone. True only if this call changed it: of several
   * replicas rolling back at once, the first wins and the others get false.
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
    this.applyParts(route, { state });
    // The rollback holds in this process whatever happens to the file: losing it at a
    // restart is the lesser harm, so it is logged, not thrown (the guard would otherwise
    // take the rollback for failed while traffic is already off the extracted side).
    if (this.stateFile) await this.persist(route).catch((error: Error) => this.logger.error({ route, err: error.message }, error.message));
    return true;
  }

  /** Forgets the operator's weight and mode and a rollback: back to the file's values. */
  async reset(route: string): Promise<WeightState> {
    if (this.store) this.applyChange({ route, state: null, mode: null, version: await this.store.remove(route) });
    else {
      this.applyParts(route, { state: null, mode: null });
      if (this.stateFile) await this.persist(route);
    }
    return this.stateOf(route);
  }

  /** Called with a route's new state whenever its weight or mode changes, here or on another replica. */
  onChange(listener: (route: string, state: WeightState) => void): void {
    this.listeners.push(listener);
  }

  /** Stops re-reading Redis and waits for a state file write under way. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.store?.close();
    await this.stateFile?.flushed();
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
    this.applyParts(change.route, change);
  }

  private applySnapshot(snapshot: WeightSnapshot): void {
    // A re-read older than a message already applied would undo it: wait for the next one.
    if (snapshot.version < this.version) return;
    this.version = snapshot.version;
    const touched = new Set([...this.overrides.keys(), ...this.modes.keys(), ...snapshot.overrides.keys(), ...snapshot.modes.keys()]);
    this.overrides = snapshot.overrides;
    this.modes = snapshot.modes;
    for (const route of touched) this.resolve(route);
  }

  /** Sets or removes (null) the parts a change has; undefined parts are left as they are. */
  private applyParts(route: string, change: { state?: OverrideState | null; mode?: ModeOverride | null }): void {
    if (change.state) this.overrides.set(route, change.state);
    else if (change.state === null) this.overrides.delete(route);
    if (change.mode) this.modes.set(route, change.mode);
    else if (change.mode === null) this.modes.delete(route);
    this.resolve(route);
  }

  private async persist(route: string): Promise<void> {
    if (!this.stateFile) return;
    try {
      await this.stateFile.save();
    } catch (error) {
      throw new Error(`route ${route}'s change is in effect in this process but was not saved, so a restart would undo it: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Local overrides of routes the file no longer has (or, at the first load, never had) would only leak, or come back with the route. */
  private forgetLocalOverridesOfRoutesGone(routes: Record<string, FileRoute>): void {
    let forgot = false;
    for (const map of [this.overrides, this.modes]) {
      for (const route of [...map.keys()]) {
        if (Object.hasOwn(routes, route)) continue;
        map.delete(route);
        forgot = true;
      }
    }
    if (forgot && this.stateFile) {
      void this.stateFile.save().catch((error: Error) => this.logger.error({ err: error.message }, `${error.message} (forgetting the overrides of routes the routes file no longer has)`));
    }
  }

  private assertRoute(route: string): void {
    if (!this.fileRoutes.has(route)) throw new Error(`no route named "${route}" in the routes file`);
  }

  /** Recomputes a route's effective state and tells the listeners if it changed. */
  private resolve(route: string): void {
    const before = this.effective.get(route);
    const file = this.fileRoutes.get(route);
    if (file === undefined) {
      if (before === undefined) return;
      this.effective.delete(route);
      this.emit(route, UNKNOWN);
      return;
    }
    const after = effectiveState(file, this.overrides.get(route), this.modes.get(route));
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

function effectiveState(file: FileRoute, weight: OverrideState | undefined, mode: ModeOverride | undefined): WeightState {
  const state: WeightState = weight
    ? { ...weight, mode: file.mode, modeSource: 'file' }
    : { weight: file.weight, source: 'file', mode: file.mode, modeSource: 'file' };
  if (mode) {
    state.mode = mode.mode;
    state.modeSource = 'operator';
    if (mode.at !== undefined) state.modeAt = mode.at;
  }
  return state;
}
