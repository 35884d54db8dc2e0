/**
 * Redis state backend (node-redis v6): any node can restore a view another node rendered.
 * @module
 */
import { createClient } from "redis";
import { isStoredView, type StateBackend, type StoredView } from "./types.js";

function connectable(url: string) {
  return createClient({ url });
}
/** A node-redis v6 client (with the default modules `createClient({ url })` gives). */
export type RedisClient = ReturnType<typeof connectable>;

/** `url`, else env `REDIS_URL`, else `redis://127.0.0.1:6379`. */
export function redisUrl(url?: string): string {
  return url ?? process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
}

/** Connects `client` (a new one for `url`), shared by the Redis state backend and pub/sub. */
export async function connectRedis(client: RedisClient | string): Promise<RedisClient> {
  const connected = typeof client === "string" ? connectable(client) : client;
  // node-redis reconnects by itself; without a listener an error would crash the process.
  connected.on("error", () => {});
  await connected.connect();
  return connected;
}

/**
 * Connections opened on first use (an app that never needs Redis opens none) and closed once:
 * after {@link close}, use is refused instead of opening connections that nothing would close,
 * which would reconnect forever and keep the process alive. Shared by the state backend and
 * pub/sub, which own the connections they open.
 */
export class LazyRedis<T> {
  #connecting?: Promise<T>;
  #open?: T;
  #closed = false;

  /**
   * @param owner Names the refusal after close (`"RedisPubSub is closed"`).
   * @param connect Opens the connections.
   * @param disconnect Closes what `connect` opened.
   */
  constructor(
    private readonly owner: string,
    private readonly connect: () => Promise<T>,
    private readonly disconnect: (connections: T) => Promise<void>,
  ) {}

  /** The connections, opened by the first call. */
  async get(): Promise<T> {
    if (this.#closed) throw new Error(`${this.owner} is closed`);
    this.#connecting ??= this.connect().then((open) => (this.#open = open));
    return this.#connecting;
  }

  /** The connections if they are open, without opening them. */
  get current(): T | undefined {
    return this.#open;
  }

  /** Closes the connections, including ones still being opened; later {@link get}s reject. */
  async close(): Promise<void> {
    this.#closed = true;
    const pending = this.#connecting;
    this.#connecting = this.#open = undefined;
    const open = await pending?.catch(() => undefined);
    if (open !== undefined) await this.disconnect(open).catch(() => undefined);
  }
}

/** Options of {@link RedisStateBackend}. */
export interface RedisStateBackendOptions {
  /** `redis://…` URL; default env `REDIS_URL`, else `redis://127.0.0.1:6379`. */
  readonly url?: string;
  /** Key prefix, so apps can share a server. Default `"djust:view:"`. */
  readonly prefix?: string;
}

/** Snapshots as JSON strings under `<prefix><view id>`, expiring with `SET … EX`. */
export class RedisStateBackend implements StateBackend {
  readonly #prefix: string;
  readonly #redis: LazyRedis<RedisClient>;

  constructor(options: RedisStateBackendOptions = {}) {
    const url = redisUrl(options.url);
    this.#prefix = options.prefix ?? "djust:view:";
    this.#redis = new LazyRedis(
      "RedisStateBackend",
      () => connectRedis(url),
      (client) => client.close(),
    );
  }

  async get(key: string): Promise<StoredView | null> {
    const text = await (await this.#redis.get()).get(this.#prefix + key);
    if (text === null) return null;
    try {
      const value: unknown = JSON.parse(text);
      return isStoredView(value) ? value : null;
    } catch {
      return null;
    }
  }

  async set(key: string, value: StoredView, ttlSeconds: number): Promise<void> {
    const ttl = Math.max(1, Math.ceil(ttlSeconds));
    await (
      await this.#redis.get()
    ).set(this.#prefix + key, JSON.stringify(value), { expiration: { type: "EX", value: ttl } });
  }

  async delete(key: string): Promise<void> {
    await (await this.#redis.get()).del(this.#prefix + key);
  }

  /** Closes the connection, including one still being opened; later calls reject. */
  close(): Promise<void> {
    return this.#redis.close();
  }
}
