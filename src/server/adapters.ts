/**
 * The composition root of an app's shared adapters: which session store, rate-limit store,
 * state backend (view snapshots) and pub/sub `createApp` uses. Every transport takes them from
 * the app context; nothing else picks an adapter.
 * @module
 */
import { RedisSessionStore } from "../auth/redis-session.js";
import { MemorySessionStore, type SessionStore } from "../auth/session.js";
import { errorText, type Logger } from "../logger.js";
import { MemoryPubSub } from "../pubsub/memory.js";
import { RedisPubSub } from "../pubsub/redis.js";
import type { PubSub } from "../pubsub/types.js";
import { MemoryRateLimitStore, type RateLimitStore } from "../ratelimit/bucket.js";
import { RedisRateLimitStore } from "../ratelimit/redis.js";
import { RedisConnection } from "../redis.js";
import { MemoryStateBackend } from "../state/backends/memory.js";
import { RedisStateBackend } from "../state/backends/redis.js";
import type { StateBackend } from "../state/backends/types.js";
import { DEFAULT_LIMITS, type AppOptions } from "./context.js";

/**
 * The stores `djust dev` keeps across its restarts of the app's process: they stand in for the
 * memory defaults (an app that chose Redis or its own stores keeps them, they survive anyway).
 * Set under {@link DEV_STORES} on `globalThis` by the dev runner before it imports the app.
 * @internal
 */
export interface DevStores {
  readonly stateBackend: StateBackend;
  readonly sessionStore: SessionStore;
}

/**
 * The global key of {@link DevStores}. A registered symbol, not a module variable: the dev runner
 * and the app it loads may import two copies of djust (a checkout's sources and the installed
 * package), and both must see the same stores. Nothing but `djust dev` sets it.
 * @internal
 */
export const DEV_STORES: unique symbol = Symbol.for("djust.devStores");

function devStores(): DevStores | undefined {
  return (globalThis as { [DEV_STORES]?: DevStores })[DEV_STORES];
}

/** The adapters of one app, as {@link chooseAdapters} picked them. */
export interface AppAdapters {
  readonly sessionStore: SessionStore;
  readonly rateLimitStore: RateLimitStore;
  readonly stateBackend: StateBackend;
  readonly pubsub: PubSub;
  /**
   * Whether the Redis the adapters share answers a `PING` within `redisTimeoutMs`; `null`
   * when none of them uses Redis. The first call opens the connection, so a `listen()` that
   * calls it logs one line at once when Redis is unreachable (and node-redis keeps retrying).
   */
  ping(): Promise<boolean | null>;
  /**
   * What the app keeps in this process's memory of what nodes must share (`"sessions"`,
   * `"rate limits"`, `"view snapshots"`, `"pub/sub"`): empty when every part is in Redis (or an
   * adapter of the caller's own).
   */
  readonly inMemory: readonly string[];
  /**
   * Closes the adapters chosen here and the Redis connection opened for them; adapters and
   * clients passed in by the caller stay open (they are the caller's).
   */
  close(): Promise<void>;
}

/** Something {@link chooseAdapters} made and so closes. */
interface Closable {
  close?(): void | Promise<void>;
}

/**
 * Chooses every shared adapter of an app. Precedence, per adapter: its own option
 * (`sessionStore`, `rateLimitStore`, `stateBackend`, `pubsub`), else Redis when `options.redis`
 * is a URL or a client, else Redis when `options.redis` is unset and env `REDIS_URL` is
 * non-empty, else memory. `redis: false` means memory whatever `REDIS_URL` says.
 *
 * The Redis adapters share one connection (the pub/sub opens a second one to subscribe on),
 * opened on first use: an app that never touches Redis opens none.
 *
 * @param env Where `REDIS_URL` is read; default `process.env`.
 */
export function chooseAdapters(
  options: AppOptions,
  logger: Logger,
  env: Readonly<Record<string, string | undefined>> = process.env,
): AppAdapters {
  const source =
    options.redis === false ? undefined : (options.redis ?? (env.REDIS_URL || undefined));
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const made: Closable[] = [];
  const dev = devStores();
  let shared: RedisConnection | undefined;

  // Closes what it made: `close` is optional on every adapter interface.
  function pick<T extends object>(
    given: T | undefined,
    redis: (connection: RedisConnection) => T,
    memory: () => T,
  ): T {
    if (given !== undefined) return given;
    let adapter: T;
    if (source === undefined) {
      adapter = memory();
    } else {
      const timeoutMs = options.redisTimeoutMs;
      if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
        throw new RangeError("createApp: redisTimeoutMs must be a positive number of milliseconds");
      }
      const common = { logger, ...(timeoutMs !== undefined && { timeoutMs }) };
      shared ??= new RedisConnection(
        typeof source === "string" ? { url: source, ...common } : { client: source, ...common },
        "djust",
      );
      adapter = redis(shared);
    }
    made.push(adapter as Closable);
    return adapter;
  }

  const sessionStore = pick(
    options.sessionStore,
    (client) => new RedisSessionStore({ client, logger }),
    () => dev?.sessionStore ?? new MemorySessionStore({ maxSessions: limits.sessions }),
  );
  const rateLimitStore = pick(
    options.rateLimitStore,
    (client) => new RedisRateLimitStore({ client, logger }),
    () => new MemoryRateLimitStore({ maxBuckets: limits.rateLimitBuckets }),
  );
  const stateBackend = pick(
    options.stateBackend,
    (client) => new RedisStateBackend({ client, logger }),
    () => dev?.stateBackend ?? new MemoryStateBackend({ maxEntries: limits.snapshots }),
  );
  const pubsub = pick(
    options.pubsub,
    (client) => new RedisPubSub({ client, logger }),
    () => new MemoryPubSub(),
  );

  const inMemory = [
    sessionStore instanceof MemorySessionStore && "sessions",
    rateLimitStore instanceof MemoryRateLimitStore && "rate limits",
    stateBackend instanceof MemoryStateBackend && "view snapshots",
    pubsub instanceof MemoryPubSub && "pub/sub",
  ].filter((part): part is string => part !== false);

  let closing: Promise<void> | undefined;
  return {
    inMemory,
    sessionStore,
    rateLimitStore,
    stateBackend,
    pubsub,
    async ping() {
      if (!shared) return null;
      try {
        await shared.run("PING", (client) => client.ping());
        return true;
      } catch {
        return false;
      }
    },
    close() {
      closing ??= (async () => {
        // Adapters first (the pub/sub's own subscriber connection), then the shared connection.
        for (const adapter of made.reverse()) {
          try {
            await adapter.close?.();
          } catch (error) {
            logger.error("closing an adapter failed", { error: errorText(error) });
          }
        }
        await shared?.close();
      })();
      return closing;
    },
  };
}
