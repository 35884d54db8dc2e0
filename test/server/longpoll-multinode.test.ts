/**
 * Long-poll without sticky sessions (DESIGN §7), with real processes and a real `redis-server`:
 * every request of one browser goes to the other node than the one before, as behind a
 * round-robin load balancer. The node that opened the session runs its view; the other relays
 * polls and frames to it over Redis pub/sub. When the owner is killed, the session is gone
 * (410, the client's cue to rejoin) and the rejoin on the survivor restores the acknowledged
 * state from the snapshot.
 */
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { findRedisServer, REDIS_MISSING, startRedis, type TestRedis } from "../support/redis.js";
import { loadPage, response, type Msg, type PageInfo } from "../live/helpers.js";
import { LongPollClient, longPollRequest } from "../support/longpoll-client.js";
import { startNode, stopNode, type AppNode } from "../support/nodes.js";

const skip = findRedisServer() ? undefined : REDIS_MISSING;
const APP = resolve(import.meta.dirname, "../fixtures/multinode-app.ts");

/** The count an event reply acknowledges (`inc` returns it), or `null` when it failed. */
function acknowledged(reply: Msg): number | null {
  const diff = response(reply).diff as { r?: { value?: unknown }; e?: unknown } | undefined;
  if (reply.payload.status !== "ok" || diff?.e !== undefined) return null;
  return typeof diff?.r?.value === "number" ? diff.r.value : null;
}

function kill(node: AppNode): Promise<void> {
  return new Promise((resolve) => {
    node.child.once("exit", () => resolve());
    node.child.kill("SIGKILL");
  });
}

/** Opens a session on `survivor` and rejoins `page`: the count and pid the view restored. */
async function rejoin(
  survivor: AppNode,
  page: PageInfo,
): Promise<{ count: number; mountedBy: number }> {
  const client = new LongPollClient([survivor.url], page.cookie);
  await client.open();
  try {
    const reply = await client.join(page, survivor.url);
    assert.equal(reply.payload.status, "ok", JSON.stringify(reply.payload));
    const rendered = response(reply).rendered as Record<string, unknown>;
    return { count: Number(rendered["0"]), mountedBy: Number(rendered["1"]) };
  } finally {
    client.stop();
  }
}

describe("long-poll across two nodes without sticky sessions", { skip }, () => {
  let redis: TestRedis | undefined;
  let survivor: AppNode | undefined;
  let env: Record<string, string>;

  before(async () => {
    const started = await startRedis();
    if ("skip" in started) throw new Error(started.skip);
    redis = started;
    env = {
      REDIS_URL: started.url,
      DJUST_SECRET_KEY: "longpoll-shared-secret",
      // One client sends the 50 events (and the stream) faster than the default burst allows.
      TEST_EVENT_BURST: "500",
    };
    survivor = await startNode("survivor", APP, env);
  });

  after(async () => {
    await stopNode(survivor);
    await redis?.stop();
  });

  it("join and 50 events alternating between the nodes: every reply correct and in order; SIGKILL of the owner: 410, the rejoin restores the acknowledged state", async (t) => {
    const owner = await startNode("owner", APP, env);
    const logs = () => `\n--- owner ---\n${owner.stderr}\n--- survivor ---\n${survivor!.stderr}`;
    try {
      const page = await loadPage(`${owner.url}/`);
      assert.equal(page.status, 200);
      // The first request (the open) goes to the owner, every next one to the other node.
      const client = new LongPollClient([owner.url, survivor!.url], page.cookie);
      await client.open();
      const joined = await client.join(page, owner.url);
      assert.equal(joined.payload.status, "ok", JSON.stringify(joined.payload) + logs());
      assert.equal((response(joined).rendered as Record<string, unknown>)["0"], "0");

      // 50 events one after another, each reply before the next event.
      const values: (number | null)[] = [];
      for (let i = 0; i < 50; i++)
        values.push(acknowledged(await client.event(page, "click", "inc", {})));
      assert.deepEqual(
        values,
        Array.from({ length: 50 }, (_, i) => i + 1),
        logs(),
      );
      // 50 more at once: the client batches them; the replies come back in the order sent.
      const batch = Array.from({ length: 50 }, () => client.event(page, "click", "inc", {}));
      const replies = await Promise.all(batch);
      assert.deepEqual(
        replies.map(acknowledged),
        Array.from({ length: 50 }, (_, i) => 51 + i),
      );
      const refs = replies.map((r) => Number(r.ref));
      assert.deepEqual(
        refs,
        [...refs].sort((x, y) => x - y),
      );
      const relayed = client.served.filter((base) => base === survivor!.url).length;
      t.diagnostic(
        `requests: ${client.served.length}, ${relayed} of them relayed by the other node`,
      );
      assert.ok(
        relayed >= client.served.length / 2 - 1,
        "every other request went to the other node",
      );
      assert.ok(relayed >= 25, `relayed ${relayed}`);

      // A poll relayed by the survivor and held by the owner when the owner is SIGKILLed.
      client.stop();
      const url = `${survivor!.url}/djust/live/longpoll?vsn=2.0.0&token=${encodeURIComponent(client.token!)}`;
      const held = longPollRequest(url, { method: "GET", cookie: page.cookie });
      await kill(owner);
      const started = performance.now();
      // The survivor sees nobody listens for the owner any more and answers 410 (session_gone:
      // the official client reconnects and rejoins) without waiting for the poll window.
      assert.deepEqual(await held, { status: 200, body: { status: 410 } });
      t.diagnostic(
        `the held poll answered 410 ${Math.round(performance.now() - started)} ms after the kill`,
      );
      const posted = await longPollRequest(url, { method: "POST", cookie: page.cookie, body: "" });
      assert.deepEqual(posted.body, { status: 410 });

      // The rejoin (a new session on the survivor) restores the acknowledged 100, not a mount.
      const restored = await rejoin(survivor!, page);
      assert.deepEqual(restored, { count: 100, mountedBy: owner.pid }, logs());
    } finally {
      await stopNode(owner);
    }
  });

  it("SIGKILL of the owner during a stream of events relayed through the other node: 0 acknowledged events lost over 3 trials", async (t) => {
    const outcomes: { acked: number; restored: number; sent: number }[] = [];
    for (let trial = 0; trial < 3; trial++) {
      const owner = await startNode(`owner ${trial}`, APP, env);
      try {
        const page = await loadPage(`${owner.url}/`);
        const client = new LongPollClient([owner.url, survivor!.url], page.cookie);
        await client.open();
        assert.equal((await client.join(page, owner.url)).payload.status, "ok");
        let acked = 0;
        let sent = 0;
        const stream = setInterval(() => {
          sent++;
          client.event(page, "click", "inc", {}).then(
            (reply) => (acked = Math.max(acked, acknowledged(reply) ?? 0)),
            () => undefined, // no reply: the owner died first
          );
        }, 20);
        // Kill at a different moment of each trial, while events are in flight.
        await new Promise((r) => setTimeout(r, 400 + trial * 130));
        await kill(owner);
        clearInterval(stream);
        client.stop();
        const restored = await rejoin(survivor!, page);
        assert.equal(restored.mountedBy, owner.pid, "restored, not mounted again");
        outcomes.push({ acked, restored: restored.count, sent });
      } finally {
        await stopNode(owner);
      }
    }
    t.diagnostic(`acknowledged / restored / sent per trial: ${JSON.stringify(outcomes)}`);
    for (const { acked, restored, sent } of outcomes) {
      assert.ok(acked > 0, `events were acknowledged: ${JSON.stringify(outcomes)}`);
      assert.ok(
        restored >= acked && restored <= sent,
        `lost acknowledged events: ${JSON.stringify(outcomes)}`,
      );
    }
  });
});
