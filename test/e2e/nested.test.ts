/**
 * End-to-end: nested live views through the official Phoenix LiveView client in headless
 * Chromium — a page with a child view and a sticky child, events in the child that update only
 * the child, a reconnect in the middle (parent and children restored from their snapshots), and
 * live navigation that keeps the sticky child (same element, same state, not re-mounted) while
 * the non-sticky child is mounted afresh.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import type { Page } from "playwright-core";
import { createApp } from "../../src/server/index.js";
import { liveTransportOf } from "../../src/server/live.js";
import {
  browserSkipReason,
  disconnected,
  errorsOnly,
  servedInChromium,
  shoot,
} from "../support/browser.js";
import { CounterChildView, mounts, NotesView, PageAView, PageBView } from "../live/nested-views.js";

const skip = browserSkipReason();
if (skip) process.stderr.write(`# e2e tests skipped: ${skip}\n`);

const templates = fileURLToPath(new URL("../fixtures/templates", import.meta.url));

/** Waits until the main view and both children have joined. */
async function allJoined(page: Page): Promise<void> {
  for (const selector of ["[data-phx-main]", "#counter", "#notes"]) {
    await page.waitForSelector(`${selector}.phx-connected`, { timeout: 10_000 });
  }
}

async function textOf(page: Page, selector: string): Promise<string | null> {
  return page.textContent(selector);
}

describe("nested live views in Chromium", { skip }, () => {
  const app = createApp({ secretKey: "e2e", templateDirs: [templates], logger: errorsOnly });
  app.live("/", PageAView).live("/b/", PageBView).register(CounterChildView).register(NotesView);
  const served = servedInChromium(app);

  it("child events, a reconnect, and live navigation with a sticky child", async () => {
    const context = await served.browser.newContext({ viewport: { width: 900, height: 600 } });
    const page = await context.newPage();
    // Topics of the frames the server sends, to see which view each event touched.
    const topics: string[] = [];
    page.on("websocket", (ws) =>
      ws.on("framereceived", ({ payload }) => {
        const frame = JSON.parse(String(payload)) as [unknown, unknown, string, string];
        if (frame[2] !== "phoenix") topics.push(frame[2]);
      }),
    );
    try {
      const start = { ...mounts };
      await page.goto(`${served.url}/`);
      await allJoined(page);
      assert.equal(await textOf(page, "#count"), "Count: 5");
      assert.equal(await textOf(page, "#notes-count"), "Notes: 0");
      const mainId = await page.getAttribute("[data-phx-main]", "id");
      assert.equal(await page.getAttribute("#counter", "data-phx-parent-id"), mainId);
      assert.equal(await page.getAttribute("#notes", "data-phx-sticky"), "");
      // Each child mounted once, in the dead render; the joins restored them.
      assert.equal(mounts.counter, start.counter + 1);
      assert.equal(mounts.notes, start.notes + 1);
      await shoot(page, "nested-1-joined");

      // An event in the child: only the child's topic answers, only the child changes.
      topics.length = 0;
      await page.click("#inc");
      await page.waitForSelector("#count:text('Count: 6')");
      assert.deepEqual([...new Set(topics)], ["lv:counter"]);
      assert.equal(await textOf(page, "#parent-clicks"), "Parent clicks: 0");
      topics.length = 0;
      // One click at a time: the client ignores a click on a button still awaiting its reply.
      await page.click("#add-note");
      await page.waitForSelector("#notes-count:text('Notes: 1')");
      await page.click("#add-note");
      await page.waitForSelector("#notes-count:text('Notes: 2')");
      assert.deepEqual([...new Set(topics)], ["lv:notes"]);
      topics.length = 0;
      await page.click("#parent-click");
      await page.waitForSelector("#parent-clicks:text('Parent clicks: 1')");
      assert.deepEqual([...new Set(topics)], [`lv:${mainId}`]);
      assert.equal(await textOf(page, "#count"), "Count: 6");
      await shoot(page, "nested-2-events");

      // A reconnect in the middle: every view comes back from its snapshot, none re-mounts.
      const beforeReconnect = { ...mounts };
      await disconnected(page, () => liveTransportOf(app.context).disconnectAll());
      await allJoined(page);
      assert.equal(await textOf(page, "#parent-clicks"), "Parent clicks: 1");
      assert.equal(await textOf(page, "#count"), "Count: 6");
      assert.equal(await textOf(page, "#notes-count"), "Notes: 2");
      assert.deepEqual(mounts, beforeReconnect);
      await page.click("#inc");
      await page.waitForSelector("#count:text('Count: 7')");
      await shoot(page, "nested-3-reconnected");

      // Live navigation to page B: the sticky child is the same element with the same state;
      // the non-sticky counter is a new child, mounted afresh (page B starts it at 0).
      await page.$eval("#notes", (el) => el.setAttribute("data-marker", "kept"));
      topics.length = 0;
      await page.click("#to-b");
      await page.waitForSelector("#page-b");
      await allJoined(page);
      assert.equal(await textOf(page, "#count"), "Count: 0");
      assert.equal(await textOf(page, "#notes-count"), "Notes: 2");
      assert.equal(await page.getAttribute("#notes", "data-marker"), "kept");
      assert.equal(mounts.notes, beforeReconnect.notes, "the sticky child is not mounted again");
      assert.equal(mounts.counter, beforeReconnect.counter + 1);
      assert.equal(mounts.pageB, beforeReconnect.pageB + 1);
      assert.ok(!topics.includes("lv:notes"), "navigation did not touch the sticky child");
      assert.equal(new URL(page.url()).pathname, "/b/");
      await page.click("#add-note");
      await page.waitForSelector("#notes-count:text('Notes: 3')");
      await page.click("#inc");
      await page.waitForSelector("#count:text('Count: 1')");
      await shoot(page, "nested-4-page-b");

      // A reconnect on page B keeps the sticky child too, then back to page A.
      await disconnected(page, () => liveTransportOf(app.context).disconnectAll());
      await allJoined(page);
      assert.equal(await textOf(page, "#notes-count"), "Notes: 3");
      assert.equal(await textOf(page, "#count"), "Count: 1");
      await page.click("#to-a");
      await page.waitForSelector("#page-a");
      await allJoined(page);
      assert.equal(await textOf(page, "#notes-count"), "Notes: 3");
      assert.equal(await textOf(page, "#count"), "Count: 5");
      assert.equal(await page.getAttribute("#notes", "data-marker"), "kept");
      await shoot(page, "nested-5-back-to-a");
    } finally {
      await context.close();
    }
  });
});
