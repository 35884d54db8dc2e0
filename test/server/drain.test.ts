/**
 * A listening server's graceful close (what SIGTERM runs under `djust serve`), in one process:
 * events in flight reply before their socket closes, the official Phoenix client reconnects
 * after the close, the app's own `onClose` hooks run after the transports drained, and
 * `listen({ workers })` refuses what cannot work before forking anything.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as phoenix from "phoenix";
import WebSocket from "ws";
import { LiveView, eventHandler, html } from "../../src/index.js";
import type { RenderContext, Rendered } from "../../src/index.js";
import { createApp, type AppOptions } from "../../src/server/index.js";
import { liveTransportOf } from "../../src/server/live.js";
import { MemoryStateBackend } from "../../src/state/backends/memory.js";
import { ServiceUnavailable } from "../../src/errors.js";
import { eventError, loadPage, memoryLogger, RawClient, response } from "../live/helpers.js";
import { LongPollClient } from "../support/longpoll-client.js";

/** The part of the official client's `Socket` used here (the package ships no types). */
interface PhoenixSocket {
  onOpen(callback: () => void): void;
  connect(): void;
  disconnect(): void;
}
const Socket = (
  phoenix as unknown as {
    Socket: new (endPoint: string, options: Record<string, unknown>) => PhoenixSocket;
  }
).Socket;

class SlowCounterView extends LiveView {
  count = 0;

  @eventHandler
  async slowInc() {
    await new Promise((resolve) => setTimeout(resolve, 300));
    this.count++;
    return this.count;
  }

  override render(a: RenderContext): Rendered {
    return html`<p>${a.count}</p>`;
  }
}

// A memory backend whose writes take 30 ms, counting how many run at once; `down` refuses
// them (Redis stalled), which leaves an event's change unsaved in the view.
class SlowBackend extends MemoryStateBackend {
  running = 0;
  most = 0;
  writes = 0;
  down = false;
  async #slow<T>(write: () => Promise<T>): Promise<T> {
    if (this.down) throw new ServiceUnavailable("down");
    this.writes++;
    this.most = Math.max(this.most, ++this.running);
    await new Promise((resolve) => setTimeout(resolve, 30));
    try {
      return await write();
    } finally {
      this.running--;
    }
  }
  override set(...args: Parameters<MemoryStateBackend["set"]>) {
    return this.#slow(() => super.set(...args));
  }
  override patch(...args: Parameters<MemoryStateBackend["patch"]>) {
    return this.#slow(() => super.patch(...args));
  }
}

/** The counter app on `backend`, with `options` beside. */
function app(backend = new MemoryStateBackend(), options: Omit<AppOptions, "secretKey"> = {}) {
  const served = createApp({
    secretKey: "drain-secret",
    logger: memoryLogger(),
    stateBackend: backend,
    ...options,
  });
  served.live("/", SlowCounterView);
  return served;
}

describe("graceful close of a listening server", () => {
  it("an event in flight replies, its change is saved, then the socket closes with 1001", async () => {
    const backend = new MemoryStateBackend();
    const served = app(backend);
    const server = await served.listen(0, "127.0.0.1");
    const page = await loadPage(`${server.url}/`);
    const client = await RawClient.connect(server.url, { cookie: page.cookie });
    assert.equal((await client.join(page, server.url)).payload.status, "ok");
    const inFlight = client.event(page, "click", "slowInc", {});
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closing = server.close();
    const reply = await inFlight;
    assert.deepEqual(response(reply).diff, { "0": "1", r: { value: 1 } });
    assert.equal(await client.closed(), 1001);
    await closing;
    assert.equal((await backend.get(page.id))?.state.count, 1);
  });

  it("the official Phoenix client reconnects after the server's shutdown close", async () => {
    const first = await app().listen(0, "127.0.0.1");
    const port = first.port;
    const socket = new Socket(`ws://127.0.0.1:${port}/djust/live`, {
      transport: WebSocket,
      reconnectAfterMs: () => 50,
    });
    let opens = 0;
    const opened = (n: number) =>
      new Promise<void>((resolve) => {
        const check = () => (opens >= n ? resolve() : setTimeout(check, 10));
        check();
      });
    socket.onOpen(() => opens++);
    socket.connect();
    await opened(1);
    await first.close();
    // A server on the same port again (another node behind the same address).
    const second = await app().listen(port, "127.0.0.1");
    try {
      await opened(2);
    } finally {
      socket.disconnect();
      await second.close();
    }
  });

  it("the app's onClose hooks run after the transports drained", async () => {
    const served = app();
    const seen: number[] = [];
    served.onClose(() => void seen.push(liveTransportOf(served.context).connectionCount));
    const server = await served.listen(0, "127.0.0.1");
    const page = await loadPage(`${server.url}/`);
    const client = await RawClient.connect(server.url, { cookie: page.cookie });
    await client.join(page, server.url);
    assert.equal(liveTransportOf(served.context).connectionCount, 1);
    await server.close();
    assert.deepEqual(seen, [0]);
  });

  it("saves the views of shutdownConcurrency connections at a time; idle restored views write nothing", async () => {
    const backend = new SlowBackend();
    const served = app(backend, { durability: "reply", shutdownConcurrency: 2 });
    const server = await served.listen(0, "127.0.0.1");
    const views = [];
    for (let i = 0; i < 8; i++) {
      const page = await loadPage(`${server.url}/`);
      const client = await RawClient.connect(server.url, { cookie: page.cookie });
      assert.equal((await client.join(page, server.url)).payload.status, "ok");
      views.push({ page, client });
    }
    // Half of them change while the store refuses writes (so their changes are unsaved), half
    // stay idle (their snapshots are the ones their pages' renders stored).
    const busy = views.slice(0, 4);
    backend.down = true;
    for (const reply of await Promise.all(
      busy.map(({ client, page }) => client.event(page, "click", "slowInc", {})),
    )) {
      assert.equal(eventError(reply)?.error, "service_unavailable");
    }
    backend.down = false;
    backend.writes = 0;
    await server.close();
    assert.equal(backend.writes, 4, "only the changed views are written");
    assert.equal(backend.most, 2);
    for (const { page } of busy) assert.equal((await backend.get(page.id))?.state.count, 1);
    for (const { page } of views.slice(4))
      assert.equal((await backend.get(page.id))?.state.count, 0);
  });

  it("long-poll sessions too: the changes of a session's view are saved before close() resolves", async () => {
    const backend = new SlowBackend();
    const served = app(backend, { durability: "reply" });
    const server = await served.listen(0, "127.0.0.1");
    const page = await loadPage(`${server.url}/`);
    const client = new LongPollClient([server.url], page.cookie);
    await client.open();
    try {
      assert.equal((await client.join(page, server.url)).payload.status, "ok");
      backend.down = true;
      const reply = await client.event(page, "click", "slowInc", {});
      assert.equal(eventError(reply)?.error, "service_unavailable");
      backend.down = false;
      await server.close();
    } finally {
      client.stop();
    }
    assert.equal((await backend.get(page.id))?.state.count, 1);
  });

  it("createApp refuses a shutdownConcurrency that is not a positive integer", () => {
    for (const value of [0, 1.5, -1]) {
      assert.throws(() => createApp({ secretKey: "s", shutdownConcurrency: value }), {
        name: "RangeError",
        message: `createApp: shutdownConcurrency must be an integer >= 1, got ${value}`,
      });
    }
  });

  it("listen({ workers }) refuses a count below 1 and memory adapters with more than one", async () => {
    const served = app();
    await assert.rejects(served.listen({ workers: 0 }), {
      name: "RangeError",
      message: "listen: workers must be an integer >= 1, got 0",
    });
    // The state backend is passed in (still memory): only what is in memory is named.
    await assert.rejects(served.listen({ workers: 3 }), {
      message:
        "listen: workers: 3 needs shared state, but sessions, rate limits, view snapshots, pub/sub are kept in each process's memory: a view could not reconnect to another worker, a login on one worker would be unknown to the others and rate limits would not be shared. Set REDIS_URL (or createApp({ redis: url })), or use workers: 1.",
    });
    await served.close();
  });
});
