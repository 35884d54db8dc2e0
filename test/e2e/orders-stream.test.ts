/**
 * End-to-end: the orders example's list is a stream. A new order from another tab arrives on
 * top, once; a filter resets the stream; the server dropping the socket in the middle leaves
 * every row on screen exactly once.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Page } from "playwright-core";
import { liveTransportOf } from "../../src/server/live.js";
import { browserSkipReason, disconnected } from "../support/browser.js";
import { connected, ordersInBrowser } from "../support/orders-browser.js";

const skip = browserSkipReason();
if (skip) process.stderr.write(`# e2e tests skipped: ${skip}\n`);

/** Set `SCREENSHOTS=/tmp/dir` to save the page at each step. */
const screenshots = process.env.SCREENSHOTS;

function rowIds(page: Page): Promise<string[]> {
  return page.$$eval("#order-rows > tr", (rows) => rows.map((row) => row.id));
}

describe("orders list as a stream in Chromium", { skip }, () => {
  const app = ordersInBrowser();

  it("inserts live orders on top once and keeps every row across a reconnect", async () => {
    const list = await app.newPage();
    await list.goto(`${app.server.url}/`);
    await connected(list);
    const expected = app.orders.db.orders().map((o) => `order-${o.id}`);
    assert.deepEqual(await rowIds(list), expected);

    const form = await app.newPage();
    await form.goto(`${app.server.url}/orders/new/`);
    await connected(form);
    await form.fill("input[name=customer]", "Grace Hopper");
    await form.fill("input[name=item]", "Nanosecond wire");
    await form.fill("input[name=qty]", "3");
    await form.fill("input[name=amount]", "2");
    await form.click("#save");
    // The click returns before the server has stored the order: read it once the list shows it.
    await list.waitForFunction(
      (n) => document.querySelectorAll("#order-rows > tr").length === n,
      expected.length + 1,
    );
    const created = app.orders.db.orders()[0];
    assert.ok(created);
    assert.notEqual(`order-${created.id}`, expected[0]);
    const withNew = [`order-${created.id}`, ...expected];
    assert.deepEqual(await rowIds(list), withNew);
    assert.match((await list.textContent("#last-change")) ?? "", /is now pending/);
    if (screenshots) await list.screenshot({ path: join(screenshots, "orders-stream-insert.png") });

    await disconnected(list, () => liveTransportOf(app.orders.app.context).disconnectAll());
    await connected(list);
    assert.deepEqual(await rowIds(list), withNew);
    if (screenshots)
      await list.screenshot({ path: join(screenshots, "orders-stream-rejoined.png") });

    // A filter resets the stream to the matching rows.
    await list.click("a[href='/?status=pending']");
    await list.waitForURL(`${app.server.url}/?status=pending`);
    const pending = app.orders.db.orders("pending").map((o) => `order-${o.id}`);
    await list.waitForFunction(
      (n) => document.querySelectorAll("#order-rows > tr").length === n,
      pending.length,
    );
    assert.deepEqual(await rowIds(list), pending);
  });
});
