/**
 * Crash durability with real processes and a real `redis-server` (DESIGN §7): with the Redis
 * state backend an event's reply leaves only after its state is stored (`durability:
 * "reply"`), so a node killed with SIGKILL loses no acknowledged event — the browser's rejoin on
 * another node restores exactly the state its last reply showed.
 */
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { findRedisServer, REDIS_MISSING, startRedis, type TestRedis } from "../support/redis.js";
import { loadPage, RawClient, response, type Msg, type PageInfo } from "../live/helpers.js";
import { startNode, stopNode, type AppNode } from "../support/nodes.js";

const skip = findRedisServer() ? undefined : REDIS_MISSING;
const APP = resolve(import.meta.dirname, "../fixtures/multinode-app.ts");

/** The count an event reply acknowledges (`inc` returns it), or `null` when it failed. */
function acknowledged(reply: Msg): number | null {
  const diff = response(reply).diff as { r?: { value?: unknown }; e?: unknown } | undefined;
  if (reply.payload.status !== "ok" || diff?.e !== undefined) return null;
  return typeof diff?.r?.value === "number" ? diff.r.value : null;
}

/** Joins `page` on `node` and returns the count it restored. */
async function countOn(node: AppNode, page: PageInfo): Promise<number> {
  const client = await RawClient.connect(node.url, { cookie: page.cookie });
  try {
    const reply = await client.join(page, node.url);
    assert.equal(reply.payload.status, "ok", JSON.stringify(reply.payload));
    const rendered = response(reply).rendered as Record<string, unknown>;
    return Number(rendered["0"]);
  } finally {
    client.close();
  }
}

function kill(node: AppNode): Promise<void> {
  return new Promise((resolve) => {
    node.child.once("exit", () => resolve());
    node.child.kill("SIGKILL");
  });
}

describe("SIGKILL of a node loses no acknowledged event (durability: reply)", { skip }, () => {
  let redis: TestRedis | undefined;
  let survivor: AppNode | undefined;
  let env: Record<string, string>;

  before(async () => {
    const started = await startRedis();
    if ("skip" in started) throw new Error(started.skip);
    redis = started;
    env = { REDIS_URL: started.url, DJUST_SECRET_KEY: "durability-shared-secret" };
    survivor = await startNode("survivor", APP, env);
  });

  after(async () => {
    await stopNode(survivor);
    await redis?.stop();
  });

  it("killed right after an acknowledged event: the other node restores that exact state", async () => {
    const victim = await startNode("victim", APP, env);
    try {
      const page = await loadPage(`${victim.url}/`);
      const client = await RawClient.connect(victim.url, { cookie: page.cookie });
      assert.equal((await client.join(page, victim.url)).payload.status, "ok");
      let last: number | null = null;
      for (let i = 0; i < 3; i++) last = acknowledged(await client.event(page, "click", "inc", {}));
      assert.equal(last, 3);
      await kill(victim);
      client.close();
      assert.equal(await countOn(survivor!, page), 3);
    } finally {
      await stopNode(victim);
    }
  });

  it("killed during a 50 events/s stream: 0 acknowledged events lost over 5 trials", async (t) => {
    const outcomes: { acked: number; restored: number; sent: number }[] = [];
    for (let trial = 0; trial < 5; trial++) {
      const victim = await startNode(`victim ${trial}`, APP, env);
      try {
        const page = await loadPage(`${victim.url}/`);
        const client = await RawClient.connect(victim.url, { cookie: page.cookie });
        assert.equal((await client.join(page, victim.url)).payload.status, "ok");
        let acked = 0;
        let sent = 0;
        const stream = setInterval(() => {
          sent++;
          client.event(page, "click", "inc", {}).then(
            (reply) => (acked = Math.max(acked, acknowledged(reply) ?? 0)),
            () => undefined, // no reply: the node died first
          );
        }, 20);
        // Kill at a different moment of each trial, while events are in flight.
        await new Promise((r) => setTimeout(r, 400 + trial * 90));
        await kill(victim);
        clearInterval(stream);
        client.close();
        const restored = await countOn(survivor!, page);
        outcomes.push({ acked, restored, sent });
      } finally {
        await stopNode(victim);
      }
    }
    t.diagnostic(`acknowledged / restored / sent per trial: ${JSON.stringify(outcomes)}`);
    for (const { acked, restored, sent } of outcomes) {
      assert.ok(acked > 0, `events were acknowledged: ${JSON.stringify(outcomes)}`);
      // Everything acknowledged is there; at most the events in flight beyond it.
      assert.ok(
        restored >= acked && restored <= sent,
        `lost acknowledged events: ${JSON.stringify(outcomes)}`,
      );
    }
  });

  it("rows edited by deltas: the other node restores exactly the rows of the last reply", async () => {
    const victim = await startNode("victim rows", APP, env);
    try {
      const page = await loadPage(`${victim.url}/rows/`);
      const client = await RawClient.connect(victim.url, { cookie: page.cookie });
      assert.equal((await client.join(page, victim.url)).payload.status, "ok");
      const rows = Array.from({ length: 1000 }, (_, i) => ({ id: i, qty: 0 }));
      for (let k = 0; k < 40; k++) {
        const i = (k * 37) % 1000;
        let reply: Msg;
        if (k % 10 === 3) {
          reply = await client.event(page, "click", "add", {});
          rows.push({ id: rows.length, qty: 1 });
        } else if (k % 10 === 7) {
          reply = await client.event(page, "click", "drop", { i });
          rows.splice(i % rows.length, 1);
        } else {
          reply = await client.event(page, "click", "bump", { i });
          rows[i % rows.length]!.qty++;
        }
        assert.equal(acknowledged(reply), rows.length, JSON.stringify(reply.payload));
      }
      await kill(victim);
      client.close();
      const again = await RawClient.connect(survivor!.url, { cookie: page.cookie });
      try {
        const reply = await again.join(page, survivor!.url);
        assert.equal(reply.payload.status, "ok", JSON.stringify(reply.payload));
        const rendered = response(reply).rendered as Record<string, unknown>;
        assert.equal(rendered["0"], rows.map((r) => `${r.id}:${r.qty}`).join(" "));
      } finally {
        again.close();
      }
    } finally {
      await stopNode(victim);
    }
  });
});
