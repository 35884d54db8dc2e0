/**
 * End-to-end: temporary assigns through the official Phoenix LiveView client in headless
 * Chromium — what the dead render showed stays on screen when the view joins, and again after
 * a reconnect (the restore runs `mount` again for the fields snapshots hold at their defaults).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import type { Page } from "playwright-core";
import { LiveView } from "../../src/index.js";
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

const skip = browserSkipReason();
if (skip) process.stderr.write(`# e2e tests skipped: ${skip}\n`);

const templates = fileURLToPath(new URL("../fixtures/templates", import.meta.url));

class WelcomeView extends LiveView {
  static override templateName = "temporary.html";
  static override temporaryAssigns = { messages: [] };
  count = 0;
  messages: string[] = [];

  override mount(): void {
    this.messages = ["Welcome back"];
  }
}

/** The texts of the log's messages, in page order. */
function shown(page: Page): Promise<string[]> {
  return page.$$eval("#log > p", (items) => items.map((p) => p.textContent ?? ""));
}

describe("temporary assigns in Chromium", { skip }, () => {
  const app = createApp({ secretKey: "e2e", templateDirs: [templates], logger: errorsOnly });
  app.live("/", WelcomeView);
  const served = servedInChromium(app);

  it("keeps what the page showed when the view joins and after a reconnect", async () => {
    const context = await served.browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${served.url}/`);
      await connected(page);
      assert.deepEqual(await shown(page), ["Welcome back"]);
      await shoot(page, "temporary-joined");

      await disconnected(page, () => liveTransportOf(app.context).disconnectAll());
      await connected(page);
      assert.deepEqual(await shown(page), ["Welcome back"]);
      await shoot(page, "temporary-rejoined");
    } finally {
      await context.close();
    }
  });
});
