import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryRateLimitStore, retryAfterSeconds } from "../../src/ratelimit/bucket.js";

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe("token bucket (rate tokens/second, burst capacity)", () => {
  it("allows `burst` calls at once, then one per 1/rate seconds", () => {
    const time = clock();
    const store = new MemoryRateLimitStore({ now: time.now });
    const rule = { rate: 2, burst: 3 };
    const results = [1, 2, 3, 4].map(() => store.take("k", rule));
    assert.deepStrictEqual(
      results.map((r) => r.allowed),
      [true, true, true, false],
    );
    assert.deepStrictEqual(
      results.map((r) => r.remaining),
      [2, 1, 0, 0],
    );
    assert.equal(results[3]?.retryAfterMs, 500);
    time.advance(499);
    assert.equal(store.take("k", rule).allowed, false);
    time.advance(1);
    assert.equal(store.take("k", rule).allowed, true);
  });

  it("never refills above burst", () => {
    const time = clock();
    const store = new MemoryRateLimitStore({ now: time.now });
    const rule = { rate: 1, burst: 2 };
    time.advance(3_600_000);
    assert.equal(store.take("k", rule).allowed, true);
    assert.equal(store.take("k", rule).allowed, true);
    assert.equal(store.take("k", rule).allowed, false);
  });

  it("slow rates: one per minute gives Retry-After of 60 s", () => {
    const time = clock();
    const store = new MemoryRateLimitStore({ now: time.now });
    const rule = { rate: 1 / 60, burst: 1 };
    store.take("k", rule);
    const refused = store.take("k", rule);
    assert.equal(refused.allowed, false);
    assert.equal(retryAfterSeconds(refused.retryAfterMs), 60);
  });

  it("keys are independent", () => {
    const store = new MemoryRateLimitStore({ now: clock().now });
    const rule = { rate: 1, burst: 1 };
    assert.equal(store.take("a", rule).allowed, true);
    assert.equal(store.take("a", rule).allowed, false);
    assert.equal(store.take("b", rule).allowed, true);
  });

  it("drops refilled buckets when over capacity, keeping drained ones", () => {
    const time = clock();
    const store = new MemoryRateLimitStore({ now: time.now, maxBuckets: 2 });
    const rule = { rate: 1, burst: 1 };
    store.take("a", rule);
    time.advance(5000);
    store.take("b", rule);
    store.take("c", rule);
    assert.equal(store.size, 2, "a had refilled and was dropped");
    assert.equal(store.take("b", rule).allowed, false, "b's drained bucket was kept");
  });

  it("Retry-After rounds up and is at least 1", () => {
    assert.equal(retryAfterSeconds(0), 1);
    assert.equal(retryAfterSeconds(1), 1);
    assert.equal(retryAfterSeconds(1000), 1);
    assert.equal(retryAfterSeconds(1001), 2);
  });
});
