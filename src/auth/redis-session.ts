/**
 * Sessions in Redis, so any node can serve any request (no sticky sessions): one JSON value per
 * session with the session's TTL.
 * @module
 */
import { RedisConnection, type RedisConnectionOptions } from "../redis.js";
import type { SessionRecord, SessionStore } from "./session.js";

/** Options of {@link RedisSessionStore}: `{ url }` or `{ client }` (see {@link RedisConnectionOptions}). */
export interface RedisSessionStoreOptions extends RedisConnectionOptions {
  /** Key prefix; default `djust:session:`. */
  readonly prefix?: string;
}

function isRecord(value: unknown): value is SessionRecord {
  if (typeof value !== "object" || value === null) return false;
  const r = value as Record<string, unknown>;
  const userId = r.userId;
  return (
    typeof r.data === "object" &&
    r.data !== null &&
    !Array.isArray(r.data) &&
    typeof r.csrfToken === "string" &&
    (userId === null || typeof userId === "string" || typeof userId === "number")
  );
}

/**
 * A {@link SessionStore} in Redis.
 *
 * @example
 * ```ts
 * createApp({ sessionStore: new RedisSessionStore({ url: process.env.REDIS_URL }) });
 * ```
 */
export class RedisSessionStore implements SessionStore {
  readonly #redis: RedisConnection;
  readonly #prefix: string;

  constructor(options: RedisSessionStoreOptions = {}) {
    this.#redis = new RedisConnection(options, "RedisSessionStore");
    this.#prefix = options.prefix ?? "djust:session:";
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    const raw = await this.#redis.run("GET", (client) => client.get(this.#prefix + id));
    if (typeof raw !== "string") return undefined;
    try {
      const parsed: unknown = JSON.parse(raw);
      // Anything else was not written by this store: treat it as no session, never trust it.
      return isRecord(parsed) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }

  async set(id: string, record: SessionRecord, ttlSeconds: number): Promise<void> {
    const ttl = Math.max(1, Math.ceil(ttlSeconds));
    await this.#redis.run("SET", (client) =>
      client.set(this.#prefix + id, JSON.stringify(record), {
        expiration: { type: "EX", value: ttl },
      }),
    );
  }

  async delete(id: string): Promise<void> {
    await this.#redis.run("DEL", (client) => client.del(this.#prefix + id));
  }

  /**
   * Closes the connection if this store opened it; later calls reject. A client passed in stays
   * open.
   */
  close(): Promise<void> {
    return this.#redis.close();
  }
}
