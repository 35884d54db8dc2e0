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
import { createApp } from "../../src/server/index.js";
import { liveTransportOf } from "../../src/server/live.js";
import { MemoryStateBackend } from "../../src/state/backends/memory.js";
import { loadPage, memoryLogger, RawClient, response } from "../live/helpers.js";

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

function app(backend = new MemoryStateBackend()) {
  const served = createApp({
    secretKey: "drain-secret",
    logger: memoryLogger(),
    stateBackend: backend,
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
