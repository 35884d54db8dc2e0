/**
 * Redis adapters against a real `redis-server` (spawned on a free port; skipped when absent):
 * state snapshots, pub/sub, and two app nodes sharing both.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import { MemorySessionStore } from "../../src/auth/session.js";
import { RedisPubSub } from "../../src/pubsub/redis.js";
import { createApp, type RunningServer } from "../../src/server/index.js";
import { RedisStateBackend } from "../../src/state/backends/redis.js";
import { loadPage, memoryLogger, RawClient, response } from "./helpers.js";
import { ChatView, CounterView, mounts } from "./views.js";

const hasRedis = spawnSync("redis-server", ["--version"]).status === 0;
const skip = hasRedis
  ? undefined
  : "redis-server is not installed (apt-get install -y redis-server)";
if (skip) process.stderr.write(`# redis tests skipped: ${skip}\n`);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe("Redis state backend and pub/sub", { skip }, () => {
  let redis: ChildProcess;
  let url: string;

  before(async () => {
    const port = await freePort();
    redis = spawn("redis-server", ["--port", String(port), "--save", "", "--appendonly", "no"], {
      stdio: "ignore",
    });
    url = `redis://127.0.0.1:${port}`;
    const probe = new RedisStateBackend({ url });
    for (let i = 0; i < 50; i++) {
      try {
        await probe.get("probe");
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await probe.close();
  });

  after(() => {
    redis?.kill();
  });

  it("stores, expires and deletes snapshots", async () => {
    const backend = new RedisStateBackend({ url, prefix: "t1:" });
    const record = {
      v: 1 as const,
      view: "V",
      state: { when: { $type: "Date", value: "2026-01-01T00:00:00.000Z" } },
      privateFields: ["_db"],
      topics: ["x"],
      flash: {},
      savedAt: 1,
    };
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
        });
        app.live("/", CounterView).live("/chat/", ChatView);
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
