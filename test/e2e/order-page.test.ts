/**
 * End-to-end: an order's page in headless Chromium — the customer history loaded in the
 * background (`assignAsync`), the periodic refresh (`sendAfter`), and "who is viewing this
 * order" (presence) across two browser contexts, and the order's card (a LiveComponent). `SCREENSHOTS=dir` keeps screenshots.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Page } from "playwright-core";
import { liveTransportOf } from "../../src/server/live.js";
import { browserSkipReason, disconnected, shoot } from "../support/browser.js";
import { connected, ordersInBrowser } from "../support/orders-browser.js";

const skip = browserSkipReason();

const FULL_PAGE = { fullPage: true };

describe("an order's page in Chromium", { skip }, () => {
  // A history slow enough to see loading, a refresh quick enough to test.
  const app = ordersInBrowser({ historyDelayMs: 1500, orderRefreshMs: 400 });

  async function logIn(page: Page, name: string, next: string): Promise<void> {
    await page.goto(`${app.server.url}/login/?next=${encodeURIComponent(next)}`);
    await page.fill("input[name=username]", name);
    await page.fill("input[name=password]", name);
    await page.click("#login");
    await page.waitForURL(`${app.server.url}${next}`);
    await connected(page);
  }

  const viewers = (page: Page) => page.locator("#viewers .viewer").allTextContents();

  it("two browsers see each other viewing the order, and one leaving", async () => {
    const id = app.orders.db.orders()[0]?.id;
    assert.ok(id !== undefined);
    const path = `/orders/${id}/`;
    const alice = await app.newPage();
    await logIn(alice, "alice", path);
    await alice.waitForFunction(() =>
      document.querySelector("#viewers")?.textContent?.includes("alice"),
    );
    assert.deepEqual(await viewers(alice), ["alice"]);

    const bob = await app.newPage();
    await logIn(bob, "bob", path);
    await bob.waitForFunction(() => document.querySelectorAll("#viewers .viewer").length === 2);
    assert.deepEqual(await viewers(bob), ["alice", "bob"]);
    // Alice's page learns of bob through presence_diff, without a reload.
    await alice.waitForFunction(() => document.querySelectorAll("#viewers .viewer").length === 2);
    assert.deepEqual(await viewers(alice), ["alice", "bob"]);
    await bob.waitForSelector("#history-summary");
    await shoot(alice, "order-presence-alice", FULL_PAGE);
    await shoot(bob, "order-presence-bob", FULL_PAGE);

    await bob.close();
    await alice.waitForFunction(() => document.querySelectorAll("#viewers .viewer").length === 1);
    assert.deepEqual(await viewers(alice), ["alice"]);
    await shoot(alice, "order-presence-bob-left", FULL_PAGE);
  });

  it("the history loads in the background and the order refreshes itself", async () => {
    const order = app.orders.db.orders("pending")[0];
    assert.ok(order);
    // The page's first (dead) render shows the loading panel; the connected view fills it in.
    const html = await (await fetch(`${app.server.url}/orders/${order.id}/`)).text();
    assert.match(html, /id="history-loading"/);
    assert.doesNotMatch(html, /id="history-summary"/);
    const page = await app.newPage();
    await page.goto(`${app.server.url}/orders/${order.id}/`);
    await connected(page);
    await page.waitForSelector("#history-summary", { timeout: 10_000 });
    assert.equal(await page.locator("#history-loading").count(), 0);
    const rows = app.orders.db.orders().filter((o) => o.customer === order.customer);
    assert.match(
      (await page.textContent("#history-summary")) ?? "",
      new RegExp(`^${rows.length} orders?, \\$`),
    );
    await shoot(page, "order-history-loaded", FULL_PAGE);
    // Changed behind the page's back (no broadcast): the periodic refresh picks it up.
    assert.equal(await page.textContent("#order-status"), "pending");
    app.orders.db.setStatus(order.id, "shipped");
    await page.waitForFunction(
      () => document.querySelector("#order-status")?.textContent === "shipped",
      undefined,
      { timeout: 10_000 },
    );
    await page.close();
  });

  it("the order's card is a component: its own event re-renders it alone and a reconnect keeps it", async () => {
    const order = app.orders.db.orders("pending")[0];
    assert.ok(order);
    const page = await app.newPage();
    // The card's event goes to its cid, and its reply's diff holds that component alone.
    const sent = new Map<string, unknown>();
    const replies = new Map<string, unknown>();
    page.on("websocket", (ws) => {
      ws.on("framesent", ({ payload }) => {
        const [, ref, , event, body] = JSON.parse(String(payload)) as unknown[];
        if (event === "event") sent.set(String(ref), body);
      });
      ws.on("framereceived", ({ payload }) => {
        const [, ref, , event, body] = JSON.parse(String(payload)) as unknown[];
        if (event === "phx_reply") replies.set(String(ref), body);
      });
    });
    await page.goto(`${app.server.url}/orders/${order.id}/`);
    await connected(page);
    // The creation time is a readable date (the date filter, in the app's zone), not ISO text.
    const created = page.locator("#order-created");
    assert.equal(await created.getAttribute("datetime"), order.created_at);
    assert.match(
      (await created.textContent()) ?? "",
      /^\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC$/,
    );
    assert.equal(await page.locator("#order-amount").count(), 0);
    await page.click("#order-details");
    await page.waitForSelector("#order-amount");
    assert.equal(
      (await page.textContent("#order-amount td"))?.trim(),
      `$${order.amount.toFixed(2)}`,
    );
    assert.equal(await page.textContent("#order-details"), "Hide the amount");
    const [ref, click] = [...sent].find(([, body]) => {
      return (body as { event?: string }).event === "toggle_details";
    }) ?? [undefined, undefined];
    assert.equal(typeof (click as { cid?: unknown }).cid, "number");
    const reply = replies.get(String(ref)) as { response: { diff: Record<string, unknown> } };
    assert.deepEqual(Object.keys(reply.response.diff), ["c"]);
    assert.deepEqual(Object.keys(reply.response.diff.c as object), [
      String((click as { cid: number }).cid),
    ]);
    await shoot(page, "order-card-open", FULL_PAGE);

    // The page's refresh passes the changed order in; the card keeps its details open.
    app.orders.db.setStatus(order.id, "shipped");
    await page.waitForFunction(
      () => document.querySelector("#order-status")?.textContent === "shipped",
      undefined,
      { timeout: 10_000 },
    );
    assert.equal(await page.locator("#order-amount").count(), 1);

    // A reconnect in the middle: the card comes back from the page's snapshot, still open.
    await disconnected(page, () => liveTransportOf(app.orders.app.context).disconnectAll());
    await connected(page);
    assert.equal(await page.locator("#order-amount").count(), 1);
    assert.equal(await page.textContent("#order-details"), "Hide the amount");
    await page.click("#order-details");
    await page.waitForFunction(() => document.querySelector("#order-amount") === null);
    await shoot(page, "order-card-closed-after-reconnect", FULL_PAGE);
    await page.close();
  });
});
