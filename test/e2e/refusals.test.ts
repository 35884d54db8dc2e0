/**
 * End-to-end: refused events (DESIGN §10) with the official Phoenix LiveView client in headless
 * Chromium against the orders example. A refusal is a `phx_reply` of status "ok" carrying a
 * `djust:error` client event: the form or button stays usable, the bundled client shows a notice
 * and dispatches a `djust:error` window event, and the next valid action works.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Page } from "playwright-core";
import { browserSkipReason, shoot } from "../support/browser.js";
import { connected, ordersInBrowser, pushEvent } from "../support/orders-browser.js";

const skip = browserSkipReason();
if (skip) process.stderr.write(`# e2e tests skipped: ${skip}\n`);

interface ErrorDetail {
  error: string;
  message: string;
  details?: Record<string, string[]>;
}

/** Records every `djust:error` window event in `window.__djustErrors` (an init script). */
function recordErrors(): void {
  const w = window as unknown as { __djustErrors: unknown[] };
  w.__djustErrors = [];
  window.addEventListener("djust:error", (e) => {
    w.__djustErrors.push((e as CustomEvent).detail);
  });
}

function turnNoticeOff(): void {
  (window as unknown as { djustConfig: unknown }).djustConfig = { errorNotice: false };
}

async function errorsSeen(page: Page, count: number): Promise<ErrorDetail[]> {
  await page.waitForFunction(
    (n) => (window as unknown as { __djustErrors: unknown[] }).__djustErrors.length >= n,
    count,
  );
  return page.evaluate(() => (window as unknown as { __djustErrors: ErrorDetail[] }).__djustErrors);
}

/** No loading classes, no read-only inputs, no disabled buttons left anywhere on the page. */
async function assertUsable(page: Page): Promise<void> {
  const stuck = await page.evaluate(() => ({
    loading: [...document.querySelectorAll("[class*='-loading']")].map((el) => el.className),
    readOnly: [...document.querySelectorAll("input")].filter((i) => i.readOnly).map((i) => i.name),
    disabled: [...document.querySelectorAll("button")]
      .filter((b) => b.disabled)
      .map((b) => b.textContent),
    refs: document.querySelectorAll("[data-phx-ref-loading],[data-phx-ref-lock]").length,
  }));
  assert.deepEqual(stuck, { loading: [], readOnly: [], disabled: [], refs: 0 });
}

describe("refused events in Chromium", { skip }, () => {
  const app = ordersInBrowser();
  const newPage = (...init: (() => void)[]) => app.newPage(recordErrors, ...init);

  async function logIn(page: Page, name: string): Promise<void> {
    await page.goto(`${app.server.url}/login/?next=/`);
    await page.fill("input[name=username]", name);
    await page.fill("input[name=password]", name);
    await page.click("#login");
    await page.waitForURL(`${app.server.url}/`);
    await connected(page);
  }

  it("a submit refused by the handler's schema leaves the form usable", async () => {
    const page = await newPage();
    await page.goto(`${app.server.url}/sync/`);
    await connected(page);
    await page.fill("#post-form input[name=text]", "   ");
    await page.click("#post-form button[type=submit]");

    const [refusal] = await errorsSeen(page, 1);
    assert.equal(refusal?.error, "validation_error");
    assert.deepEqual(refusal?.details, { text: ["Type a message first."] });
    const notice = page.locator(".djust-error-notice");
    await notice.waitFor();
    assert.equal(await notice.getAttribute("role"), "alert");
    assert.equal(await notice.getAttribute("data-error"), "validation_error");
    assert.match(
      (await notice.textContent()) ?? "",
      /Invalid parameters\..*Type a message first\./,
    );
    await shoot(page, "refused-submit");
    await assertUsable(page);
    assert.equal(
      await page
        .locator("#post-form input[name=text]")
        .evaluate((i: HTMLInputElement) => i.readOnly),
      false,
    );

    // The close button dismisses the notice.
    await notice.getByRole("button", { name: "Dismiss" }).click();
    await notice.waitFor({ state: "detached" });

    // The next, valid submit goes through.
    await page.fill("#post-form input[name=text]", "after the refusal");
    await page.click("#post-form button[type=submit]");
    await page.waitForFunction(() =>
      document.querySelector("#messages")?.textContent?.includes("after the refusal"),
    );
    await assertUsable(page);
    assert.equal((await errorsSeen(page, 1)).length, 1, "no error for the valid submit");
  });

  it("an event refused for a missing permission leaves the page usable", async () => {
    const page = await newPage();
    // Timers run as usual until fast-forwarded (to check that notices hide by themselves).
    await page.clock.install();
    await logIn(page, "bob");
    const id = app.orders.db.orders("pending")[0]?.id;
    assert.ok(id !== undefined);
    // bob may ship but not refund: the page offers him no refund button…
    assert.equal(await page.locator(`#order-${id} button.ship`).count(), 1);
    assert.equal(await page.locator("button.refund").count(), 0);
    // …and a refund sent anyway (as a button would send it) is refused by the server.
    await pushEvent(page, "refund", { order_id: String(id) });

    const [refusal] = await errorsSeen(page, 1);
    assert.equal(refusal?.error, "permission_denied");
    const notice = page.locator(".djust-error-notice");
    await notice.waitFor();
    assert.equal(await notice.textContent(), `${refusal?.message}×`);
    await shoot(page, "refused-click");
    await assertUsable(page);
    assert.equal(app.orders.db.order(id)?.status, "pending");

    // bob may ship: the next action works and its result is on the page.
    await page.click(`#order-${id} button.ship`);
    await page.waitForSelector(`#order-${id}.status-shipped`);
    assert.equal(await page.textContent(`#order-${id} td.status`), "shipped");
    await assertUsable(page);
    // A second refusal shows a second notice next to the first (until it hides by itself).
    await pushEvent(page, "refund", { order_id: String(id) });
    assert.equal((await errorsSeen(page, 2))[1]?.error, "permission_denied");
    await page.waitForFunction(() => document.querySelectorAll(".djust-error-notice").length === 2);
    await shoot(page, "two-notices");
    await assertUsable(page);
    await page.clock.fastForward(10_000);
    await page.waitForFunction(() => !document.querySelector(".djust-error-notice"));
  });

  it("errorNotice: false shows no notice but still dispatches djust:error", async () => {
    const page = await newPage(turnNoticeOff);
    await page.goto(`${app.server.url}/`);
    await connected(page);
    // Anonymous users may not change statuses: no button, and an event sent anyway is refused.
    assert.equal(await page.locator("button.ship").count(), 0);
    const id = app.orders.db.orders("pending")[0]!.id;
    await pushEvent(page, "update_status", { order_id: String(id), status: "shipped" });
    const [refusal] = await errorsSeen(page, 1);
    assert.equal(refusal?.error, "unauthenticated");
    assert.ok(refusal?.message);
    await assertUsable(page);
    // A later event's reply arrives after the refusal's, so no notice can still be on its way.
    await page.click("a[href='/?status=pending']");
    await page.waitForURL(`${app.server.url}/?status=pending`);
    assert.equal(await page.locator(".djust-error-notice").count(), 0);
    assert.equal(app.orders.db.order(id)?.status, "pending");
  });
});
