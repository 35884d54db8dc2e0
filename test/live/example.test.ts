/**
 * The orders example without a browser: pages, the CSRF-protected login form, permissions
 * over the socket, and SQLite persistence.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createOrdersApp, type OrdersApp } from "../../examples/orders/app.js";
import { NotificationsView } from "../../examples/orders/views/notifications.js";
import type { RunningServer } from "../../src/server/index.js";
import { LiveViewTestClient } from "../../src/testing/index.js";
import { NewOrderView } from "../../examples/orders/views/new-order.js";
import { eventError, loadPage, memoryLogger, RawClient, response } from "./helpers.js";

describe("orders example", () => {
  let dir: string;
  let orders: OrdersApp;
  let server: RunningServer;
  let base: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "djust-orders-"));
    orders = createOrdersApp({ dbPath: join(dir, "db.sqlite"), logger: memoryLogger() });
    server = await orders.app.listen(0, "127.0.0.1");
    base = server.url;
  });

  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("seeds the database and renders every page", async () => {
    assert.ok(orders.db.orders().length >= 5);
    for (const path of [
      "/",
      "/orders/new/",
      "/counter/",
      "/sync/",
      "/login/",
      "/?status=pending",
    ]) {
      const res = await fetch(`${base}${path}`);
      assert.equal(res.status, 200, path);
      await res.text();
    }
    const home = await loadPage(`${base}/`);
    assert.match(home.html, /Ada Lovelace/);
    assert.match(home.html, /data-phx-main/);
  });

  async function logIn(username: string, password: string): Promise<string> {
    const page = await fetch(`${base}/login/`);
    const html = await page.text();
    const cookie = page.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    const csrf = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(html)?.[1] ?? "";
    const res = await fetch(`${base}/login/`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie, "content-type": "application/x-www-form-urlencoded", origin: base },
      body: new URLSearchParams({ csrfmiddlewaretoken: csrf, username, password, next: "/" }),
    });
    assert.equal(res.status, 302, await res.text());
    return res.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
  }

  it("refuses a login POST without the CSRF token", async () => {
    const res = await fetch(`${base}/login/`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: base },
      body: "username=alice&password=alice",
    });
    assert.equal(res.status, 403);
  });

  it("lets a logged-in user with the permission refund over the socket", async () => {
    const cookie = await logIn("alice", "alice");
    const page = await loadPage(`${base}/`, cookie);
    assert.match(page.html, /class="refund"/);
    const client = await RawClient.connect(base, { cookie: page.cookie });
    assert.equal((await client.join(page, base)).payload.status, "ok");
    const id = orders.db.orders("pending")[0]?.id;
    assert.ok(id);
    const reply = await client.event(page, "click", "refund", { order_id: String(id), value: "" });
    assert.equal(reply.payload.status, "ok", JSON.stringify(reply.payload));
    assert.deepEqual((response(reply).diff as { r: unknown }).r, {
      order_id: id,
      status: "refunded",
    });
    assert.equal(orders.db.order(id)?.status, "refunded");
    client.close();
  });

  it("shows each user only the actions they may use (perms in the template)", async () => {
    /** The action buttons of the order list, by class, and whether the column is there. */
    const actionsOf = (html: string) => ({
      column: /<th>Actions<\/th>/.test(html),
      ship: (html.match(/<button class="ship"/g) ?? []).length,
      deliver: (html.match(/<button class="deliver"/g) ?? []).length,
      refund: (html.match(/<button class="refund"/g) ?? []).length,
    });
    const pending = orders.db.orders("pending").length;
    const shipped = orders.db.orders("shipped").length;
    const refundable = orders.db.orders().filter((o) => o.status !== "refunded").length;
    assert.ok(pending > 0 && shipped > 0);
    const anonymous = await loadPage(`${base}/`);
    assert.deepEqual(actionsOf(anonymous.html), { column: false, ship: 0, deliver: 0, refund: 0 });
    const bob = await loadPage(`${base}/`, await logIn("bob", "bob"));
    assert.deepEqual(actionsOf(bob.html), {
      column: true,
      ship: pending,
      deliver: shipped,
      refund: 0,
    });
    const alice = await loadPage(`${base}/`, await logIn("alice", "alice"));
    assert.deepEqual(actionsOf(alice.html), {
      column: true,
      ship: pending,
      deliver: shipped,
      refund: refundable,
    });
  });

  it("refuses an anonymous status change sent without a button", async () => {
    const page = await loadPage(`${base}/`);
    const client = await RawClient.connect(base, { cookie: page.cookie });
    await client.join(page, base);
    const id = orders.db.orders("pending")[0]!.id;
    const reply = await client.event(page, "click", "update_status", {
      order_id: String(id),
      status: "shipped",
    });
    assert.equal(eventError(reply)?.error, "unauthenticated");
    assert.equal(orders.db.order(id)?.status, "pending");
    client.close();
  });

  it("refuses the refund to a user without the permission", async () => {
    const cookie = await logIn("bob", "bob");
    const page = await loadPage(`${base}/`, cookie);
    const client = await RawClient.connect(base, { cookie: page.cookie });
    await client.join(page, base);
    const id = orders.db.orders("pending")[0]?.id;
    const reply = await client.event(page, "click", "refund", { order_id: String(id) });
    assert.equal(reply.payload.status, "ok");
    assert.equal(eventError(reply)?.error, "permission_denied");
    const ship = await client.event(page, "click", "update_status", {
      order_id: String(id),
      status: "shipped",
    });
    assert.equal(ship.payload.status, "ok", "bob may change statuses");
    client.close();
  });

  it("validates and saves the new-order form through LiveViewTestClient", async () => {
    const view = await LiveViewTestClient.mount(NewOrderView, {
      services: { db: orders.db },
      templateDirs: ["examples/orders/templates"],
      views: [NotificationsView],
      urls: {
        orders: "/",
        new_order: "/orders/new/",
        counter: "/counter/",
        sync: "/sync/",
        avatar: "/avatar/",
      },
    });
    await view.change(
      "validate",
      { customer: "A", item: "", qty: "1", amount: "" },
      {
        target: "customer",
        untouched: ["item", "qty", "amount"],
      },
    );
    assert.match(view.render(), /id="error-customer"/);
    assert.doesNotMatch(view.render(), /id="error-item"/);
    const saved = await view.submit("save", {
      customer: "Ann",
      item: "Tea",
      qty: "2",
      amount: "3.50",
    });
    assert.equal((saved.reply as { saved: boolean }).saved, true);
    const id = (saved.reply as { id: number }).id;
    assert.equal(orders.db.order(id)?.amount_cents, 350);
    assert.match(view.flash.info ?? "", /created/);
  });
});
