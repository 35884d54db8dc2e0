/**
 * End-to-end: the official client on the long-poll transport in headless Chromium, behind a
 * round-robin proxy in front of two app processes sharing a real `redis-server` — no sticky
 * sessions, every request to the other node than the one before. Clicks update the page; then
 * the node owning the session is SIGKILLed and the proxy takes it out: the client rejoins on the
 * survivor and the page shows the acknowledged count, restored rather than mounted again.
 */
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { browserSkipReason, launchBrowser, shoot } from "../support/browser.js";
import { connected } from "../support/orders-browser.js";
import { startNode, stopNode, type AppNode } from "../support/nodes.js";
import { findRedisServer, REDIS_MISSING, startRedis, type TestRedis } from "../support/redis.js";
import { startRoundRobinProxy, type RoundRobinProxy } from "../support/round-robin-proxy.js";

const skip = browserSkipReason() ?? (findRedisServer() ? undefined : REDIS_MISSING);
const APP = resolve(import.meta.dirname, "../fixtures/multinode-app.ts");

const LONGPOLL = "/djust/live/longpoll";

describe("long-poll in Chromium behind a round-robin proxy over two nodes", { skip }, () => {
  let redis: TestRedis | undefined;
  let nodes: AppNode[] = [];
  let proxy: RoundRobinProxy | undefined;
  let browser: Browser | undefined;

  before(async () => {
    const started = await startRedis();
    if ("skip" in started) throw new Error(started.skip);
    redis = started;
    const env = { REDIS_URL: started.url, DJUST_SECRET_KEY: "e2e-longpoll-secret" };
    nodes = await Promise.all([startNode("node 1", APP, env), startNode("node 2", APP, env)]);
    proxy = await startRoundRobinProxy(nodes.map((n) => n.url));
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await proxy?.close();
    await Promise.all(nodes.map((n) => stopNode(n)));
    await redis?.stop();
  });

  it("clicks work with every request alternating; SIGKILL of the session's node: the client rejoins on the other with the acknowledged count", async (t) => {
    const logs = () => nodes.map((n) => `\n--- ${n.name} ---\n${n.stderr}`).join("");
    const context = await browser!.newContext();
    // The official client on its long-poll transport (djust's client reads window.djustConfig).
    await context.addInitScript(() => {
      (window as { djustConfig?: unknown }).djustConfig = { transport: "longpoll" };
    });
    const page = await context.newPage();
    const count = () => page.textContent("[data-phx-main] p");
    try {
      await page.goto(`${proxy!.url}/`);
      await connected(page);
      for (let i = 1; i <= 10; i++) {
        // The browser alternates polls and POSTs, so strict turns would send every poll to one
        // node: another visitor's request half-way shifts the turns, as on a shared balancer.
        if (i === 6) assert.equal((await fetch(`${proxy!.url}/djust/health`)).status, 200);
        await page.click("button");
        await page.waitForFunction(
          (n) => document.querySelector("[data-phx-main] p")?.textContent === `count ${n}`,
          i,
        );
      }
      await shoot(page, "longpoll-multinode-before-kill");

      const polls = proxy!.log.filter((r) => r.path.startsWith(LONGPOLL));
      const opens = polls.filter((r) => r.method === "GET" && !/[?&]token=/.test(r.path));
      assert.equal(opens.length, 1, `one long-poll session: ${JSON.stringify(polls.slice(0, 4))}`);
      const owner = nodes.find((n) => n.url === opens[0]!.upstream)!;
      const other = nodes.find((n) => n !== owner)!;
      for (const method of ["GET", "POST"]) {
        const on = (node: AppNode) =>
          polls.filter((r) => r.method === method && r.upstream === node.url).length;
        t.diagnostic(`${method}: ${on(owner)} on the session's node, ${on(other)} relayed`);
        assert.ok(on(other) >= 3, `${method}s reached the node without the session`);
      }

      // SIGKILL of the session's node; the proxy's health check takes it out.
      await new Promise<void>((done) => {
        owner.child.once("exit", () => done());
        owner.child.kill("SIGKILL");
      });
      proxy!.upstreams = [other.url];
      const before = proxy!.log.length;
      // The client finds its session gone (410 from the survivor, or 502 for a request that
      // was on the dead node): its view drops `phx-connected` at once, and it opens a new
      // session (a poll without a token) on the survivor and rejoins.
      const reopened = () =>
        proxy!.log
          .slice(before)
          .some(
            (r) => r.method === "GET" && r.path.startsWith(LONGPOLL) && !/[?&]token=/.test(r.path),
          );
      for (let i = 0; i < 300 && !reopened(); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(reopened(), `a new session was opened${logs()}`);
      await connected(page);
      assert.equal(await count(), "count 10", logs());
      // Restored from the snapshot the dead node stored, not mounted again.
      assert.equal(
        await page.textContent("[data-phx-main] p:nth-of-type(2)"),
        `mounted by ${owner.pid}`,
      );
      await page.click("button");
      await page.waitForFunction(
        () => document.querySelector("[data-phx-main] p")?.textContent === "count 11",
      );
      await shoot(page, "longpoll-multinode-after-rejoin");
    } finally {
      await context.close();
    }
  });
});
