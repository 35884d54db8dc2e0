/**
 * docs/nested-views.md's example runs: the shop page renders its cart inline (with the session
 * the page gave it) and the sticky chat's container; the help page renders the same sticky id.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { app } from "../../docs/examples/nested-views-shop.js";

describe("docs/nested-views.md example", () => {
  it("renders the children inline, each in its container", async () => {
    const response = await app.fetch(new Request("http://localhost/shop/"));
    assert.equal(response.status, 200);
    const page = await response.text();
    assert.match(
      page,
      /<div id="cart" data-phx-session="[^"]+" data-phx-static="" data-phx-parent-id="phx-[^"]+"><p>0 items \(EUR\)/,
    );
    assert.match(
      page,
      /<div id="chat" data-phx-session="[^"]+" data-phx-static="" data-phx-sticky><aside>/,
    );
    const help = await (await app.fetch(new Request("http://localhost/help/"))).text();
    assert.match(help, /<div id="chat" [^>]*data-phx-sticky><aside>/);
    await app.close();
  });
});
