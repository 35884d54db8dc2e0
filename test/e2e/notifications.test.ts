/**
 * End-to-end: the orders example's sticky notifications panel (a nested live view in the
 * shared layout). An order saved in another tab shows up in the panel; live navigation between
 * the app's pages keeps the panel (same element, same entries, not mounted again); a reconnect
 * restores it; its own event (Clear) touches only its own topic.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Page } from "playwright-core";
import { liveTransportOf } from "../../src/server/live.js";
import { browserSkipReason, disconnected, shoot } from "../support/browser.js";
import { connected, ordersInBrowser } from "../support/orders-browser.js";

const skip = browserSkipReason();
if (skip) process.stderr.write(`# e2e tests skipped: ${skip}\n`);

/** Waits for the page's main view and the panel to have joined. */
async function panelJoined(page: Page): Promise<void> {
  await connected(page);
  await page.waitForSelector("#notifications.phx-connected", { timeout: 10_000 });
}

function entries(page: Page): Promise<string[]> {
  return page.$$eval("#notification-list > li", (items) => items.map((li) => li.textContent ?? ""));
}

const FULL_PAGE = { fullPage: true };

describe("the sticky notifications panel of the orders example in Chromium", { skip }, () => {
  const app = ordersInBrowser();

  it("shows order changes and stays across live navigation and a reconnect", async () => {
    const page = await app.newPage();
    const topics: string[] = [];
    page.on("websocket", (ws) =>
      ws.on("framereceived", ({ payload }) => {
        const topic = (JSON.parse(String(payload)) as unknown[])[2];
        if (typeof topic === "string" && topic !== "phoenix") topics.push(topic);
      }),
    );
    await page.goto(`${app.server.url}/`);
    await panelJoined(page);
    assert.equal(await page.getAttribute("#notifications", "data-phx-sticky"), "");
    assert.match((await page.textContent("#no-notifications")) ?? "", /No order changes/);

    // Another tab saves an order: the panel lists it.
    const form = await app.newPage();
    await form.goto(`${app.server.url}/orders/new/`);
    await connected(form);
    await form.fill("input[name=customer]", "Grace Hopper");
    await form.fill("input[name=item]", "Nanosecond wire");
    await form.fill("input[name=qty]", "3");
    await form.fill("input[name=amount]", "2");
    await form.click("#save");
    await page.waitForSelector("#notification-list > li");
    const created = app.orders.db.orders()[0];
    assert.ok(created);
    const first = await entries(page);
    assert.equal(first.length, 1);
    assert.match(first[0] ?? "", new RegExp(`#${created.id} → pending \\(the new-order form\\)$`));
    await shoot(page, "notifications-1-orders", FULL_PAGE);

    // Live navigation to the sync page and to the new-order page: the panel is the same element
    // with the same entries (the client moved it; the server neither closed nor re-mounted it).
    await page.$eval("#notifications", (el) => el.setAttribute("data-marker", "kept"));
    topics.length = 0;
    await page.click("a[href='/sync/']");
    await page.waitForURL(`${app.server.url}/sync/`);
    await panelJoined(page);
    assert.deepEqual(await entries(page), first);
    assert.equal(await page.getAttribute("#notifications", "data-marker"), "kept");
    assert.ok(!topics.includes("lv:notifications"), "navigation did not touch the panel");
    await page.click("#nav-new");
    await page.waitForURL(`${app.server.url}/orders/new/`);
    await panelJoined(page);
    assert.deepEqual(await entries(page), first);
    assert.equal(await page.getAttribute("#notifications", "data-marker"), "kept");
    await shoot(page, "notifications-2-new-order-page", FULL_PAGE);

    // This page saves an order too: the panel, still subscribed, lists it on top.
    await page.fill("input[name=customer]", "Ada Lovelace");
    await page.fill("input[name=item]", "Analytical engine");
    await page.fill("input[name=qty]", "1");
    await page.fill("input[name=amount]", "5");
    await page.click("#save");
    await page.waitForFunction(
      () => document.querySelectorAll("#notification-list > li").length === 2,
    );

    // A reconnect in the middle: the panel comes back from its snapshot.
    const shown = await entries(page);
    await disconnected(page, () => liveTransportOf(app.orders.app.context).disconnectAll());
    await panelJoined(page);
    assert.deepEqual(await entries(page), shown);

    // Its own event touches only its own topic.
    topics.length = 0;
    await page.click("#clear-notifications");
    await page.waitForSelector("#no-notifications");
    assert.deepEqual([...new Set(topics)], ["lv:notifications"]);
    await shoot(page, "notifications-3-cleared", FULL_PAGE);
  });
});
