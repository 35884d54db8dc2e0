import assert from "node:assert/strict";
import { it } from "node:test";
import { createClient } from "redis";
import { MemoryRateLimitStore, type RateLimitRule } from "../../src/ratelimit/bucket.js";
import { RedisRateLimitStore } from "../../src/ratelimit/redis.js";
import { describeWithRedis, expectConnections } from "../support/redis.js";

await describeWithRedis("RedisRateLimitStore (real redis-server)", ({ client, url }) => {
  it("allows a burst, refuses the next call and reports Retry-After time", async () => {
    const store = new RedisRateLimitStore({ client, prefix: "t1:" });
    const rule: RateLimitRule = { rate: 1, burst: 3 };
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push(await store.take("caller|view|h", rule));
    assert.deepEqual(
      decisions.map((d) => d.allowed),
      [true, true, true, false],
    );
    assert.deepEqual(
      decisions.map((d) => d.remaining),
      [2, 1, 0, 0],
    );
    const refused = decisions[3]!;
    assert.ok(
      refused.retryAfterMs > 0 && refused.retryAfterMs <= 1000,
      String(refused.retryAfterMs),
    );
  });

  it("decides exactly like the memory store under the same clock", async () => {
    let now = 1_000_000;
    const clock = () => now;
    const redisStore = new RedisRateLimitStore({ client, prefix: "t2:", now: clock });
    const memory = new MemoryRateLimitStore({ now: clock });
    const rule: RateLimitRule = { rate: 2.5, burst: 4 };
    const steps = [0, 0, 0, 0, 0, 100, 250, 400, 0, 0, 1000, 3000, 0, 0, 0, 0, 0, 10];
    for (const step of steps) {
      now += step;
      const a = await redisStore.take("k", rule);
      const b = memory.take("k", rule);
      assert.equal(a.allowed, b.allowed, `allowed at +${step}`);
      assert.equal(a.remaining, b.remaining, `remaining at +${step}`);
      assert.ok(Math.abs(a.retryAfterMs - b.retryAfterMs) < 1e-6, `retry at +${step}`);
    }
  });

  it("is atomic under concurrent calls: exactly `burst` of 50 parallel calls pass", async () => {
    const store = new RedisRateLimitStore({ client, prefix: "t3:" });
    const rule = { rate: 0.001, burst: 7 };
    const results = await Promise.all(Array.from({ length: 50 }, () => store.take("k", rule)));
    assert.equal(results.filter((r) => r.allowed).length, 7);
  });

  it("two stores (two nodes) share one bucket, and buckets expire when idle", async () => {
    const other = createClient({ url: url });
    await other.connect();
    try {
      const a = new RedisRateLimitStore({ client, prefix: "t4:" });
      const b = new RedisRateLimitStore({ client: other, prefix: "t4:" });
      const rule = { rate: 1, burst: 2 };
      assert.equal((await a.take("k", rule)).allowed, true);
      assert.equal((await b.take("k", rule)).allowed, true);
      assert.equal((await a.take("k", rule)).allowed, false);
      const ttl = await client.pTTL("t4:k");
      assert.ok(ttl > 0 && ttl <= 3000, String(ttl));
    } finally {
      await other.close();
    }
  });

  it("takes { url } (its own connection, closed by close()) or { client } (left open)", async () => {
    const byUrl = new RedisRateLimitStore({ url, prefix: "t6:" });
    const byClient = new RedisRateLimitStore({ client, prefix: "t6:" });
    const rule = { rate: 0.001, burst: 2 };
    assert.equal((await byUrl.take("k", rule)).allowed, true);
    assert.equal((await byClient.take("k", rule)).allowed, true);
    assert.equal((await byUrl.take("k", rule)).allowed, false, "one bucket");
    await expectConnections(client, 2);
    await Promise.all([byUrl.close(), byClient.close()]);
    await assert.rejects(byUrl.take("k", rule), /RedisRateLimitStore is closed/);
    await assert.rejects(byClient.take("k", rule), /RedisRateLimitStore is closed/);
    assert.equal(client.isOpen, true);
    await expectConnections(client, 1);
  });

  it("reloads the script after SCRIPT FLUSH (NOSCRIPT)", async () => {
    const store = new RedisRateLimitStore({ client, prefix: "t5:" });
    await store.take("k", { rate: 1, burst: 5 });
    await client.scriptFlush();
    const decision = await store.take("k", { rate: 1, burst: 5 });
    assert.equal(decision.allowed, true);
  });
});
