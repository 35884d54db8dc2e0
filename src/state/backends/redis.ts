/**
 * Redis state backend (node-redis v6): any node can restore a view another node rendered.
 * @module
 */
import { RedisConnection, type RedisConnectionOptions } from "../../redis.js";
import { isStoredView, type StateBackend, type StoredView } from "./types.js";

/** Options of {@link RedisStateBackend}: `{ url }` or `{ client }` (see {@link RedisConnectionOptions}). */
export interface RedisStateBackendOptions extends RedisConnectionOptions {
  /** Key prefix, so apps can share a server. Default `"djust:view:"`. */
  readonly prefix?: string;
}

/** Snapshots as JSON strings under `<prefix><view id>`, expiring with `SET … EX`. */
export class RedisStateBackend implements StateBackend {
  readonly #prefix: string;
  readonly #redis: RedisConnection;

  constructor(options: RedisStateBackendOptions = {}) {
    this.#prefix = options.prefix ?? "djust:view:";
    this.#redis = new RedisConnection(options, "RedisStateBackend");
  }

  async get(key: string): Promise<StoredView | null> {
    const text = await (await this.#redis.client()).get(this.#prefix + key);
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
      await this.#redis.client()
    ).set(this.#prefix + key, JSON.stringify(value), { expiration: { type: "EX", value: ttl } });
  }

  async delete(key: string): Promise<void> {
    await (await this.#redis.client()).del(this.#prefix + key);
  }

  /**
   * Closes the connection if this backend opened it, including one still being opened; later
   * calls reject. A client passed in stays open.
   */
  close(): Promise<void> {
    return this.#redis.close();
  }
}
