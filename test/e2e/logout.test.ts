/**
 * End-to-end: a logout in one tab logs out the other tabs of the same browser, in headless
 * Chromium against the orders example. Tab B's socket joined as alice; when tab A logs out, the
 * server closes it (4401 "session ended"), the official client reconnects, its rejoin is refused
 * as stale (the session changed) and it loads the page again, now anonymous: the header offers
 * "Log in", the refund buttons are gone, and a refund sent anyway is refused.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { browserSkipReason, shoot } from "../support/browser.js";
import { connected, ordersInBrowser, pushEvent } from "../support/orders-browser.js";

const skip = browserSkipReason();
if (skip) process.stderr.write(`# e2e tests skipped: ${skip}\n`);

/** Records every `djust:error` window event in `window.__djustErrors` (an init script). */
function recordErrors(): void {
  const w = window as unknown as { __djustErrors: unknown[] };
  w.__djustErrors = [];
  window.addEventListener("djust:error", (e) => {
    w.__djustErrors.push((e as CustomEvent).detail);
  });
}

describe("logout in one tab", { skip }, () => {
  const app = ordersInBrowser();

  it("logs the browser's other tabs out within seconds, and their refunds are refused", async () => {
    const base = app.server.url;
    const tabA = await app.newPage(recordErrors);
    await tabA.goto(`${base}/login/?next=/`);
    await tabA.fill("input[name=username]", "alice");
    await tabA.fill("input[name=password]", "alice");
    await tabA.click("#login");
    await tabA.waitForURL(`${base}/`);
    await connected(tabA);

    // Tab B: same browser, same cookies, its own live connection.
    const tabB = await tabA.context().newPage();
    await tabB.goto(`${base}/`);
    await connected(tabB);
    assert.match(await tabB.locator(".who").innerText(), /^alice · Log out/);
    assert.ok((await tabB.locator("button.refund").count()) > 0, "alice is offered refunds");

    await Promise.all([tabA.waitForURL(`${base}/`), tabA.click(".who button.link")]);
    assert.equal((await tabA.locator(".who").innerText()).trim(), "Log in");

    // Tab B was not touched: its connection is what tells it.
    await tabB.waitForFunction(
      () => document.querySelector(".who")?.textContent?.trim() === "Log in",
      undefined,
      { timeout: 5000 },
    );
    await connected(tabB);
    await shoot(tabB, "tab-b-after-logout");
    assert.equal(await tabB.locator("button.refund").count(), 0);

    const id = app.orders.db.orders("pending")[0]?.id;
    assert.ok(id !== undefined);
    await pushEvent(tabB, "refund", { order_id: String(id) });
    await tabB.waitForFunction(
      () => (window as unknown as { __djustErrors: unknown[] }).__djustErrors.length > 0,
    );
    const [refusal] = await tabB.evaluate(
      () => (window as unknown as { __djustErrors: { error: string }[] }).__djustErrors,
    );
    assert.equal(refusal?.error, "unauthenticated");
    assert.equal(app.orders.db.order(id)?.status, "pending");
  });
});
