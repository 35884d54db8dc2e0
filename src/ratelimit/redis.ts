/**
 * Token buckets in Redis, for apps running on many nodes: every node spends from the same
 * bucket. One Lua script reads, refills, spends and writes a bucket atomically, with the same
 * math as {@link spend} in `bucket.ts`, so the memory and Redis stores decide identically.
 * @module
 */
import { RedisConnection, RedisScript, type RedisConnectionOptions } from "../redis.js";
import type { RateLimitDecision, RateLimitRule, RateLimitStore } from "./bucket.js";

/** Options of {@link RedisRateLimitStore}: `{ url }` or `{ client }` (see {@link RedisConnectionOptions}). */
export interface RedisRateLimitStoreOptions extends RedisConnectionOptions {
  /** Key prefix; default `djust:rl:`. */
  readonly prefix?: string;
  /**
   * Clock in milliseconds. By default the script reads Redis's own `TIME`, so nodes with skewed
   * clocks still agree; inject one only in tests.
   */
  readonly now?: () => number;
}

// KEYS[1] bucket; ARGV: rate (tokens/s), burst, now in ms or "" to use the server clock.
// Floats are written with %.17g so a bucket survives the string round trip unchanged.
const SCRIPT = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now
if ARGV[3] ~= '' then
  now = tonumber(ARGV[3])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
local elapsed = math.max(0, now - ts) / 1000
tokens = math.min(burst, tokens + elapsed * rate)
local allowed = 0
local retry = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  retry = (1 - tokens) / rate * 1000
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'ts', string.format('%.17g', now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return { allowed, string.format('%.17g', retry), math.floor(tokens) }
`;

const TAKE = new RedisScript(SCRIPT);

/**
 * A {@link RateLimitStore} in Redis. Buckets expire once they would have refilled completely
 * (a full bucket is the same as no bucket), so idle callers cost no memory.
 *
 * @example
 * ```ts
 * createApp({ rateLimitStore: new RedisRateLimitStore({ url: process.env.REDIS_URL }) });
 * ```
 */
export class RedisRateLimitStore implements RateLimitStore {
  readonly #redis: RedisConnection;
  readonly #prefix: string;
  readonly #now: (() => number) | undefined;

  constructor(options: RedisRateLimitStoreOptions = {}) {
    this.#redis = new RedisConnection(options, "RedisRateLimitStore");
    this.#prefix = options.prefix ?? "djust:rl:";
    this.#now = options.now;
  }

  async take(key: string, rule: RateLimitRule): Promise<RateLimitDecision> {
    const options = {
      keys: [this.#prefix + key],
      arguments: [String(rule.rate), String(rule.burst), this.#now ? String(this.#now()) : ""],
    };
    const reply = await this.#redis.run("EVALSHA", (client) => TAKE.run(client, options));
    return decode(reply);
  }

  /**
   * Closes the connection if this store opened it; later calls reject. A client passed in stays
   * open.
   */
  close(): Promise<void> {
    return this.#redis.close();
  }
}

function decode(reply: unknown): RateLimitDecision {
  if (!Array.isArray(reply) || reply.length !== 3) {
    throw new TypeError(`Unexpected reply from the rate-limit script: ${JSON.stringify(reply)}`);
  }
  const [allowed, retry, remaining] = reply as [unknown, unknown, unknown];
  return {
    allowed: Number(allowed) === 1,
    retryAfterMs: Number(retry),
    remaining: Number(remaining),
  };
}
