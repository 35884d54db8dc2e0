/**
 * Token-bucket rate limiting (`@rateLimit({ rate, burst })`, per-connection event limits).
 * A bucket holds up to `burst` tokens and refills at `rate` tokens per second; each call
 * spends one token.
 * @module
 */

/** Tokens per second and bucket size. */
export interface RateLimitRule {
  /** Tokens added per second (may be fractional: 1/60 = one per minute). */
  readonly rate: number;
  /** Bucket capacity: how many calls may happen at once after a quiet period. */
  readonly burst: number;
}

/** The outcome of spending one token. */
export interface RateLimitDecision {
  readonly allowed: boolean;
  /** Milliseconds until one token is available (0 when allowed). */
  readonly retryAfterMs: number;
  /** Whole tokens left after this call. */
  readonly remaining: number;
}

/**
 * Where buckets live. One store is shared by every transport of an app, so a caller's HTTP
 * and WebSocket calls to one handler spend the same tokens.
 */
export interface RateLimitStore {
  take(key: string, rule: RateLimitRule): RateLimitDecision | Promise<RateLimitDecision>;
}

/** Throws a `RangeError` unless `rule` describes a usable bucket. */
export function assertRule(rule: RateLimitRule, where: string): void {
  if (!(Number.isFinite(rule.rate) && rule.rate > 0)) {
    throw new RangeError(`${where}: rate must be a positive number of tokens per second`);
  }
  if (!(Number.isInteger(rule.burst) && rule.burst >= 1)) {
    throw new RangeError(`${where}: burst must be an integer >= 1`);
  }
}

/** `Retry-After` seconds for a decision: seconds until one token, rounded up, at least 1. */
export function retryAfterSeconds(retryAfterMs: number): number {
  return Math.max(1, Math.ceil(retryAfterMs / 1000));
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** Refills `bucket` to `now` and spends a token if there is one. Shared by every store. */
export function spend(bucket: Bucket, rule: RateLimitRule, now: number): RateLimitDecision {
  const elapsed = Math.max(0, now - bucket.updatedAt) / 1000;
  bucket.tokens = Math.min(rule.burst, bucket.tokens + elapsed * rule.rate);
  bucket.updatedAt = now;
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return { allowed: true, retryAfterMs: 0, remaining: Math.floor(bucket.tokens) };
  }
  return {
    allowed: false,
    retryAfterMs: ((1 - bucket.tokens) / rule.rate) * 1000,
    remaining: 0,
  };
}

/** Options of {@link MemoryRateLimitStore}. */
export interface MemoryRateLimitStoreOptions {
  /** Clock in milliseconds (tests inject a fake one). Default `performance.now`-free `Date.now`. */
  readonly now?: () => number;
  /**
   * Most buckets held: above it full (idle) buckets are dropped, then the oldest. Default
   * 100,000.
   */
  readonly maxBuckets?: number;
}

/** Buckets in this process's memory: the default store for a single node. */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly #buckets = new Map<string, Bucket>();
  readonly #rules = new Map<string, RateLimitRule>();
  readonly #now: () => number;
  readonly #maxBuckets: number;

  constructor(options: MemoryRateLimitStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#maxBuckets = options.maxBuckets ?? 100_000;
  }

  /** Number of buckets currently held. */
  get size(): number {
    return this.#buckets.size;
  }

  take(key: string, rule: RateLimitRule): RateLimitDecision {
    const now = this.#now();
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      if (this.#buckets.size >= this.#maxBuckets) this.#makeRoom(now);
      bucket = { tokens: rule.burst, updatedAt: now };
      this.#buckets.set(key, bucket);
    }
    this.#rules.set(key, rule);
    return spend(bucket, rule, now);
  }

  /**
   * A bucket that has refilled to `burst` is the same as no bucket, so it can go; when none
   * has, the oldest buckets go (a tenth of the store at once, so the scan is rare), so the store
   * never holds more than `maxBuckets`.
   */
  #makeRoom(now: number): void {
    this.#dropIdle(now);
    const target = Math.floor(this.#maxBuckets * 0.9);
    for (const key of this.#buckets.keys()) {
      if (this.#buckets.size <= target) break;
      this.#buckets.delete(key);
      this.#rules.delete(key);
    }
  }

  #dropIdle(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      const rule = this.#rules.get(key);
      if (!rule) continue;
      const tokens = bucket.tokens + (Math.max(0, now - bucket.updatedAt) / 1000) * rule.rate;
      if (tokens >= rule.burst) {
        this.#buckets.delete(key);
        this.#rules.delete(key);
      }
    }
  }
}
