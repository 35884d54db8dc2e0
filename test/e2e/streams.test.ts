/**
 * End-to-end: a stream through the official Phoenix LiveView client in headless Chromium — the
 * dead render's items kept by the join, inserts appended once, and a reconnect in the middle
 * (the server drops every socket; the view is restored from its snapshot, `mount` fills the
 * stream again) that neither empties nor duplicates what the page shows.
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
import { connected } from "../support/orders-browser.js";
import { songs, SongsView } from "../live/stream-views.js";

const skip = browserSkipReason();
if (skip) process.stderr.write(`# e2e tests skipped: ${skip}\n`);

const templates = fileURLToPath(new URL("../fixtures/templates", import.meta.url));

/** The ids of the stream's children, in page order. */
function shown(page: Page): Promise<string[]> {
  return page.$$eval("#songs > li", (items) => items.map((li) => li.id));
}

describe("streams in Chromium", { skip }, () => {
  const app = createApp({ secretKey: "e2e", templateDirs: [templates], logger: errorsOnly });
  app.live("/", SongsView);
  const served = servedInChromium(app);

  it("keeps the stream on screen across a reconnect, without duplicates", async () => {
    songs.splice(0, songs.length, { id: 1, name: "Song 1" }, { id: 2, name: "Song 2" });
    const context = await served.browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${served.url}/`);
      await connected(page);
      assert.deepEqual(await shown(page), ["song-1", "song-2"]);

      await page.click("#add");
      await page.waitForSelector("#song-3");
      assert.deepEqual(await shown(page), ["song-1", "song-2", "song-3"]);
      await shoot(page, "stream-before-reconnect");

      // The server drops the socket; the client reconnects and rejoins.
      await disconnected(page, () => liveTransportOf(app.context).disconnectAll());
      await connected(page);
      assert.deepEqual(await shown(page), ["song-1", "song-2", "song-3"]);
      assert.equal(await page.textContent("#song-3"), "Song 3");
      await shoot(page, "stream-after-reconnect");

      // The rejoined view streams on: one more item, once.
      await page.click("#add");
      await page.waitForSelector("#song-4");
      assert.deepEqual(await shown(page), ["song-1", "song-2", "song-3", "song-4"]);
      await shoot(page, "stream-after-insert");
    } finally {
      await context.close();
    }
  });
});
