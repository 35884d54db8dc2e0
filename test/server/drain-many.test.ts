/**
 * SIGTERM of a node holding many joined views (real WebSockets, a real `redis-server`): a view
 * whose stored snapshot is current writes nothing when it closes, the views that have something
 * to store are saved `shutdownSaveConcurrency` connections at a time instead of all at once, so
 * no save runs past `redisTimeoutMs`, the node exits within `shutdownTimeoutMs`, and every view
 * restores on the next node.
 */
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { createClient } from "redis";
import { findRedisServer, REDIS_MISSING, startRedis, type TestRedis } from "../support/redis.js";
import { loadPage, RawClient, response, type PageInfo } from "../live/helpers.js";
import { startNode, stopNode, type AppNode } from "../support/nodes.js";

const skip = findRedisServer() ? undefined : REDIS_MISSING;
const APP = resolve(import.meta.dirname, "../fixtures/multinode-app.ts");
const VIEWS = 1000;
/** Every 10th view gets events; with `durability: "behind"` they are unsaved at the SIGTERM. */
const BUSY_EVERY = 10;

/** The rendered count and mounting pid of a join reply. */
function shown(rendered: Record<string, unknown>): { count: number; mountedBy: number } {
  return { count: Number(rendered["0"]), mountedBy: Number(rendered["1"]) };
}

/** Runs `work` over `items`, `width` at a time. */
async function pooled<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: width }, lane));
}

/**
 * Snapshot writes Redis ran since the last `CONFIG RESETSTAT`: a whole record is a
 * MULTI/EXEC, an incremental one a script (an EVALSHA refused with NOSCRIPT is sent again as
 * EVAL).
 */
async function snapshotWrites(probe: ReturnType<typeof createClient>): Promise<number> {
  const info = String(await probe.sendCommand(["INFO", "commandstats"]));
  const stat = (name: string, field: string) =>
    Number(new RegExp(`cmdstat_${name}:.*\\b${field}=(\\d+)`).exec(info)?.[1] ?? 0);
  return (
    stat("exec", "calls") +
    stat("eval", "calls") +
    stat("evalsha", "calls") -
    stat("evalsha", "failed_calls")
  );
}

for (const durability of ["reply", "behind"] as const) {
  describe(`SIGTERM with ${VIEWS} joined views (durability: ${durability})`, { skip }, () => {
    let redis: TestRedis | undefined;
    let probe: ReturnType<typeof createClient> | undefined;
    let env: Record<string, string>;
    let first: AppNode | undefined;
    let next: AppNode | undefined;

    before(async () => {
      const started = await startRedis();
      if ("skip" in started) throw new Error(started.skip);
      redis = started;
      probe = createClient({ url: started.url });
      await probe.connect();
      env = {
        PATH: process.env.PATH ?? "",
        REDIS_URL: started.url,
        DJUST_SECRET_KEY: "drain-many-secret",
        ...(durability === "behind" && { TEST_DURABILITY: "behind" }),
      };
    });

    after(async () => {
      await stopNode(first);
      await stopNode(next);
      await probe?.close();
      await redis?.stop();
    });

    it("idle views write nothing, the rest are saved in bounded batches, no save fails, and every view restores", async () => {
      first = await startNode("first", APP, env);
      const views: { page: PageInfo; client: RawClient; count: number }[] = [];
      await pooled(
        Array.from({ length: VIEWS }, (_, i) => i),
        16,
        async (i) => {
          const page = await loadPage(`${first!.url}/`);
          const client = await RawClient.connect(first!.url, { cookie: page.cookie });
          const joined = await client.join(page, first!.url);
          assert.equal(joined.payload.status, "ok", JSON.stringify(joined.payload));
          views.push({ page, client, count: i % BUSY_EVERY === 0 ? 1 + (i % 3) : 0 });
        },
      );
      await probe!.sendCommand(["CONFIG", "RESETSTAT"]);
      // The busy views' events right before the signal: with "behind" most are not stored yet.
      const busy = views.filter((view) => view.count > 0);
      await Promise.all(
        busy.map(async ({ client, page, count }) => {
          for (let n = 0; n < count; n++) {
            const reply = await client.event(page, "click", "inc", {});
            assert.equal(reply.payload.status, "ok", JSON.stringify(reply.payload));
          }
        }),
      );
      const beforeDrain = await snapshotWrites(probe!);
      await probe!.sendCommand(["CONFIG", "RESETSTAT"]);

      const closed = Promise.all(views.map((view) => view.client.closed()));
      const signalled = Date.now();
      const exited = new Promise<number | null>((done) =>
        first!.child.once("exit", (code) => done(code)),
      );
      first.child.kill("SIGTERM");
      const code = await exited;
      const tookMs = Date.now() - signalled;
      const codes = await closed;

      assert.equal(code, 0, first.stderr);
      assert.doesNotMatch(first.stderr, /failed|not closed within/, first.stderr);
      // shutdownTimeoutMs (10 s by default) bounds the drain; the rest is the process exiting.
      assert.ok(tookMs < 10_000 + 3000, `exited ${tookMs} ms after SIGTERM`);
      assert.deepEqual(new Set(codes), new Set([1001]));
      // Each idle view's snapshot is the one its page's render stored: nothing to write. With
      // "reply" the busy ones were stored before their replies; with "behind" the ones whose
      // timer had not fired yet are written now, once each.
      const written = await snapshotWrites(probe!);
      const what = `${written} Redis writes during the drain of ${VIEWS} views (${busy.length} changed, ${beforeDrain} written before)`;
      assert.ok(written <= (durability === "reply" ? 0 : busy.length), what);

      next = await startNode("next", APP, env);
      const sample = views.filter((_, i) => i % 20 === 0 || i % 20 === 1);
      await pooled(sample, 8, async (view) => {
        const client = await RawClient.connect(next!.url, { cookie: view.page.cookie });
        try {
          const reply = await client.join(view.page, next!.url);
          assert.equal(reply.payload.status, "ok", JSON.stringify(reply.payload));
          // Restored, not mounted again: mount on the first node set `mountedBy`.
          assert.deepEqual(shown(response(reply).rendered as Record<string, unknown>), {
            count: view.count,
            mountedBy: first!.pid,
          });
        } finally {
          client.close();
        }
      });
    });
  });
}
