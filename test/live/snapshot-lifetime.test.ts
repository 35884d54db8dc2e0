/**
 * An open view's snapshot outlives `stateTtlSeconds` while nothing changes: the connection's
 * heartbeats start its lifetime again (a backend's `touch`, or a whole write where the backend
 * has none), so a view left idle for longer than the TTL is restored, not mounted again, when
 * its connection drops and comes back.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createApp, type RunningServer } from "../../src/server/index.js";
import { MemoryStateBackend } from "../../src/state/backends/memory.js";
import type { StateBackend, StoredPatch, StoredView } from "../../src/state/backends/types.js";
import { loadPage, memoryLogger, RawClient, response, type PageInfo } from "./helpers.js";
import { CounterView, mounts } from "./views.js";

/** The memory backend, counting what is asked of it; `touch` only when `touching`. */
class CountingBackend implements StateBackend {
  readonly inner = new MemoryStateBackend();
  readonly calls = { set: 0, patch: 0, touch: 0 };
  readonly touch?: (key: string, ttlSeconds: number) => Promise<boolean>;

  constructor(touching: boolean) {
    if (touching) {
      this.touch = (key, ttlSeconds) => {
        this.calls.touch++;
        return this.inner.touch(key, ttlSeconds);
      };
    }
  }

  get(key: string): Promise<StoredView | null> {
    return this.inner.get(key);
  }
  set(key: string, value: StoredView, ttlSeconds: number): Promise<void> {
    this.calls.set++;
    return this.inner.set(key, value, ttlSeconds);
  }
  patch(key: string, patch: StoredPatch, ttlSeconds: number): Promise<boolean> {
    this.calls.patch++;
    return this.inner.patch(key, patch, ttlSeconds);
  }
  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }
}

const TTL_SECONDS = 2;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const touching of [true, false]) {
  describe(`an idle open view's snapshot, backend ${touching ? "with" : "without"} touch`, () => {
    const backend = new CountingBackend(touching);
    let server: RunningServer;
    const clients: RawClient[] = [];

    before(async () => {
      const app = createApp({
        secretKey: "s",
        logger: memoryLogger(),
        stateBackend: backend,
        stateTtlSeconds: TTL_SECONDS,
      });
      app.live("/", CounterView);
      server = await app.listen(0, "127.0.0.1");
    });
    after(async () => {
      for (const client of clients) client.close();
      await server.close();
    });

    async function connect(page: PageInfo): Promise<RawClient> {
      const client = await RawClient.connect(server.url, { cookie: page.cookie });
      clients.push(client);
      return client;
    }

    it("is kept past its TTL by the heartbeats, and the view restored after a drop", async () => {
      const page = await loadPage(`${server.url}/`);
      const client = await connect(page);
      assert.equal((await client.join(page, server.url)).payload.status, "ok");
      assert.equal((await client.event(page, "click", "inc", {})).payload.status, "ok");
      const written = { ...backend.calls };
      // Within half the TTL of that write a heartbeat asks nothing of the store.
      assert.equal((await client.push("phoenix", "heartbeat", {}, null)).payload.status, "ok");
      await sleep(1_100);
      assert.equal((await client.push("phoenix", "heartbeat", {}, null)).payload.status, "ok");
      await sleep(1_100);
      // 2.2 s after the event's write, 1.1 s after the heartbeat that renewed it.
      assert.deepEqual(backend.calls, {
        set: written.set + (touching ? 0 : 1),
        patch: written.patch,
        touch: written.touch + (touching ? 1 : 0),
      });
      assert.deepEqual((await backend.get(page.id))?.state.count, 1);
      const mounted = mounts.counter;
      client.close();
      await client.closed();
      const again = await connect(page);
      const reply = await again.join(page, server.url);
      assert.equal(reply.payload.status, "ok", JSON.stringify(reply.payload));
      assert.equal((response(reply).rendered as Record<string, unknown>)["1"], "1");
      assert.equal(mounts.counter, mounted, "restored, not mounted again");
    });

    it("is written whole when the store lost it while the view was open", async () => {
      const page = await loadPage(`${server.url}/`);
      const client = await connect(page);
      assert.equal((await client.join(page, server.url)).payload.status, "ok");
      assert.equal((await client.event(page, "click", "inc", {})).payload.status, "ok");
      await backend.delete(page.id);
      await sleep(1_100);
      assert.equal((await client.push("phoenix", "heartbeat", {}, null)).payload.status, "ok");
      // The heartbeat's reply goes out before the write: wait for the record.
      for (let i = 0; i < 50 && (await backend.get(page.id)) === null; i++) await sleep(10);
      assert.deepEqual((await backend.get(page.id))?.state.count, 1);
    });
  });
}
