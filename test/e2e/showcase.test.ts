/**
 * End-to-end: the orders example as a showcase. Its README screenshots are made here (1280 and
 * 390 px wide, logged in as alice), the layout has no horizontal overflow at either width, the
 * statuses are badges, the tab has an icon (no 404 for /favicon.ico) and a lost connection is
 * shown until the client reconnects.
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import type { Page } from "playwright-core";
import { liveTransportOf } from "../../src/server/live.js";
import { browserSkipReason } from "../support/browser.js";
import { connected, ordersInBrowser, pushEvent } from "../support/orders-browser.js";

const skip = browserSkipReason();
const SCREENSHOTS = resolve(import.meta.dirname, "../../examples/orders/screenshots");

async function logIn(page: Page, base: string, username: string): Promise<void> {
  await page.goto(`${base}/login/`);
  await page.fill("input[name=username]", username);
  await page.fill("input[name=password]", username);
  await page.click("#login");
  await page.waitForURL(`${base}/`);
  await connected(page);
}

const overflow = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describe("orders example: the showcase", { skip }, () => {
  const app = ordersInBrowser();

  it("at 1280 and 390 px: no horizontal overflow, status badges; README screenshots", async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const page = await app.newPage();
    await logIn(page, app.server.url, "alice");
    assert.equal(await page.locator("#orders .badge-pending").first().textContent(), "pending");
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: width > 800 ? 800 : 844 });
      assert.equal(await overflow(page), 0, `horizontal overflow at ${width}px`);
      await page.screenshot({ path: join(SCREENSHOTS, `orders-${width}.png`), fullPage: true });
    }
    // At 390 px the rows are cards: each cell labelled, no table header.
    assert.equal(await page.locator("#orders thead").isVisible(), false);
    const label = await page.evaluate(
      () =>
        getComputedStyle(document.querySelector("#orders td[data-label='Customer']")!, "::before")
          .content,
    );
    assert.equal(label, '"Customer"');
    const form = await app.newPage();
    await form.setViewportSize({ width: 390, height: 844 });
    await form.goto(`${app.server.url}/orders/new/`);
    await connected(form);
    assert.equal(await overflow(form), 0, "the new-order form at 390px");
  });

  it("long unbroken text wraps at 1280 and 390 px; the form refuses over-long names", async () => {
    // Stored before the schema had a maximum (written to the database directly): it still wraps.
    const id = app.orders.db.insert({
      customer: "C".repeat(150),
      item: "Long".repeat(125),
      qty: 1,
      amount_cents: 100,
    });
    const page = await app.newPage();
    await logIn(page, app.server.url, "alice");
    const word = "W".repeat(190);
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: width > 800 ? 800 : 844 });
      for (const path of ["/", `/orders/${id}/`, "/sync/"]) {
        await page.goto(`${app.server.url}${path}`);
        await connected(page);
        if (path === "/sync/") {
          // A message lives in the views open at the time: post it after the page load.
          await page.fill("#post-form input[name=text]", word);
          await page.click("#post-form button[type=submit]");
          await page.waitForSelector("#messages li");
        }
        assert.equal(await overflow(page), 0, `horizontal overflow of ${path} at ${width}px`);
      }
    }
    await page.goto(`${app.server.url}/orders/new/`);
    await connected(page);
    await page.fill("input[name=customer]", "y".repeat(81));
    await page.fill("input[name=item]", "x".repeat(500));
    await page.waitForSelector("#error-customer");
    await page.waitForSelector("#error-item");
    assert.equal(await page.textContent("#error-customer"), "At most 80 characters.");
    assert.equal(await page.textContent("#error-item"), "At most 120 characters.");
    assert.equal(await overflow(page), 0, "the new-order form with long values");
  });

  it("a flash error has the info flash's width, place and size, in red", async () => {
    const page = await app.newPage();
    await logIn(page, app.server.url, "alice");
    await pushEvent(page, "refund", { order_id: "2" });
    await page.waitForSelector("#flash-info");
    await pushEvent(page, "update_status", { order_id: "9999", status: "shipped" });
    await page.waitForSelector("#flash-error");
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 800 });
      const box = (id: string) =>
        page.evaluate((sel) => {
          const el = document.querySelector(sel)!;
          const { left, width } = el.getBoundingClientRect();
          return { left, width, fontSize: getComputedStyle(el).fontSize };
        }, id);
      assert.deepEqual(await box("#flash-error"), await box("#flash-info"), `at ${width}px`);
    }
    assert.equal(
      await page.evaluate(() => getComputedStyle(document.querySelector("#flash-error")!).color),
      "rgb(179, 38, 30)",
    );
  });

  it("serves the tab icon for the link and for /favicon.ico", async () => {
    const page = await app.newPage();
    await page.goto(`${app.server.url}/`);
    assert.equal(await page.getAttribute("link[rel=icon]", "href"), "/favicon.svg");
    for (const path of ["/favicon.svg", "/favicon.ico"]) {
      const res = await fetch(`${app.server.url}${path}`);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get("content-type"), "image/svg+xml");
      assert.match(await res.text(), /^<svg /);
    }
  });

  it("shows that the connection is lost until the client is back", async () => {
    const page = await app.newPage();
    await page.goto(`${app.server.url}/`);
    await connected(page);
    assert.equal(await page.isVisible("#offline"), false);
    await page.context().setOffline(true);
    await liveTransportOf(app.orders.app.context).disconnectAll();
    await page.waitForSelector("#offline", { state: "visible", timeout: 15_000 });
    assert.equal(await page.textContent("#offline"), "Connection lost. Reconnecting…");
    await page.context().setOffline(false);
    await connected(page);
    await page.waitForSelector("#offline", { state: "hidden", timeout: 15_000 });
  });
});
