/**
 * End-to-end: the orders example app in headless Chromium, with the official Phoenix LiveView
 * client talking to djust over WebSocket and long-poll.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { liveTransportOf } from "../../src/server/live.js";
import { browserSkipReason } from "../support/browser.js";
import { connected, ordersInBrowser, pushEvent } from "../support/orders-browser.js";

const skip = browserSkipReason();
if (skip) process.stderr.write(`# e2e tests skipped: ${skip}\n`);

describe("orders example in Chromium", { skip }, () => {
  const app = ordersInBrowser();
  const { newPage } = app;

  it("a click updates the DOM through a minimal diff", async () => {
    const page = await newPage();
    await page.goto(`${app.server.url}/counter/`);
    await connected(page);
    assert.equal(await page.textContent("#count"), "0");
    await page.click("#inc");
    await page.click("#inc10");
    await page.waitForFunction(() => document.querySelector("#count")?.textContent === "11");
    await page.click("#dec");
    await page.waitForFunction(() => document.querySelector("#count")?.textContent === "10");
    // The client sets the title on the next animation frame.
    await page.waitForFunction(() => document.title === "Count: 10");
  });

  it("shows validation messages while typing, only for touched fields", async () => {
    const page = await newPage();
    await page.goto(`${app.server.url}/orders/new/`);
    await connected(page);
    await page.fill("input[name=customer]", "A");
    await page.locator("input[name=customer]").blur();
    await page.waitForSelector("#error-customer");
    assert.match((await page.textContent("#error-customer")) ?? "", /2 characters/);
    // Untouched fields show no error yet.
    assert.equal(await page.locator("#error-item").count(), 0);
    await page.fill("input[name=customer]", "Ada");
    await page.waitForSelector("#error-customer", { state: "detached" });
    await page.fill("input[name=qty]", "0");
    await page.waitForSelector("#error-qty");
    assert.match((await page.textContent("#error-qty")) ?? "", /At least 1/);
  });

  it("typing at full speed keeps every character: the fields are debounced, nothing is refused", async () => {
    const page = await newPage();
    let validates = 0;
    page.on("websocket", (ws) =>
      ws.on("framesent", ({ payload }) => {
        if (String(payload).includes('"event":"validate"')) validates++;
      }),
    );
    await page.goto(`${app.server.url}/orders/new/`);
    await connected(page);
    await page.evaluate(() => {
      const w = window as unknown as { refused: string[] };
      w.refused = [];
      window.addEventListener("djust:error", (e) => {
        w.refused.push((e as CustomEvent<{ error: string }>).detail.error);
      });
    });
    // 300 keystrokes with no pause: without dj-debounce each one was an event, past the
    // default rate limit (20/s, burst 40); refused events, then a socket closed with 4429.
    const text = "abcdefghij".repeat(30);
    await page.locator("input[name=item]").pressSequentially(text, { delay: 0 });
    await page.waitForTimeout(1000);
    assert.equal(await page.inputValue("input[name=item]"), text);
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("name")), "item");
    assert.deepEqual(
      await page.evaluate(() => (window as unknown as { refused: string[] }).refused),
      [],
    );
    assert.equal(await page.locator(".djust-error-notice").count(), 0);
    assert.ok(validates >= 1 && validates <= 5, `${validates} validate events for 300 keystrokes`);
  });

  it("an error shown above a field keeps the field's element, its focus and its pending change", async () => {
    const page = await newPage();
    await page.goto(`${app.server.url}/orders/new/`);
    await connected(page);
    await page.evaluate(() => {
      (window as unknown as { item: Element }).item = document.querySelector("#item")!;
    });
    // Moving to the item sends the customer's change at once (blur); its reply inserts
    // #error-customer before the item's label. Without ids on the inputs the patch replaced
    // the label and input: the focus was lost, and so was the debounced change typed meanwhile.
    await page.fill("input[name=customer]", "A");
    await page.fill("input[name=item]", "Typed at once");
    await page.waitForSelector("#error-customer");
    assert.equal(
      await page.evaluate(() => {
        const before = (window as unknown as { item: Element }).item;
        return before.isConnected && document.activeElement === before;
      }),
      true,
    );
    // The item's own change still reaches the server: its render sends the value back.
    await page.waitForFunction(
      () => document.querySelector("#item")?.getAttribute("value") === "Typed at once",
    );
  });

  it("a submit persists to SQLite", async () => {
    const page = await newPage();
    await page.goto(`${app.server.url}/orders/new/`);
    await connected(page);
    await page.fill("input[name=customer]", "Margaret Hamilton");
    await page.fill("input[name=item]", "Apollo guidance listing");
    await page.fill("input[name=qty]", "2");
    await page.fill("input[name=amount]", "19.99");
    await page.click("#save");
    await page.waitForSelector("#flash-info");
    assert.match((await page.textContent("#flash-info")) ?? "", /Order #\d+ created/);
    const saved = app.orders.db.orders().find((o) => o.customer === "Margaret Hamilton");
    assert.ok(saved, "the order is in the database");
    assert.equal(saved.qty, 2);
    assert.equal(saved.amount_cents, 1999);
    // The form was reset for the next order.
    assert.equal(await page.inputValue("input[name=customer]"), "");
  });

  it("two browser contexts see each other's changes via pub/sub", async () => {
    const a = await newPage();
    const b = await newPage();
    await a.goto(`${app.server.url}/sync/`);
    await b.goto(`${app.server.url}/sync/`);
    await connected(a);
    await connected(b);
    const before = Number(await b.textContent("#clicks"));
    await a.click("#bump");
    await b.waitForFunction(
      (n) => document.querySelector("#clicks")?.textContent === String(n),
      before + 1,
    );
    const box = "#post-form input[name=text]";
    await a.fill(box, "A's draft");
    await b.fill(box, "hello from B");
    await b.press(box, "Enter");
    await a.waitForFunction(() =>
      document.querySelector("#messages")?.textContent?.includes("hello from B"),
    );
    // The poster's box is emptied and keeps the focus; the other tab's draft is untouched.
    await b.waitForFunction(() => document.querySelector("#messages li"));
    await b.waitForFunction((sel) => document.activeElement === document.querySelector(sel), box);
    assert.equal(await b.inputValue(box), "");
    assert.equal(await a.inputValue(box), "A's draft");
    // Enter again posts nothing twice (an empty message is refused).
    await b.press(box, "Enter");
    await b.waitForSelector(".djust-error-notice");
    assert.equal(await a.locator("#messages li").count(), 1);
  });

  it("an order list follows changes made in another tab", async () => {
    const list = await newPage();
    await list.goto(`${app.server.url}/`);
    await connected(list);
    const form = await newPage();
    await form.goto(`${app.server.url}/orders/new/`);
    await connected(form);
    await form.fill("input[name=customer]", "Radia Perlman");
    await form.fill("input[name=item]", "Spanning tree");
    await form.fill("input[name=qty]", "1");
    await form.fill("input[name=amount]", "5");
    await form.click("#save");
    await list.waitForFunction(() =>
      document.querySelector("#orders")?.textContent?.includes("Radia Perlman"),
    );
  });

  it("keeps typed form values and view state when the server drops the WebSocket", async () => {
    const transport = liveTransportOf(app.orders.app.context);
    const counter = await newPage();
    await counter.goto(`${app.server.url}/counter/`);
    await connected(counter);
    // The official client ignores a click on a button whose previous click awaits its reply
    // (live_socket.ts: "noop if we are in the middle of awaiting an ack for this el already"),
    // so each click waits for its count, as a user would see it, before the next.
    for (let i = 1; i <= 3; i++) {
      await counter.click("#inc");
      await counter.waitForFunction(
        (n) => document.querySelector("#count")?.textContent === n,
        `${i}`,
      );
    }

    const page = await newPage();
    await page.goto(`${app.server.url}/orders/new/`);
    await connected(page);
    await page.fill("input[name=customer]", "B");
    await page.locator("input[name=customer]").blur();
    await page.waitForSelector("#error-customer");
    await page.fill("input[name=item]", "Typed but not yet sent");

    await transport.disconnectAll();
    // Both pages reconnect and rejoin; the views are restored, not re-mounted.
    await page.waitForFunction(() => !document.querySelector("[data-phx-main].phx-connected"));
    await connected(page);
    await connected(counter);
    assert.equal(await counter.textContent("#count"), "3");
    assert.equal(await page.inputValue("input[name=customer]"), "B");
    assert.equal(await page.inputValue("input[name=item]"), "Typed but not yet sent");
    await page.waitForSelector("#error-customer");
    // The restored view keeps working.
    await counter.click("#inc");
    await counter.waitForFunction(() => document.querySelector("#count")?.textContent === "4");
  });

  it("works over long-poll when the browser has no WebSocket", async () => {
    const transport = liveTransportOf(app.orders.app.context);
    const page = await newPage(() => {
      Object.defineProperty(window, "WebSocket", { value: undefined, configurable: true });
    });
    const sockets = transport.connectionCount;
    await page.goto(`${app.server.url}/counter/`);
    await connected(page);
    assert.ok(transport.longPollCount >= 1, "a long-poll session is open");
    assert.equal(transport.connectionCount, sockets, "no WebSocket was opened");
    // One click at a time: the client ignores a click on a button still awaiting its reply.
    await page.click("#inc");
    await page.waitForFunction(() => document.querySelector("#count")?.textContent === "1");
    await page.click("#inc");
    await page.waitForFunction(() => document.querySelector("#count")?.textContent === "2");
  });

  it("keeps working after a refused event, and patches the URL with live links", async () => {
    const page = await newPage();
    await page.goto(`${app.server.url}/`);
    await connected(page);
    // Anonymous users may not change statuses: no button offers it, and an event sent anyway
    // is refused with an error reply.
    assert.equal(await page.locator("button.ship").count(), 0);
    const id = app.orders.db.orders("pending")[0]!.id;
    await pushEvent(page, "update_status", { order_id: String(id), status: "shipped" });
    await page.click("a[href='/?status=delivered']");
    await page.waitForURL(`${app.server.url}/?status=delivered`);
    await page.waitForFunction(() =>
      [...document.querySelectorAll("#orders tbody tr td.status")].every(
        (td) => td.textContent === "delivered",
      ),
    );
    await page.click("a[href='/']");
    await page.waitForFunction(() => document.querySelectorAll("tr.status-pending").length > 0);
    assert.equal(app.orders.db.order(id)?.status, "pending");
  });

  it("navigates between live views without a page load (pushNavigate / live links)", async () => {
    const page = await newPage();
    await page.goto(`${app.server.url}/sync/`);
    await connected(page);
    await page.evaluate(() => {
      (window as unknown as { marker: number }).marker = 42;
    });
    await page.click("#nav-new");
    await page.waitForURL(`${app.server.url}/orders/new/`);
    await page.waitForSelector("#order-form");
    await connected(page);
    assert.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 42);
    await page.fill("input[name=customer]", "X");
    await page.locator("input[name=customer]").blur();
    await page.waitForSelector("#error-customer");
  });

  it("the exposed handlers answer 200 over HTTP as alice, and an open page sees the change live", async () => {
    const page = await newPage();
    await page.goto(`${app.server.url}/`);
    await connected(page);
    // Log in as a script would: the login form with its CSRF token, then the API with the
    // session cookie and the CSRF header.
    const form = await fetch(`${app.server.url}/login/`);
    const jar = form.headers.getSetCookie().map((c) => c.split(";")[0]);
    const formToken = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(await form.text())?.[1];
    const login = await fetch(`${app.server.url}/login/`, {
      method: "POST",
      redirect: "manual",
      headers: {
        cookie: jar.join("; "),
        "content-type": "application/x-www-form-urlencoded",
        origin: app.server.url,
      },
      body: new URLSearchParams({
        csrfmiddlewaretoken: formToken ?? "",
        username: "alice",
        password: "alice",
      }),
    });
    assert.equal(login.status, 302);
    const cookies = login.headers.getSetCookie().map((c) => c.split(";")[0] as string);
    const csrf = cookies.find((c) => c.startsWith("csrftoken="))?.slice("csrftoken=".length);
    assert.ok(csrf, "the login rotates the CSRF token");
    const call = (handler: string, body: unknown) =>
      fetch(`${app.server.url}/djust/api/orders/${handler}/`, {
        method: "POST",
        headers: {
          cookie: cookies.join("; "),
          "x-csrftoken": csrf,
          origin: app.server.url,
          "content-type": "application/json",
        },
        body: JSON.stringify(body),
      });
    const [first, second] = app.orders.db.orders("pending");
    assert.ok(first && second);
    const shipped = await call("update_status", { order_id: first.id, status: "shipped" });
    assert.equal(shipped.status, 200);
    const body = (await shipped.json()) as { result: unknown; assigns: Record<string, unknown> };
    assert.deepEqual(body.result, { order_id: first.id, status: "shipped" });
    await page.waitForSelector(`#order-${first.id}.status-shipped`);
    assert.match((await page.textContent("#last-change")) ?? "", /is now shipped \(by alice\)/);
    const refunded = await call("refund", { order_id: second.id });
    assert.equal(refunded.status, 200);
    await page.waitForSelector(`#order-${second.id}.status-refunded`);
    if (process.env.SCREENSHOTS) {
      await page.screenshot({ path: join(process.env.SCREENSHOTS, "orders-api-live.png") });
    }
    const missing = await call("update_status", { order_id: first.id });
    assert.equal(missing.status, 400);
    assert.equal(((await missing.json()) as { error: string }).error, "validation_error");
  });

  it("logs in through the CSRF-protected form and gains the refund permission", async () => {
    const page = await newPage();
    await page.goto(`${app.server.url}/`);
    await connected(page);
    assert.equal(await page.locator("button.refund").count(), 0);
    await page.goto(`${app.server.url}/login/?next=/`);
    await page.fill("input[name=username]", "alice");
    await page.fill("input[name=password]", "alice");
    await page.click("#login");
    await page.waitForURL(`${app.server.url}/`);
    await connected(page);
    const id = app.orders.db.orders("pending")[0]?.id;
    assert.ok(id !== undefined);
    await page.click(`#order-${id} button.refund`);
    await page.waitForSelector(`#order-${id}.status-refunded`);
    assert.equal(app.orders.db.order(id)?.status, "refunded");
  });
});
