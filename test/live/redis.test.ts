/**
 * Redis adapters against a real `redis-server` (spawned on a free port; skipped when absent):
 * state snapshots, pub/sub, and two app nodes sharing both.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { MemorySessionStore } from "../../src/auth/session.js";
import { RedisPubSub } from "../../src/pubsub/redis.js";
import { createApp, type RunningServer } from "../../src/server/index.js";
import { RedisStateBackend } from "../../src/state/backends/redis.js";
import { createClient } from "redis";
import { findRedisServer, REDIS_MISSING, startRedis, type TestRedis } from "../support/redis.js";
import { loadPage, memoryLogger, RawClient, response } from "./helpers.js";
import { ChatView, CounterView, mounts } from "./views.js";
import { Counter, CounterPage } from "./component-views.js";
import { storedView } from "../support/stored-view.js";

const skip = findRedisServer() ? undefined : REDIS_MISSING;
if (skip) process.stderr.write(`# redis tests skipped: ${skip}\n`);

describe("Redis state backend and pub/sub", { skip }, () => {
  let redis: TestRedis | undefined;
  let url: string;

  before(async () => {
    // The shared harness waits for "Ready to accept connections" and retries when the probed
    // port is taken meanwhile; a client on a server that never bound would retry forever.
    const started = await startRedis();
    if ("skip" in started) throw new Error(started.skip);
    redis = started;
    url = started.url;
  });

  after(() => redis?.stop());

  it("stores, expires and deletes snapshots", async () => {
    const backend = new RedisStateBackend({ url, prefix: "t1:" });
    const record = storedView(
      { when: { $type: "Date", value: "2026-01-01T00:00:00.000Z" } },
      { privateFields: ["_db"], topics: ["x"] },
    );
    await backend.set("a", record, 1);
    assert.deepEqual(await backend.get("a"), record);
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal(await backend.get("a"), null, "expired");
    await backend.set("b", record, 60);
    await backend.delete("b");
    assert.equal(await backend.get("b"), null);
    await backend.close();
  });

  it("delivers messages published by one node to subscribers on another", async () => {
    const a = new RedisPubSub({ url, prefix: "t2:" });
    const b = new RedisPubSub({ url, prefix: "t2:" });
    const got: unknown[] = [];
    const stop = await b.subscribe("topic", (m) => got.push(m));
    await a.publish("topic", { hello: "world" });
    for (let i = 0; i < 50 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(got, [{ hello: "world" }]);
    await stop();
    await a.close();
    await b.close();
  });

  it("closed adapters refuse later calls instead of reconnecting, even when closed mid-connect", async () => {
    const backend = new RedisStateBackend({ url, prefix: "t4:" });
    const pubsub = new RedisPubSub({ url, prefix: "t4:" });
    // Both start connecting, and are closed before the connections are up.
    const reading = backend.get("x").catch(() => "failed");
    const publishing = pubsub.publish("topic", 1).catch(() => "failed");
    await Promise.all([backend.close(), pubsub.close()]);
    await Promise.all([reading, publishing]);
    await assert.rejects(backend.get("x"), /RedisStateBackend is closed/);
    await assert.rejects(pubsub.publish("topic", 1), /RedisPubSub is closed/);
    await assert.rejects(
      pubsub.subscribe("topic", () => undefined),
      /RedisPubSub is closed/,
    );
    // Nothing is left connected: the only client is the one asking.
    const probe = createClient({ url });
    await probe.connect();
    const clients = String(await probe.sendCommand(["CLIENT", "LIST"]))
      .trim()
      .split("\n");
    await probe.close();
    assert.equal(clients.length, 1, clients.join("\n"));
  });

  it("takes a client instead of a URL, and leaves it open on close", async () => {
    const client = createClient({ url });
    await client.connect();
    try {
      const backend = new RedisStateBackend({ client, prefix: "t5:" });
      const a = new RedisPubSub({ client, prefix: "t5:" });
      const b = new RedisPubSub({ client, prefix: "t5:" });
      assert.equal(client.listenerCount("error"), 3, "each adapter listens for errors");
      const record = storedView({ n: 1 });
      await backend.set("a", record, 60);
      assert.deepEqual(await backend.get("a"), record);
      assert.deepEqual(
        await client.hGetAll("t5:a"),
        { m: JSON.stringify({ ...record, state: undefined }), "s:n": "1" },
        "written with the client, one hash field per state field",
      );
      const got: unknown[] = [];
      await b.subscribe("topic", (m) => got.push(m));
      await a.publish("topic", { n: 2 });
      for (let i = 0; i < 50 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(got, [{ n: 2 }]);
      await Promise.all([backend.close(), a.close(), b.close()]);
      assert.equal(client.isOpen, true, "a client passed in stays open");
      assert.equal(client.listenerCount("error"), 0, "and loses the adapters' listeners");
      assert.equal(await client.ping(), "PONG");
      await assert.rejects(backend.get("a"), /RedisStateBackend is closed/);
      // Only the test's client is left: the pub/subs closed the subscriber connections they opened.
      const clients = String(await client.sendCommand(["CLIENT", "LIST"]))
        .trim()
        .split("\n");
      assert.equal(clients.length, 1, clients.join("\n"));
    } finally {
      await client.close();
    }
  });

  describe("two nodes", () => {
    let nodeA: RunningServer;
    let nodeB: RunningServer;
    const adapters: { close(): Promise<void> }[] = [];

    before(async () => {
      const sessionStore = new MemorySessionStore();
      const make = () => {
        const stateBackend = new RedisStateBackend({ url, prefix: "t3:" });
        const pubsub = new RedisPubSub({ url, prefix: "t3:" });
        // Adapters passed in are the caller's to close.
        adapters.push(stateBackend, pubsub);
        const app = createApp({
          secretKey: "shared-secret",
          logger: memoryLogger(),
          sessionStore,
          stateBackend,
          pubsub,
          templateDirs: [fileURLToPath(new URL("../fixtures/templates", import.meta.url))],
        });
        app.live("/", CounterView).live("/chat/", ChatView).live("/components/", CounterPage);
        app.component(Counter);
        return app;
      };
      nodeA = await make().listen(0, "127.0.0.1");
      nodeB = await make().listen(0, "127.0.0.1");
    });

    after(async () => {
      await nodeA?.close();
      await nodeB?.close();
      for (const adapter of adapters) await adapter.close();
    });

    it("restores on node B a view rendered and changed on node A", async () => {
      const page = await loadPage(`${nodeA.url}/`);
      const onA = await RawClient.connect(nodeA.url, { cookie: page.cookie });
      assert.equal((await onA.join(page, nodeA.url)).payload.status, "ok");
      await onA.event(page, "click", "inc", {});
      await onA.event(page, "click", "inc", {});
      onA.close();
      await onA.closed();
      await new Promise((r) => setTimeout(r, 100));
      const before = mounts.counter;
      const onB = await RawClient.connect(nodeB.url, { cookie: page.cookie, origin: nodeB.url });
      const reply = await onB.join(page, nodeB.url);
      assert.equal(reply.payload.status, "ok");
      assert.equal((response(reply).rendered as Record<string, unknown>)["1"], "2");
      assert.equal(mounts.counter, before, "restored, not mounted");
      onB.close();
    });

    it("restores on node B the components changed on node A, each stored on its own", async () => {
      const page = await loadPage(`${nodeA.url}/components/`);
      const onA = await RawClient.connect(nodeA.url, { cookie: page.cookie });
      assert.equal((await onA.join(page, nodeA.url)).payload.status, "ok");
      const inc = { type: "click", event: "inc", value: {}, cid: 2 };
      await onA.push(`lv:${page.id}`, "event", inc);
      await onA.push(`lv:${page.id}`, "event", inc);
      await onA.event(page, "click", "rename", { title: "Moved" });
      onA.close();
      await onA.closed();
      await new Promise((r) => setTimeout(r, 100));
      const redis = createClient({ url });
      await redis.connect();
      const fields = Object.keys(await redis.hGetAll(`t3:${page.id}`));
      await redis.close();
      // Component 2 whole at its first write after the join, then its second change as an edit.
      assert.deepEqual(fields.filter((f) => f.includes("_c:")).sort(), [
        "d:_c:2:0",
        "n:_c:2",
        "s:_c:1",
        "s:_c:2",
        "s:_c:3",
      ]);
      const onB = await RawClient.connect(nodeB.url, { cookie: page.cookie, origin: nodeB.url });
      const reply = await onB.join(page, nodeB.url, { url: `${nodeB.url}/components/` });
      assert.equal(reply.payload.status, "ok");
      const rendered = response(reply).rendered as Record<string, unknown>;
      const c = rendered.c as Record<string, Record<string, unknown>>;
      assert.equal(rendered[0], "Moved");
      assert.deepEqual([c[1]?.[2], c[2]?.[2], c[3]?.[2]], ["0", "2", "0"]);
      onB.close();
    });

    it("broadcasts from a view on node A reach a view on node B", async () => {
      const pageA = await loadPage(`${nodeA.url}/chat/`);
      const pageB = await loadPage(`${nodeB.url}/chat/`);
      const a = await RawClient.connect(nodeA.url, { cookie: pageA.cookie });
      const b = await RawClient.connect(nodeB.url, { cookie: pageB.cookie });
      await a.join(pageA, nodeA.url, { url: `${nodeA.url}/chat/` });
      await b.join(pageB, nodeB.url, { url: `${nodeB.url}/chat/` });
      await new Promise((r) => setTimeout(r, 100));
      await a.event(pageA, "form", "say", "text=across+nodes");
      const pushed = await b.next((m) => m.event === "diff");
      assert.match(JSON.stringify(pushed.payload), /across nodes/);
      a.close();
      b.close();
    });
  });
});
