/**
 * Redis state backend (node-redis v6): any node can restore a view another node rendered.
 *
 * A record is one Redis hash, so that a snapshot after an event writes only what changed: the
 * field `m` holds everything but the state (view, URL, topics, flash, …) as JSON, each
 * top-level state field `f` its own hash field `s:f`, and the deltas written since that field
 * was last stored whole `d:f:0`, `d:f:1`, … (their count in `n:f`). A full write replaces the
 * hash; an incremental one ({@link RedisStateBackend.patch}) sets `m`, the fields stored whole
 * (dropping their deltas) and appends deltas, in one atomic script that refuses to write into a
 * record that expired. With `compress`, a field stored whole from 1 KiB on is kept compressed
 * ({@link COMPRESSED}); reads take either form.
 * @module
 */
import { RedisConnection, RedisScript, type RedisConnectionOptions } from "../../redis.js";
import { applyDeltas } from "../delta.js";
import { COMPRESS_FROM, compressText, decompressText } from "./compression.js";
import type { StateSnapshot } from "../tracker.js";
import { isStoredView, type StateBackend, type StoredPatch, type StoredView } from "./types.js";

/** Options of {@link RedisStateBackend}: `{ url }` or `{ client }` (see {@link RedisConnectionOptions}). */
export interface RedisStateBackendOptions extends RedisConnectionOptions {
  /** Key prefix, so apps can share a server. Default `"djust:view:"`. */
  readonly prefix?: string;
  /**
   * Writes each state field of 1 KiB and more compressed (Brotli, then base64): a 1,000-row
   * table's field is kept and sent in about a fourteenth of its JSON's bytes.
   * Every version that has this option reads compressed fields, set or not; an earlier one does
   * not, and would mount afresh the views whose records it cannot read. So in a rolling deploy
   * from such a version, turn it on once no node of that version is left.
   * @default false
   */
  readonly compress?: boolean;
}

/** Hash field of the record's parts other than the state. */
const META = "m";
/** Prefix of the hash fields holding one state field each. */
const FIELD = "s:";

/** Prefix of the hash fields holding a field's deltas (`d:<field>:<n>`). */
const DELTA = "d:";

/**
 * Starts a state field's value kept compressed: the base64 of each of its pieces
 * ({@link compressText}), separated by commas. No JSON text starts with it.
 */
const COMPRESSED = "~";

/** What a state field's hash value holds for its JSON `text`. */
function fieldValue(text: string, compress: boolean): string {
  if (!compress || text.length < COMPRESS_FROM) return text;
  return (
    COMPRESSED +
    compressText(text)
      .map((piece) => piece.toString("base64"))
      .join(",")
  );
}

/** The JSON text of a state field's hash value (see {@link fieldValue}). */
function fieldText(value: string): string {
  if (!value.startsWith(COMPRESSED)) return value;
  return decompressText(
    value
      .slice(1)
      .split(",")
      .map((piece) => Buffer.from(piece, "base64")),
  );
}

// KEYS[1] record; ARGV: ttl seconds, meta JSON, then counts and lists: fields dropped (names),
// fields stored whole (name/value pairs), deltas appended (name/value pairs). Dropping or
// replacing a field drops its deltas. Nothing is written into a record that is not there.
const PATCH = `
local key = KEYS[1]
if redis.call('EXISTS', key) == 0 then return 0 end
local function drop(f)
  local n = tonumber(redis.call('HGET', key, 'n:' .. f) or '0')
  for i = 0, n - 1 do redis.call('HDEL', key, 'd:' .. f .. ':' .. i) end
  redis.call('HDEL', key, 'n:' .. f)
end
local at = 3
local removed = tonumber(ARGV[at])
local wholeAt = at + removed + 1
local deltasAt = wholeAt + 2 * tonumber(ARGV[wholeAt]) + 1
for i = 0, tonumber(ARGV[deltasAt]) - 1 do
  -- A delta needs its field: 0 and nothing written, the caller writes the record whole.
  if redis.call('HEXISTS', key, 's:' .. ARGV[deltasAt + 1 + 2 * i]) == 0 then return 0 end
end
redis.call('HSET', key, 'm', ARGV[2])
for i = 1, removed do
  drop(ARGV[at + i])
  redis.call('HDEL', key, 's:' .. ARGV[at + i])
end
at = at + removed + 1
local whole = tonumber(ARGV[at])
for i = 0, whole - 1 do
  local f = ARGV[at + 1 + 2 * i]
  drop(f)
  redis.call('HSET', key, 's:' .. f, ARGV[at + 2 + 2 * i])
end
at = at + 2 * whole + 1
local deltas = tonumber(ARGV[at])
for i = 0, deltas - 1 do
  local f = ARGV[at + 1 + 2 * i]
  local n = redis.call('HINCRBY', key, 'n:' .. f, 1) - 1
  redis.call('HSET', key, 'd:' .. f .. ':' .. n, ARGV[at + 2 + 2 * i])
end
redis.call('EXPIRE', key, ARGV[1])
return 1
`;
const PATCH_SCRIPT = new RedisScript(PATCH);

/** The hash fields of `record`: its meta part and each state field (only those present). */
function hashFields(record: StoredView, compress: boolean): string[] {
  const { state, ...meta } = record;
  const out = [META, JSON.stringify(meta)];
  for (const key of Object.keys(state)) {
    out.push(FIELD + key, fieldValue(JSON.stringify(state[key]), compress));
  }
  return out;
}

/** The record a hash holds, or `null` when it is not one this backend wrote. */
function fromHash(hash: Record<string, string>): StoredView | null {
  const metaText = hash[META];
  if (metaText === undefined) return null;
  try {
    const meta = JSON.parse(metaText) as Record<string, unknown>;
    const state: StateSnapshot = {};
    const deltas = new Map<string, string[]>();
    for (const [name, text] of Object.entries(hash)) {
      if (name.startsWith(DELTA)) {
        const cut = name.lastIndexOf(":");
        const field = name.slice(DELTA.length, cut);
        const list = deltas.get(field) ?? [];
        list[Number(name.slice(cut + 1))] = text;
        deltas.set(field, list);
        continue;
      }
      if (!name.startsWith(FIELD)) continue;
      const key = name.slice(FIELD.length);
      // Records come from outside the process: no key may reach a prototype.
      if (key === "__proto__") continue;
      state[key] = JSON.parse(fieldText(text)) as StateSnapshot[string];
    }
    for (const [field, list] of deltas) {
      // A delta without its field, or a gap in the sequence, makes the record unusable.
      if (!Object.hasOwn(state, field) || list.length !== Object.keys(list).length) return null;
      state[field] = applyDeltas(state[field] as StateSnapshot[string], list);
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
  readonly #compress: boolean;
  readonly #redis: RedisConnection;

  constructor(options: RedisStateBackendOptions = {}) {
    this.#prefix = options.prefix ?? "djust:view:";
    this.#compress = options.compress === true;
    this.#redis = new RedisConnection(options, "RedisStateBackend");
  }

  async get(key: string): Promise<StoredView | null> {
    const hash = await this.#redis.run("HGETALL", (client) => client.hGetAll(this.#prefix + key));
    return fromHash(hash as Record<string, string>);
  }

  async set(key: string, value: StoredView, ttlSeconds: number): Promise<void> {
    const name = this.#prefix + key;
    const fields = hashFields(value, this.#compress);
    await this.#redis.run("MULTI", (client) =>
      client.multi().del(name).hSet(name, fields).expire(name, ttl(ttlSeconds)).exec(),
    );
  }

  async patch(key: string, patch: StoredPatch, ttlSeconds: number): Promise<boolean> {
    const { state: _state, ...meta } = patch.record;
    const args = [String(ttl(ttlSeconds)), JSON.stringify(meta), String(patch.removed.length)];
    args.push(...patch.removed, String(patch.fields.size));
    for (const [field, text] of patch.fields) args.push(field, fieldValue(text, this.#compress));
    args.push(String(patch.deltas.size));
    for (const [field, text] of patch.deltas) args.push(field, text);
    const options = { keys: [this.#prefix + key], arguments: args };
    const reply = await this.#redis.run("EVALSHA", (client) => PATCH_SCRIPT.run(client, options));
    return Number(reply) === 1;
  }

  async touch(key: string, ttlSeconds: number): Promise<boolean> {
    const name = this.#prefix + key;
    const reply = await this.#redis.run("EXPIRE", (client) => client.expire(name, ttl(ttlSeconds)));
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
