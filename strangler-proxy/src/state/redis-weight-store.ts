import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { modeOverrideFrom, overrideFrom, parseModeOverride, parseOverride, type ModeOverride, type OverrideState } from './weight-state.js';

/**
 * The operators' and rollbacks' overrides in Redis, shared by every replica of the gateway:
 * - `<namespace>:weights`, a hash: route name → the weight override's JSON (operator or rollback);
 * - `<namespace>:modes`, a hash: route name → the operator's mode's JSON;
 * - `<namespace>:weights:version`, a counter every change increments;
 * - `<namespace>:weights:changes`, a channel: one message per change, with its version.
 *
 * Each change is one Lua script (write, bump the version, publish), so changes are
 * totally ordered by version and their messages arrive in that order. A replica applies
 * a message or a full re-read only if it is newer than what it has, so a late reply or
 * a slow re-read never undoes a newer change.
 */

/**
 * A change as it travels. Each part is present only if the change touched it: `state`
 * (the weight override) or `mode`; null means removed (back to the file's value). A
 * weight change's message is the same as before modes existed, so an older replica
 * still reads it.
 */
export interface WeightChange {
  route: string;
  version: number;
  state?: OverrideState | null;
  mode?: ModeOverride | null;
}

export interface WeightSnapshot {
  version: number;
  overrides: Map<string, OverrideState>;
  modes: Map<string, ModeOverride>;
}

// KEYS[1] weights hash, KEYS[2] modes hash, KEYS[3] version counter;
// ARGV[1] channel, ARGV[2] route, ARGV[3] the new value's JSON (for a set).
// `parts` is a Lua expression: the message's fields after route and version.
const publishChange = (parts: string) => `
local version = redis.call('INCR', KEYS[3])
redis.call('PUBLISH', ARGV[1], '{"route":' .. cjson.encode(ARGV[2]) .. ',"version":' .. version .. ${parts} .. '}')
return version`;

const SET_WEIGHT = `
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
${publishChange(`',"state":' .. ARGV[3]`)}`;

const SET_MODE = `
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
${publishChange(`',"mode":' .. ARGV[3]`)}`;

// The check and the write are one step in Redis: of two replicas rolling back at once,
// exactly one changes it (and learns so: a version, not -1). The mode is left alone.
const ROLL_BACK = `
local current = redis.call('HGET', KEYS[1], ARGV[2])
if current then
  local ok, decoded = pcall(cjson.decode, current)
  if ok and type(decoded) == 'table' and decoded.source == 'rollback' then return -1 end
end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
${publishChange(`',"state":' .. ARGV[3]`)}`;

// A reset forgets both the weight and the mode.
const RESET = `
redis.call('HDEL', KEYS[1], ARGV[2])
redis.call('HDEL', KEYS[2], ARGV[2])
${publishChange(`',"state":null,"mode":null'`)}`;

export class RedisWeightStore {
  private readonly hashKey: string;
  private readonly modesKey: string;
  private readonly versionKey: string;
  private readonly channel: string;
  private closed = false;

  private constructor(
    private readonly commands: Redis,
    private readonly subscriber: Redis,
    namespace: string,
    private readonly logger: Logger,
  ) {
    this.hashKey = `${namespace}:weights`;
    this.modesKey = `${namespace}:modes`;
    this.versionKey = `${namespace}:weights:version`;
    this.channel = `${namespace}:weights:changes`;
  }

  /**
   * Connects both connections (commands, and one in subscriber mode: Redis allows no
   * other commands on it) and subscribes. `onChange` gets every change's message;
   * `onResubscribed` is called when the subscription comes back after a disconnection,
   * during which messages may have been missed.
   */
  static async connect(
    redisUrl: string,
    namespace: string,
    logger: Logger,
    handlers: { onChange: (change: WeightChange) => void; onResubscribed: () => void },
  ): Promise<RedisWeightStore> {
    const commands = connection(redisUrl, 'strangler-weights', logger);
    const subscriber = connection(redisUrl, 'strangler-weights-sub', logger);
    const store = new RedisWeightStore(commands, subscriber, namespace, logger);
    try {
      await Promise.all([commands.connect(), subscriber.connect()]);
      subscriber.on('message', (channel: string, message: string) => {
        if (channel !== store.channel) return;
        const change = store.parseChange(message);
        if (change) handlers.onChange(change);
      });
      await subscriber.subscribe(store.channel);
    } catch (error) {
      await store.close();
      throw new Error(`could not reach Redis at ${where(commands)} for the route weights: ${(error as Error).message}`, { cause: error });
    }
    // ioredis resubscribes by itself after a reconnection; each later 'ready' is one.
    subscriber.on('ready', () => {
      if (!store.closed) handlers.onResubscribed();
    });
    return store;
  }

  /** Every override (weights and modes), with the version they are current as of. */
  async load(): Promise<WeightSnapshot> {
    const replies = await this.commands.multi().get(this.versionKey).hgetall(this.hashKey).hgetall(this.modesKey).exec();
    if (!replies) throw new Error('the transaction reading the route weights was discarded');
    const [versionReply, hashReply, modesReply] = replies;
    for (const reply of replies) if (reply[0]) throw reply[0];
    const version = Number(versionReply?.[1] ?? 0);
    const overrides = new Map<string, OverrideState>();
    for (const [route, text] of Object.entries((hashReply?.[1] ?? {}) as Record<string, string>)) {
      const state = parseOverride(text);
      if (state) overrides.set(route, state);
      else this.logger.warn({ route, key: this.hashKey }, `ignoring an unreadable stored weight for route ${route}`);
    }
    const modes = new Map<string, ModeOverride>();
    for (const [route, text] of Object.entries((modesReply?.[1] ?? {}) as Record<string, string>)) {
      const mode = parseModeOverride(text);
      if (mode) modes.set(route, mode);
      else this.logger.warn({ route, key: this.modesKey }, `ignoring an unreadable stored mode for route ${route}`);
    }
    return { version, overrides, modes };
  }

  /** Stores an operator's weight; the change's version. */
  async set(route: string, state: OverrideState): Promise<number> {
    return this.run(SET_WEIGHT, route, JSON.stringify(state));
  }

  /** Stores an operator's mode; the change's version. */
  async setMode(route: string, mode: ModeOverride): Promise<number> {
    return this.run(SET_MODE, route, JSON.stringify(mode));
  }

  /** Stores a rollback unless the route is already rolled back: the change's version, or null. */
  async rollBack(route: string, state: OverrideState): Promise<number | null> {
    const version = await this.run(ROLL_BACK, route, JSON.stringify(state));
    return version < 0 ? null : version;
  }

  /** Removes a route's weight and mode overrides; the change's version. */
  async remove(route: string): Promise<number> {
    return this.run(RESET, route);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([quit(this.subscriber), quit(this.commands)]);
  }

  private async run(script: string, route: string, value?: string): Promise<number> {
    const args = value === undefined ? [this.channel, route] : [this.channel, route, value];
    return Number(await this.commands.eval(script, 3, this.hashKey, this.modesKey, this.versionKey, ...args));
  }

  private parseChange(message: string): WeightChange | undefined {
    try {
      const raw = JSON.parse(message) as Record<string, unknown>;
      if (typeof raw.route !== 'string' || !Number.isSafeInteger(raw.version)) throw new Error('no route or version');
      const change: WeightChange = { route: raw.route, version: raw.version as number };
      if (Object.hasOwn(raw, 'state')) {
        change.state = raw.state === null ? null : overrideFrom(raw.state);
        if (change.state === undefined) throw new Error('not a weight');
      }
      if (Object.hasOwn(raw, 'mode')) {
        change.mode = raw.mode === null ? null : modeOverrideFrom(raw.mode);
        if (change.mode === undefined) throw new Error('not a mode');
      }
      if (change.state === undefined && change.mode === undefined) throw new Error('neither a weight nor a mode');
      return change;
    } catch (error) {
      // The next periodic re-read brings the replica up to date anyway.
      this.logger.warn({ channel: this.channel, err: error }, 'ignoring an unreadable route-weight change message');
      return undefined;
    }
  }
}

/**
 * Fails fast while Redis is away (no offline queue, one retry, a command timeout): the
 * admin API then answers with an error at once instead of hanging, and the hot path
 * never waits on Redis at all (it reads local memory). Reconnects forever.
 */
function connection(redisUrl: string, name: string, logger: Logger): Redis {
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 2_000,
    connectTimeout: 5_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    connectionName: name,
  });
  let down = false;
  redis.on('error', (error: Error) => {
    // Once per outage, and never the URL itself: it may carry a password.
    if (!down) logger.warn({ redis: where(redis), connection: name, err: error.message }, 'Redis connection for the route weights lost; retrying');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info({ redis: where(redis), connection: name }, 'Redis connection for the route weights is back');
    down = false;
  });
  return redis;
}

/** host:port, for messages: no credentials. */
function where(redis: Redis): string {
  return `${redis.options.host ?? '?'}:${redis.options.port ?? '?'}`;
}

async function quit(redis: Redis): Promise<void> {
  try {
    if (redis.status === 'ready') await redis.quit();
    else redis.disconnect();
  } catch {
    redis.disconnect();
  }
}
