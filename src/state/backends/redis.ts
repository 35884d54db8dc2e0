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

/** Options of {@link RedisStateBackend}. */
export interface RedisStateBackendOptions {
  /** `redis://…` URL; default env `REDIS_URL`, else `redis://127.0.0.1:6379`. */
  readonly url?: string;
  /** Key prefix, so apps can share a server. Default `"djust:view:"`. */
  readonly prefix?: string;
}

/** Snapshots as JSON strings under `<prefix><view id>`, expiring with `SET … EX`. */
export class RedisStateBackend implements StateBackend {
  readonly #url: string;
  readonly #prefix: string;
  #client?: RedisClient;
  #connecting?: Promise<RedisClient>;

  constructor(options: RedisStateBackendOptions = {}) {
    this.#url = redisUrl(options.url);
    this.#prefix = options.prefix ?? "djust:view:";
  }

  #closed = false;

  async #redis(): Promise<RedisClient> {
    // A late write (a view saved while the app shuts down) must not open a connection that
    // nothing will close: it would reconnect forever and keep the process alive.
    if (this.#closed) throw new Error("RedisStateBackend is closed");
    if (this.#client) return this.#client;
    this.#connecting ??= connectRedis(this.#url).then((client) => (this.#client = client));
    return this.#connecting;
  }

  async get(key: string): Promise<StoredView | null> {
    const text = await (await this.#redis()).get(this.#prefix + key);
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
      await this.#redis()
    ).set(this.#prefix + key, JSON.stringify(value), { expiration: { type: "EX", value: ttl } });
  }

  async delete(key: string): Promise<void> {
    await (await this.#redis()).del(this.#prefix + key);
  }

  /** Closes the connection, including one still being opened; later calls reject. */
  async close(): Promise<void> {
    this.#closed = true;
    const pending = this.#connecting;
    this.#client = undefined;
    this.#connecting = undefined;
    const client = await pending?.catch(() => undefined);
    await client?.close().catch(() => undefined);
  }
}
