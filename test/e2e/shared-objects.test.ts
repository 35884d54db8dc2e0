/**
 * End-to-end: a row a view holds twice (in its table and as the selected row) stays one object
 * through the official client in headless Chromium: at the join that follows the page load, and
 * after the server drops the socket and the client rejoins a restored view. A change through
 * the selected row shows in the table too.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Page } from "playwright-core";
import { z } from "zod";
import { eventHandler, html, LiveView, type Rendered } from "../../src/index.js";
import { createApp } from "../../src/server/index.js";
import { liveTransportOf } from "../../src/server/live.js";
import {
  browserSkipReason,
  disconnected,
  errorsOnly,
  servedInChromium,
  shoot,
  until,
} from "../support/browser.js";
import { connected } from "../support/orders-browser.js";

const skip = browserSkipReason();
if (skip) process.stderr.write(`# e2e tests skipped: ${skip}\n`);

interface Row {
  id: number;
  qty: number;
}

class PickView extends LiveView {
  rows: Row[] = [];
  selected: Row | null = null;

  override mount() {
    this.rows = [1, 2, 3].map((id) => ({ id, qty: 0 }));
    this.selected = this.rows[0]!;
  }

  @eventHandler({ params: z.object({ id: z.coerce.number().int() }) })
  pick({ id }: { id: number }) {
    this.selected = this.rows.find((r) => r.id === id) ?? null;
  }

  @eventHandler
  bump() {
    if (this.selected) this.selected.qty++;
  }

  override render(): Rendered {
    return html`<table>
        ${this.rows.map(
          (r) =>
            html`<tr id="row-${r.id}">
              <td>${r.id}</td>
              <td class="qty">${r.qty}</td>
              <td><button class="pick" dj-click="pick" dj-value-id="${r.id}">Pick</button></td>
            </tr>`,
        )}
      </table>
      <p id="selected">row ${this.selected?.id}: <b class="qty">${this.selected?.qty}</b></p>
      <button id="bump" dj-click="bump">+1 on the selected row</button>`;
  }
}

const qty = (page: Page, selector: string) => page.textContent(`${selector} .qty`);

describe("a row shared by two fields in Chromium", { skip }, () => {
  const app = createApp({ secretKey: "e2e", logger: errorsOnly });
  app.live("/", PickView);
  const served = servedInChromium(app);

  it("stays one row at the join after the page load and after a reconnect", async () => {
    const context = await served.browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${served.url}/`);
      await connected(page);
      // Shared in mount, during the page load; the join restored the page's snapshot.
      await page.click("#bump");
      await until(async () => (await qty(page, "#selected")) === "1", "the selected row shows 1");
      assert.equal(await qty(page, "#row-1"), "1", "the table's row is the selected one");

      // Shared by a handler, then the socket drops and the client rejoins a restored view.
      await page.click("#row-3 .pick");
      await until(
        async () => (await page.textContent("#selected"))?.startsWith("row 3") === true,
        "row 3 selected",
      );
      await page.click("#bump");
      await until(async () => (await qty(page, "#row-3")) === "1", "row 3 shows 1");
      await disconnected(page, () => liveTransportOf(app.context).disconnectAll());
      await connected(page);
      await page.click("#bump");
      await until(async () => (await qty(page, "#selected")) === "2", "the selected row shows 2");
      assert.equal(await qty(page, "#row-3"), "2", "the table's row is still the selected one");
      assert.equal(await qty(page, "#row-1"), "1");
      await shoot(page, "shared-row-after-reconnect");
    } finally {
      await context.close();
    }
  });
});
