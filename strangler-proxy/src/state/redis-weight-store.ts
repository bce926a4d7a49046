import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { parseOverride, type OverrideState } from './weight-state.js';

/**
 * The operators' and rollbacks' weights in Redis, shared by every replica of the gateway:
 * - `<namespace>:weights`, a hash: route name → the override's JSON;
 * - `<namespace>:weights:version`, a counter every change increments;
 * - `<namespace>:weights:changes`, a channel: one message per change, with its version.
 *
 * Each change is one Lua script (write, bump the version, publish), so changes are
 * totally ordered by version and their messages arrive in that order. A replica applies
 * a message or a full re-read only if it is newer than what it has, so a late reply or
 * a slow re-read never undoes a newer change.
 */

/** A change as it travels: `state` null means the override was removed (back to the file's weight). */
export interface WeightChange {
  route: string;
  version: number;
  state: OverrideState | null;
}

export interface WeightSnapshot {
  version: number;
  overrides: Map<string, OverrideState>;
}

// KEYS[1] hash, KEYS[2] version counter; ARGV[1] channel, ARGV[2] route, ARGV[3] state JSON.
const PUBLISH_CHANGE = `
local version = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[1], '{"route":' .. cjson.encode(ARGV[2]) .. ',"version":' .. version .. ',"state":' .. (ARGV[3] or 'null') .. '}')
return version`;

const SET_OVERRIDE = `
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
${PUBLISH_CHANGE}`;

// The check and the write are one step in Redis: of two replicas rolling back at once,
// exactly one changes it (and learns so: a version, not -1).
const ROLL_BACK = `
local current = redis.call('HGET', KEYS[1], ARGV[2])
if current then
  local ok, decoded = pcall(cjson.decode, current)
  if ok and type(decoded) == 'table' and decoded.source == 'rollback' then return -1 end
end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
${PUBLISH_CHANGE}`;

const REMOVE_OVERRIDE = `
redis.call('HDEL', KEYS[1], ARGV[2])
${PUBLISH_CHANGE}`;

export class RedisWeightStore {
  private readonly hashKey: string;
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

  /** Every override, with the version they are current as of. */
  async load(): Promise<WeightSnapshot> {
    const replies = await this.commands.multi().get(this.versionKey).hgetall(this.hashKey).exec();
    if (!replies) throw new Error('the transaction reading the route weights was discarded');
    const [versionReply, hashReply] = replies;
    if (versionReply?.[0]) throw versionReply[0];
    if (hashReply?.[0]) throw hashReply[0];
    const version = Number(versionReply?.[1] ?? 0);
    const overrides = new Map<string, OverrideState>();
    for (const [route, text] of Object.entries((hashReply?.[1] ?? {}) as Record<string, string>)) {
      const state = parseOverride(text);
      if (state) overrides.set(route, state);
      else this.logger.warn({ route, key: this.hashKey }, `ignoring an unreadable stored weight for route ${route}`);
    }
    return { version, overrides };
  }

  /** Stores an operator's weight; the change's version. */
  async set(route: string, state: OverrideState): Promise<number> {
    return Number(await this.commands.eval(SET_OVERRIDE, 2, this.hashKey, this.versionKey, this.channel, route, JSON.stringify(state)));
  }

  /** Stores a rollback unless the route is already rolled back: the change's version, or null. */
  async rollBack(route: string, state: OverrideState): Promise<number | null> {
    const version = Number(await this.commands.eval(ROLL_BACK, 2, this.hashKey, this.versionKey, this.channel, route, JSON.stringify(state)));
    return version < 0 ? null : version;
  }

  /** Removes a route's override; the change's version. */
  async remove(route: string): Promise<number> {
    return Number(await this.commands.eval(REMOVE_OVERRIDE, 2, this.hashKey, this.versionKey, this.channel, route));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([quit(this.subscriber), quit(this.commands)]);
  }

  private parseChange(message: string): WeightChange | undefined {
    try {
      const raw = JSON.parse(message) as { route?: unknown; version?: unknown; state?: unknown };
      if (typeof raw.route !== 'string' || typeof raw.version !== 'number') throw new Error('no route or version');
      if (raw.state === null) return { route: raw.route, version: raw.version, state: null };
      const state = parseOverride(JSON.stringify(raw.state));
      if (!state) throw new Error('not a weight');
      return { route: raw.route, version: raw.version, state };
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
