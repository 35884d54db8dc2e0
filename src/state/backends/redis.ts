/**
 * Redis state backend (node-redis v6): any node can restore a view another node rendered.
 *
 * A record is one Redis hash, so that a snapshot after an event writes only what changed: the
 * field `m` holds everything but the state (view, URL, topics, flash, …) as JSON, and each
 * top-level state field `f` its own hash field `s:f`. A full write replaces the hash; an
 * incremental one ({@link RedisStateBackend.patch}) sets the changed fields and `m` in one
 * atomic script that refuses to write into a record that expired.
 * @module
 */
import { RedisConnection, RedisScript, type RedisConnectionOptions } from "../../redis.js";
import type { StateSnapshot } from "../tracker.js";
import { isStoredView, type StateBackend, type StoredView } from "./types.js";

/** Options of {@link RedisStateBackend}: `{ url }` or `{ client }` (see {@link RedisConnectionOptions}). */
export interface RedisStateBackendOptions extends RedisConnectionOptions {
  /** Key prefix, so apps can share a server. Default `"djust:view:"`. */
  readonly prefix?: string;
}

/** Hash field of the record's parts other than the state. */
const META = "m";
/** Prefix of the hash fields holding one state field each. */
const FIELD = "s:";

// KEYS[1] record; ARGV: ttl seconds, number of removed fields, their hash fields, then
// field/value pairs. Nothing is written into a record that is not there (expired, deleted).
const PATCH = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local removed = tonumber(ARGV[2])
for i = 3, 2 + removed do redis.call('HDEL', KEYS[1], ARGV[i]) end
local kv = {}
for i = 3 + removed, #ARGV do kv[#kv + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(kv))
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
`;
const PATCH_SCRIPT = new RedisScript(PATCH);

/** The hash fields of `record`: its meta part and each state field (only those present). */
function hashFields(record: StoredView): string[] {
  const { state, ...meta } = record;
  const out = [META, JSON.stringify(meta)];
  for (const key of Object.keys(state)) out.push(FIELD + key, JSON.stringify(state[key]));
  return out;
}

/** The record a hash holds, or `null` when it is not one this backend wrote. */
function fromHash(hash: Record<string, string>): StoredView | null {
  const metaText = hash[META];
  if (metaText === undefined) return null;
  try {
    const meta = JSON.parse(metaText) as Record<string, unknown>;
    const state: StateSnapshot = {};
    for (const [name, text] of Object.entries(hash)) {
      if (!name.startsWith(FIELD)) continue;
      const key = name.slice(FIELD.length);
      // Records come from outside the process: no key may reach a prototype.
      if (key === "__proto__") continue;
      state[key] = JSON.parse(text) as StateSnapshot[string];
    }
    const value: unknown = { ...meta, state };
    return isStoredView(value) ? value : null;
  } catch {
    return null;
  }
}

/** Snapshots as Redis hashes under `<prefix><view id>`, expiring after their TTL. */
export class RedisStateBackend implements StateBackend {
  readonly #prefix: string;
  readonly #redis: RedisConnection;

  constructor(options: RedisStateBackendOptions = {}) {
    this.#prefix = options.prefix ?? "djust:view:";
    this.#redis = new RedisConnection(options, "RedisStateBackend");
  }

  async get(key: string): Promise<StoredView | null> {
    const hash = await this.#redis.run("HGETALL", (client) => client.hGetAll(this.#prefix + key));
    return fromHash(hash as Record<string, string>);
  }

  async set(key: string, value: StoredView, ttlSeconds: number): Promise<void> {
    const name = this.#prefix + key;
    const fields = hashFields(value);
    await this.#redis.run("MULTI", (client) =>
      client.multi().del(name).hSet(name, fields).expire(name, ttl(ttlSeconds)).exec(),
    );
  }

  async patch(
    key: string,
    value: StoredView,
    removed: readonly string[],
    ttlSeconds: number,
  ): Promise<boolean> {
    const args = [String(ttl(ttlSeconds)), String(removed.length)];
    for (const field of removed) args.push(FIELD + field);
    args.push(...hashFields(value));
    const options = { keys: [this.#prefix + key], arguments: args };
    const reply = await this.#redis.run("EVALSHA", (client) => PATCH_SCRIPT.run(client, options));
    return Number(reply) === 1;
  }

  async delete(key: string): Promise<void> {
    await this.#redis.run("DEL", (client) => client.del(this.#prefix + key));
  }

  /**
   * Closes the connection if this backend opened it, including one still being opened; later
   * calls reject. A client passed in stays open.
   */
  close(): Promise<void> {
    return this.#redis.close();
  }
}

function ttl(seconds: number): number {
  return Math.max(1, Math.ceil(seconds));
}
