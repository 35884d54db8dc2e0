/**
 * The composition root (src/server/adapters.ts): which adapters an app uses, chosen in one
 * place from `redis`, `REDIS_URL` and the per-adapter options; and `app.close()` closing only
 * the connections the app opened.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { createClient } from "redis";
import { RedisSessionStore } from "../../src/auth/redis-session.js";
import { MemorySessionStore } from "../../src/auth/session.js";
import { MemoryPubSub } from "../../src/pubsub/memory.js";
import { RedisPubSub } from "../../src/pubsub/redis.js";
import { MemoryRateLimitStore } from "../../src/ratelimit/bucket.js";
import { RedisRateLimitStore } from "../../src/ratelimit/redis.js";
import { chooseAdapters, type AppAdapters } from "../../src/server/adapters.js";
import { createApp } from "../../src/server/index.js";
import { MemoryStateBackend } from "../../src/state/backends/memory.js";
import { RedisStateBackend } from "../../src/state/backends/redis.js";
import { CapturingLogger } from "../support/logger.js";
import { describeWithRedis, expectConnections } from "../support/redis.js";

/** The class name of each adapter, for compact assertions. */
function kinds(adapters: AppAdapters) {
  return {
    sessionStore: adapters.sessionStore.constructor.name,
    rateLimitStore: adapters.rateLimitStore.constructor.name,
    stateBackend: adapters.stateBackend.constructor.name,
    pubsub: adapters.pubsub.constructor.name,
  };
}

const MEMORY = {
  sessionStore: MemorySessionStore.name,
  rateLimitStore: MemoryRateLimitStore.name,
  stateBackend: MemoryStateBackend.name,
  pubsub: MemoryPubSub.name,
};
const REDIS = {
  sessionStore: RedisSessionStore.name,
  rateLimitStore: RedisRateLimitStore.name,
  stateBackend: RedisStateBackend.name,
  pubsub: RedisPubSub.name,
};

/** Uses every adapter once, so each opens what it needs. */
async function useAll(adapters: AppAdapters): Promise<void> {
  await adapters.sessionStore.set("s", { data: {}, userId: 1, csrfToken: "t" }, 60);
  await adapters.rateLimitStore.take("caller|view|h", { rate: 1, burst: 5 });
  await adapters.stateBackend.get("nothing");
  const stop = await adapters.pubsub.subscribe("topic", () => undefined);
  await adapters.pubsub.publish("topic", 1);
  await stop();
}

it("chooses memory by default, and when REDIS_URL is empty", async () => {
  const logger = new CapturingLogger();
  for (const env of [{}, { REDIS_URL: "" }]) {
    const adapters = chooseAdapters({}, logger, env);
    assert.deepEqual(kinds(adapters), MEMORY);
    await adapters.close();
  }
});

it("redis: false means memory even when REDIS_URL is set", async () => {
  const adapters = chooseAdapters({ redis: false }, new CapturingLogger(), {
    REDIS_URL: "redis://127.0.0.1:1",
  });
  assert.deepEqual(kinds(adapters), MEMORY);
  await adapters.close();
});

await describeWithRedis("adapters chosen in one place (real redis-server)", ({ client, url }) => {
  it("REDIS_URL alone puts every adapter in Redis, on one connection plus a subscriber", async () => {
    const logger = new CapturingLogger();
    const adapters = chooseAdapters({}, logger, { REDIS_URL: url });
    assert.deepEqual(kinds(adapters), REDIS);
    await expectConnections(client, 1, "nothing opened before first use");
    await useAll(adapters);
    assert.equal(await client.exists("djust:session:s"), 1, "the session is in Redis");
    await expectConnections(client, 3, "shared connection + pub/sub subscriber");
    await adapters.close();
    await expectConnections(client, 1, "close() closed both");
    await assert.rejects(adapters.stateBackend.get("x"), /RedisStateBackend is closed/);
    assert.deepEqual(logger.lines, []);
  });

  it("redis: url wins over REDIS_URL", { timeout: 10_000 }, async () => {
    // REDIS_URL names a port nothing listens on: using it would time out, not pass.
    const adapters = chooseAdapters({ redis: url }, new CapturingLogger(), {
      REDIS_URL: "redis://127.0.0.1:1",
    });
    assert.deepEqual(kinds(adapters), REDIS);
    await useAll(adapters);
    assert.equal(await client.exists("djust:session:s"), 1);
    await adapters.close();
  });

  it("an explicit adapter overrides only its own part, and stays the caller's to close", async () => {
    const sessionStore = new MemorySessionStore();
    const stateBackend = new RedisStateBackend({ url, prefix: "mine:" });
    const adapters = chooseAdapters(
      { redis: url, sessionStore, stateBackend },
      new CapturingLogger(),
      {},
    );
    assert.equal(adapters.sessionStore, sessionStore);
    assert.equal(adapters.stateBackend, stateBackend);
    assert.deepEqual(kinds(adapters), {
      ...REDIS,
      sessionStore: MemorySessionStore.name,
    });
    await useAll(adapters);
    await adapters.close();
    await assert.rejects(async () => adapters.pubsub.publish("t", 1), /RedisPubSub is closed/);
    assert.equal(await stateBackend.get("nothing"), null, "still open");
    await stateBackend.close();
  });

  it("createApp({ redis: client }): every adapter on the client; app.close() leaves it open", async () => {
    const app = createApp({ secretKey: "k", logger: new CapturingLogger(), redis: client });
    assert.ok(app.context.stateBackend instanceof RedisStateBackend);
    assert.ok(app.context.pubsub instanceof RedisPubSub);
    assert.ok(app.context.rateLimits instanceof RedisRateLimitStore);
    const { cookie } = await app.sessions.login({ id: 3 });
    const sid = /djust_session=([^;]+)/.exec(cookie)![1]!;
    const session = await app.context.sessions.load(sid);
    assert.equal(session?.record.userId, 3);
    assert.equal((await client.keys("djust:session:*")).length > 0, true);
    await app.context.pubsub.subscribe("t", () => undefined);
    await expectConnections(client, 2, "the client + the pub/sub's subscriber");
    await app.close();
    assert.equal(client.isOpen, true);
    assert.equal(await client.ping(), "PONG");
    await expectConnections(client, 1, "no subscriber left behind");
  });

  it("createApp({ redis: url }): app.close() closes the connections the app opened", async () => {
    const app = createApp({ secretKey: "k", logger: new CapturingLogger(), redis: url });
    const server = await app.listen(0, "127.0.0.1");
    await app.sessions.login({ id: 4 });
    const stop = await app.context.pubsub.subscribe("t", () => undefined);
    await stop();
    await expectConnections(client, 3, "shared connection + subscriber");
    await server.close();
    await expectConnections(client, 1, "all closed");
  });

  it("two apps on one unconnected client: the first to use it connects it", async () => {
    const shared = createClient({ url });
    const a = createApp({ secretKey: "k", logger: new CapturingLogger(), redis: shared });
    const b = createApp({ secretKey: "k", logger: new CapturingLogger(), redis: shared });
    const { cookie } = await a.sessions.login({ id: 5 });
    const sid = /djust_session=([^;]+)/.exec(cookie)![1]!;
    assert.equal((await b.context.sessions.load(sid))?.record.userId, 5);
    await a.close();
    await b.close();
    assert.equal(shared.isOpen, false, "connected by an app, so closed by it");
  });
});
