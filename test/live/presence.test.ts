/**
 * Presence: `track` / `untrack` / `presenceList` and `presence_diff` in `handleInfo` — two tabs
 * on one app, two app processes on one real redis-server (and a SIGKILLed node's entries
 * leaving within `presenceTimeoutMs`), entries leaving with their view, and the limits.
 */
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  LiveView,
  eventHandler,
  html,
  presenceList,
  type PresenceDiff,
  type Rendered,
} from "../../src/index.js";
import { Presence, PRESENCE_DEFAULTS } from "../../src/presence/tracker.js";
import { MemoryPubSub } from "../../src/pubsub/memory.js";
import { createApp, type RunningServer } from "../../src/server/index.js";
import { LiveViewTestClient } from "../../src/testing/index.js";
import { RoomView } from "../fixtures/presence-room.js";
import { startNode, stopNode, type AppNode } from "../support/nodes.js";
import { findRedisServer, REDIS_MISSING, startRedis, type TestRedis } from "../support/redis.js";
import { loadPage, memoryLogger, RawClient, response, type Msg } from "./helpers.js";

/** The viewers a frame (join reply or pushed diff) shows: the room template's one slot. */
function viewersIn(msg: Msg): string | undefined {
  const rendered = (response(msg).rendered ?? msg.payload) as Record<string, unknown>;
  const slot = rendered["0"];
  return typeof slot === "string" ? slot : undefined;
}

/** Opens `/room/?name=` on `url` and joins it; resolves with the client and its join reply. */
async function enter(url: string, name: string) {
  const page = await loadPage(`${url}/room/?name=${name}`);
  const client = await RawClient.connect(url, { cookie: page.cookie });
  const joined = await client.join(page, url, { url: `${url}/room/?name=${name}` });
  assert.equal(joined.payload.status, "ok", JSON.stringify(joined.payload));
  return { client, joined, page };
}

/** The next diff pushed to `client` whose viewers are `expected`. */
function pushedViewers(client: RawClient, expected: string, timeoutMs = 10_000) {
  return client.next((m) => m.event === "diff" && viewersIn(m) === expected, timeoutMs);
}

describe("presence: two tabs on one app", () => {
  let server: RunningServer;
  before(async () => {
    const app = createApp({ secretKey: "presence", logger: memoryLogger(), redis: false });
    app.live("/room/", RoomView);
    server = await app.listen(0, "127.0.0.1");
  });
  after(() => server.close());

  it("each tab sees the other arrive and leave", async () => {
    const alice = await enter(server.url, "alice");
    assert.equal(viewersIn(alice.joined), "alice");
    const bob = await enter(server.url, "bob");
    assert.equal(viewersIn(bob.joined), "alice,bob", "bob's first render lists alice");
    await pushedViewers(alice.client, "alice,bob");
    bob.client.close();
    await pushedViewers(alice.client, "alice");
    alice.client.close();
  });

  it("the page's dead render lists who is already there", async () => {
    const carol = await enter(server.url, "carol");
    const page = await loadPage(`${server.url}/room/?name=dave`);
    assert.match(page.html, /viewers: carol</);
    carol.client.close();
  });
});

class TrackerView extends LiveView {
  @eventHandler({ params: "any" })
  join(params: { topic: string; key: string; name?: string }) {
    return { tracked: this.track(params.topic, params.key, { name: params.name ?? "" }) };
  }

  @eventHandler({ params: "any" })
  leave(params: { topic: string; key?: string }) {
    this.untrack(params.topic, params.key);
  }

  @eventHandler({ params: "any" })
  list(params: { topic: string }) {
    return presenceList(this, params.topic);
  }

  diffs: PresenceDiff[] = [];

  override handleInfo(message: unknown) {
    this.diffs.push(message as PresenceDiff);
  }

  override render(): Rendered {
    return html`<p>${String(this.diffs.length)}</p>`;
  }
}

const until = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check(), what);
};

describe("presence through the test client", () => {
  it("diffs carry joins and leaves with their metas; track again replaces the meta", async () => {
    const pubsub = new MemoryPubSub();
    const a = await LiveViewTestClient.mount(TrackerView, { deadRender: false, pubsub });
    const b = await LiveViewTestClient.mount(TrackerView, { deadRender: false, pubsub });
    await a.view.subscribe("t");
    assert.deepEqual((await b.click("join", { topic: "t", key: "u1", name: "Bo" })).reply, {
      tracked: true,
    });
    await until(() => (a.assigns.diffs as unknown[]).length === 1, "a got the join");
    const [join] = a.assigns.diffs as unknown as PresenceDiff[];
    assert.equal(join?.event, "presence_diff");
    assert.equal(join?.topic, "t");
    assert.deepEqual(join?.leaves, {});
    const ref = join?.joins.u1?.metas[0]?.phx_ref;
    assert.equal(typeof ref, "string");
    assert.deepEqual(join?.joins, { u1: { metas: [{ name: "Bo", phx_ref: ref }] } });
    // Both nodes (one per client, sharing a pub/sub) list it.
    assert.deepEqual((await a.click("list", { topic: "t" })).reply, join?.joins);
    assert.deepEqual((await b.click("list", { topic: "t" })).reply, join?.joins);
    // Again: the old meta leaves, the new one joins.
    await b.click("join", { topic: "t", key: "u1", name: "Bob" });
    await until(() => (a.assigns.diffs as unknown[]).length >= 3, "a got leave + join");
    const listed = (await a.click("list", { topic: "t" })).reply as Record<
      string,
      { metas: { name: string }[] }
    >;
    assert.deepEqual(
      listed.u1?.metas.map((m) => m.name),
      ["Bob"],
    );
    await b.click("leave", { topic: "t" });
    await until(
      () => (a.assigns.diffs as unknown as PresenceDiff[]).at(-1)?.leaves.u1 !== undefined,
      "left",
    );
    assert.deepEqual((await a.click("list", { topic: "t" })).reply, {});
    await a.close();
    await b.close();
  });

  it("a view's entries leave when it ends", async () => {
    const pubsub = new MemoryPubSub();
    const watcher = await LiveViewTestClient.mount(TrackerView, { deadRender: false, pubsub });
    await watcher.view.subscribe("room");
    const visitor = await LiveViewTestClient.mount(TrackerView, { deadRender: false, pubsub });
    await visitor.click("join", { topic: "room", key: "v" });
    await visitor.click("join", { topic: "other", key: "v" });
    await until(() => Object.keys(watcherList(watcher)).length === 1, "joined");
    await visitor.close();
    await until(
      () => (watcher.assigns.diffs as unknown as PresenceDiff[]).at(-1)?.leaves.v !== undefined,
      "left on close",
    );
    assert.deepEqual((await watcher.click("list", { topic: "room" })).reply, {});
    assert.deepEqual((await watcher.click("list", { topic: "other" })).reply, {});
    await watcher.close();
  });

  it("refuses entries over the per-view limit and outside a connected view", async () => {
    const logger = memoryLogger();
    const view = await LiveViewTestClient.mount(TrackerView, { deadRender: false, logger });
    for (let i = 0; i < 20; i++) {
      assert.deepEqual((await view.click("join", { topic: "t", key: `k${i}` })).reply, {
        tracked: true,
      });
    }
    assert.deepEqual((await view.click("join", { topic: "t", key: "k20" })).reply, {
      tracked: false,
    });
    assert.ok(
      logger.lines.some((l) => l.message === "TrackerView: presence entry refused (20 per view)"),
    );
    // Tracking a key it holds already replaces it, within the limit.
    assert.deepEqual((await view.click("join", { topic: "t", key: "k3" })).reply, {
      tracked: true,
    });
    await view.close();
    assert.equal(new TrackerView().track("t", "k"), false, "no app, no presence");
    assert.throws(() => new TrackerView().track("", "k"), {
      name: "TypeError",
      message: "track(topic, key, meta): topic and key must be non-empty strings",
    });
  });

  it("refuses entries over the per-topic limit, all views together", async () => {
    const logger = memoryLogger();
    const app = createApp({
      secretKey: "limits",
      logger,
      redis: false,
      limits: { presencesPerTopic: 3 },
    });
    app.live("/room/", RoomView);
    const server = await app.listen(0, "127.0.0.1");
    try {
      const tabs = [];
      for (const name of ["a", "b", "c", "d"]) tabs.push(await enter(server.url, name));
      assert.equal(viewersIn(tabs[3]!.joined), "a,b,c", "the fourth was refused");
      assert.ok(
        logger.lines.some((l) => l.message === 'presence: "room" is full; an entry was refused'),
      );
      for (const tab of tabs) tab.client.close();
    } finally {
      await server.close();
    }
  });
});

/** Tracks `count` keys on "room" from its connected mount, and shows how many were accepted. */
class MountTracker extends LiveView {
  accepted: boolean[] = [];
  override mount() {
    for (let i = 0; i < 25; i++) this.accepted.push(this.track("room", `k${i}`));
    // Again a key it tracked: a replacement, within the limit.
    this.accepted.push(this.track("room", "k0"));
  }
  override render(): Rendered {
    return html`<p>${this.accepted.filter(Boolean).length}</p>`;
  }
}

describe("presence tracked by a connected mount", () => {
  it("answers as the view's own track would: false over the per-view limit", async () => {
    const logger = memoryLogger();
    const view = await LiveViewTestClient.mount(MountTracker, { deadRender: false, logger });
    try {
      const accepted = view.assigns.accepted as boolean[];
      assert.deepEqual(accepted.slice(0, 20), Array(20).fill(true));
      assert.deepEqual(accepted.slice(20, 25), Array(5).fill(false));
      assert.equal(accepted[25], true, "a key it holds is replaced");
      assert.equal(Object.keys(presenceList(view.view, "room")).length, 20);
      const refusals = logger.lines.filter(
        (l) => l.message === "MountTracker: presence entry refused (20 per view)",
      );
      assert.equal(refusals.length, 5, "each refusal logged once, not again at the replay");
    } finally {
      await view.close();
    }
  });

  it("answers false over the per-topic limit", async () => {
    const logger = memoryLogger();
    const pubsub = new MemoryPubSub();
    const presence = new Presence(pubsub, {
      timeoutMs: PRESENCE_DEFAULTS.timeoutMs,
      maxPerTopic: 3,
      logger,
    });
    const view = await LiveViewTestClient.mount(MountTracker, {
      deadRender: false,
      logger,
      pubsub,
      presence,
    });
    try {
      const accepted = view.assigns.accepted as boolean[];
      assert.deepEqual(accepted.slice(0, 4), [true, true, true, false]);
      assert.equal(accepted.filter(Boolean).length, 4, "three keys, and k0 again");
      assert.ok(
        logger.lines.some((l) => l.message === 'presence: "room" is full; an entry was refused'),
      );
    } finally {
      await view.close();
      presence.close();
    }
  });
});

function watcherList(view: LiveViewTestClient): Record<string, unknown> {
  return presenceList(view.view, "room");
}

const skip = findRedisServer() ? undefined : REDIS_MISSING;
const NODE = resolve(import.meta.dirname, "../fixtures/presence-node.ts");
// Generous for a loaded machine: heartbeats every 2 s, a node silent for 4 s is dropped.
const TIMEOUT_MS = 8000;

describe("presence across two processes on one redis-server", { skip }, () => {
  let redis: TestRedis;
  let node1: AppNode | undefined;
  let node2: AppNode | undefined;

  before(async () => {
    const started = await startRedis();
    if ("skip" in started) throw new Error(started.skip);
    redis = started;
    const env = {
      ...process.env,
      REDIS_URL: redis.url,
      DJUST_SECRET_KEY: "presence-nodes",
      PRESENCE_TIMEOUT_MS: String(TIMEOUT_MS),
    } as Record<string, string>;
    [node1, node2] = await Promise.all([
      startNode("node 1", NODE, env),
      startNode("node 2", NODE, env),
    ]);
  });
  after(async () => {
    await Promise.all([stopNode(node1), stopNode(node2)]);
    await redis?.stop();
  });

  it("each node's visitors see the other's; a SIGKILLed node's leave within presenceTimeoutMs", async (t) => {
    const alice = await enter(node1!.url, "alice");
    const bob = await enter(node2!.url, "bob");
    // Replication between nodes is asynchronous: node 2 lists alice in bob's join reply, or,
    // when her join was still on its way (a loaded machine), in a diff soon after.
    if (viewersIn(bob.joined) !== "alice,bob") await pushedViewers(bob.client, "alice,bob");
    await pushedViewers(alice.client, "alice,bob");
    const killed = Date.now();
    node2!.child.kill("SIGKILL");
    await pushedViewers(alice.client, "alice", TIMEOUT_MS * 3);
    const elapsed = Date.now() - killed;
    t.diagnostic(`presence: a SIGKILLed node's entry left after ${elapsed} ms`);
    assert.ok(
      elapsed <= TIMEOUT_MS,
      `bob left after ${elapsed} ms (presenceTimeoutMs ${TIMEOUT_MS})`,
    );
    alice.client.close();
    bob.client.close();
  });
});
