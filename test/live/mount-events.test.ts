/**
 * Client events `mount` pushes during the dead render (`pushEvent`): the page load has no
 * connection to send them on, so its snapshot keeps them and the first join's reply carries
 * them (`e`), before the events of `joined`; the join's own snapshot drops them, so a reconnect
 * does not send them again. Against the memory backend and a real redis-server.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { html, LiveView, type Rendered } from "../../src/index.js";
import { ServiceUnavailable } from "../../src/errors.js";
import type { PubSub } from "../../src/pubsub/types.js";
import { MemoryStateBackend } from "../../src/state/backends/memory.js";
import { RedisStateBackend } from "../../src/state/backends/redis.js";
import type { StateBackend } from "../../src/state/backends/types.js";
import { LiveViewTestClient } from "../../src/testing/index.js";
import { describeWithRedis } from "../support/redis.js";
import { serveLive, type LiveServer } from "../support/live-server.js";
import { loadPage, memoryLogger, RawClient, response, type PageInfo } from "./helpers.js";

class ChartView extends LiveView {
  points: number[] = [];

  override mount(): void {
    this.points = [1, 2, 3];
    this.pushEvent("chart:init", { points: this.points });
  }

  override joined(): void {
    this.pushEvent("chart:live", {});
  }

  override render(): Rendered {
    return html`<p>${this.points.length} points</p>`;
  }
}

/** `read()` once `done` holds for it, or its last result after 2 s. */
async function written<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 2000;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Joins `page`'s view on a socket of its own: the socket and the reply's rendered tree. */
async function join(live: LiveServer, page: PageInfo) {
  const client = live.track(await RawClient.connect(live.url, { cookie: page.cookie }));
  const reply = await client.join(page, live.url);
  assert.equal(reply.payload.status, "ok", JSON.stringify(reply.payload));
  return { client, rendered: response(reply).rendered as Record<string, unknown> };
}

function cases(live: LiveServer, backend: () => StateBackend) {
  it("sends the dead render's events with the first join only", async () => {
    const page = await loadPage(`${live.url}/`);
    assert.deepEqual((await backend().get(page.id))?.events, [
      ["chart:init", { points: [1, 2, 3] }],
    ]);
    const first = await join(live, page);
    assert.deepEqual(first.rendered.e, [
      ["chart:init", { points: [1, 2, 3] }],
      ["chart:live", {}],
    ]);
    // Saved soon after the join, without waiting for an event or the close.
    const joinedRecord = await written(
      () => backend().get(page.id),
      (record) => !record?.events,
    );
    assert.equal(joinedRecord?.events, undefined, "the join's snapshot holds no events");
    first.client.close();
    await first.client.closed();
    // The server saves the view as it notices the close: wait for that write.
    const stored = await written(
      () => backend().get(page.id),
      (record) => !record?.events,
    );
    assert.ok(stored, "closing saved the snapshot");
    assert.equal(stored.events, undefined, "the join's snapshot holds no events");

    // A reconnect: `joined` pushes again, the dead render's event is not sent twice.
    const again = await join(live, page);
    assert.deepEqual(again.rendered.e, [["chart:live", {}]]);
  });

  it("sends only the well-formed entries of a stored record's events", async () => {
    const page = await loadPage(`${live.url}/`);
    const stored = await backend().get(page.id);
    assert.ok(stored);
    const events = [["ok", 1], [3, "not a name"], "junk", ["three", 1, 2]] as unknown as [
      string,
      unknown,
    ][];
    await backend().set(page.id, { ...stored, events }, 60);
    const { rendered } = await join(live, page);
    assert.deepEqual(rendered.e, [
      ["ok", 1],
      ["chart:live", {}],
    ]);
  });
}

describe("events pushed by the dead render's mount (memory backend)", () => {
  const live = serveLive({}, (app) => {
    app.live("/", ChartView);
  });
  cases(live, () => live.backend);

  it("reach the test client's pushed events", async () => {
    const client = await LiveViewTestClient.mount(ChartView);
    try {
      assert.equal(client.restored, true);
      assert.deepEqual(client.pushedEvents, [
        ["chart:init", { points: [1, 2, 3] }],
        ["chart:live", {}],
      ]);
    } finally {
      await client.close();
    }
  });
});

void describeWithRedis("events pushed by the dead render's mount (Redis backend)", (redis) => {
  let backend: RedisStateBackend | undefined;
  const live = serveLive(
    {
      get stateBackend() {
        // Its log kept apart: the suite stops redis-server before the app saves its open views.
        return (backend ??= new RedisStateBackend({ url: redis.url, logger: memoryLogger() }));
      },
    },
    (app) => {
      app.live("/", ChartView);
    },
  );
  after(() => backend?.close());
  cases(live, () => {
    if (!backend) throw new Error("the app has not started");
    return backend;
  });
});

/** Temporary assigns make a restore run mount again, which pushes its events anew. */
class TickerChartView extends ChartView {
  static override temporaryAssigns = { points: [] };
}

describe("events pushed by a mount that a restore runs again", () => {
  const live = serveLive({}, (app) => {
    app.live("/", TickerChartView);
  });

  it("are sent once, from the join's own mount", async () => {
    const page = await loadPage(`${live.url}/`);
    assert.deepEqual((await join(live, page)).rendered.e, [
      ["chart:init", { points: [1, 2, 3] }],
      ["chart:live", {}],
    ]);
  });
});

class BigChartView extends ChartView {
  override mount(): void {
    super.mount();
    this.pushEvent("chart:total", { total: 10n ** 20n });
  }
}

describe("an event pushed by the dead render's mount that is not JSON", () => {
  const live = serveLive({}, (app) => {
    app.live("/", BigChartView);
  });

  it("is dropped with a warning; the snapshot and the other events are kept", async () => {
    const page = await loadPage(`${live.url}/`);
    assert.equal(page.status, 200);
    const stored = await live.backend.get(page.id);
    assert.deepEqual(stored?.state, { points: [1, 2, 3] });
    assert.deepEqual(stored?.events, [["chart:init", { points: [1, 2, 3] }]]);
    assert.deepEqual(
      live.logger.lines.filter((line) => line.level === "warn").map((line) => line.message),
      [
        'BigChartView pushed "chart:total" during the page load with a payload that is not ' +
          "JSON (TypeError: Do not know how to serialize a BigInt): it is dropped",
      ],
    );
    assert.deepEqual((await join(live, page)).rendered.e, [
      ["chart:init", { points: [1, 2, 3] }],
      ["chart:live", {}],
    ]);
  });
});

class SubscribedChartView extends ChartView {
  override mount(): void {
    super.mount();
    this.subscribe("charts");
  }
}

describe("a join refused after the restore (its topic cannot be subscribed)", () => {
  it("leaves the page's record and its events for the retry", async () => {
    const backend = new MemoryStateBackend();
    const pubsub: PubSub = {
      subscribe: () => Promise.reject(new ServiceUnavailable("the pub/sub did not answer")),
      publish: () => undefined,
    };
    await assert.rejects(
      LiveViewTestClient.mount(SubscribedChartView, { stateBackend: backend, pubsub, id: "v1" }),
      ServiceUnavailable,
    );
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.deepEqual((await backend.get("v1"))?.events, [["chart:init", { points: [1, 2, 3] }]]);
  });
});
