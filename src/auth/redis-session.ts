/**
 * Sessions in Redis, so any node can serve any request (no sticky sessions): one JSON value per
 * session with the session's TTL.
 * @module
 */
import type { SessionRecord, SessionStore } from "./session.js";

/**
 * The part of a Redis client this store uses; a node-redis v6 client (`createClient()`) fits.
 */
export interface RedisKeyValueClient {
  get(key: string): Promise<string | null | unknown>;
  set(
    key: string,
    value: string,
    options: { expiration: { type: "EX"; value: number } },
  ): Promise<unknown>;
  del(key: string): Promise<unknown>;
}

/** Options of {@link RedisSessionStore}. */
export interface RedisSessionStoreOptions {
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
 * const redis = createClient({ url: process.env.REDIS_URL });
 * await redis.connect();
 * createApp({ sessionStore: new RedisSessionStore(redis) });
 * ```
 */
export class RedisSessionStore implements SessionStore {
  readonly #client: RedisKeyValueClient;
  readonly #prefix: string;

  constructor(client: RedisKeyValueClient, options: RedisSessionStoreOptions = {}) {
    this.#client = client;
    this.#prefix = options.prefix ?? "djust:session:";
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    const raw = await this.#client.get(this.#prefix + id);
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
    await this.#client.set(this.#prefix + id, JSON.stringify(record), {
      expiration: { type: "EX", value: ttl },
    });
  }

  async delete(id: string): Promise<void> {
    await this.#client.del(this.#prefix + id);
  }
}
