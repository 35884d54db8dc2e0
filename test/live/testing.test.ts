/**
 * `djust/testing`: LiveViewTestClient drives views through the same pipeline as the socket.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryPubSub } from "../../src/pubsub/memory.js";
import { AccessDenied, LiveViewTestClient } from "../../src/testing/index.js";
import { ChatView, CounterView, FormView, mounts, RefundView, SecretView } from "./views.js";

describe("LiveViewTestClient", () => {
  it("mounts once (dead render handed to the connected view) and runs clicks", async () => {
    const before = mounts.counter;
    const view = await LiveViewTestClient.mount(CounterView);
    assert.equal(mounts.counter, before + 1);
    assert.equal(view.restored, true);
    const result = await view.click("add", { by: 4 });
    assert.deepEqual(result.reply, { count: 4 });
    assert.deepEqual(result.diff, { "1": "4", r: { count: 4 } });
    assert.equal(view.assigns.count, 4);
    assert.match(view.render(), /<span id="count">4<\/span>/);
  });

  it("reports refused events like the socket does", async () => {
    const view = await LiveViewTestClient.mount(CounterView);
    assert.equal((await view.click("mount")).error?.error, "not_found");
    assert.equal((await view.click("add", { by: "x" })).error?.error, "validation_error");
    const boom = await view.click("boom");
    assert.equal(boom.error?.error, "handler_error");
    assert.equal(view.assigns.count, 100, "state a failing handler left is kept and rendered");
  });

  it("records pushed events, flashes, titles and navigation", async () => {
    const view = await LiveViewTestClient.mount(CounterView, { url: "http://t/?page=3" });
    assert.equal(view.assigns.page, "3");
    await view.click("effects");
    assert.deepEqual(view.pushedEvents, [["highlight", { id: 7 }]]);
    assert.deepEqual(view.flash, { info: "Saved!" });
    assert.equal(view.title, "New title");
    await view.click("nav");
    assert.equal(view.redirectedTo, "/other/");
    await view.click("next_page");
    assert.equal(view.url.search, "?page=2");
    assert.equal(view.assigns.page, "2");
    await view.patch("/?page=9");
    assert.equal(view.assigns.page, "9");
  });

  it("submits URL-encoded forms with string coercion", async () => {
    const view = await LiveViewTestClient.mount(FormView);
    await view.submit("save", { name: "Tea", qty: 2 });
    assert.deepEqual(view.assigns.saved, { name: "Tea", qty: 2 });
    assert.match(view.render(), /Tea × 2/);
  });

  it("checks permissions with the given user", async () => {
    const anon = await LiveViewTestClient.mount(RefundView);
    assert.equal((await anon.click("refund")).error?.error, "unauthenticated");
    const staff = await LiveViewTestClient.mount(RefundView, {
      user: { id: 1, permissions: ["orders.refund"] },
    });
    assert.equal((await staff.click("refund")).error, undefined);
    assert.equal(staff.assigns.done, true);
    await assert.rejects(LiveViewTestClient.mount(SecretView), AccessDenied);
  });

  it("delivers broadcasts between clients sharing a pub/sub", async () => {
    const pubsub = new MemoryPubSub();
    const a = await LiveViewTestClient.mount(ChatView, { pubsub });
    const b = await LiveViewTestClient.mount(ChatView, { pubsub });
    await a.event("say", { text: "hello" });
    await b.settle();
    assert.deepEqual(b.assigns.lines, ["hello"]);
    assert.match(b.render(), /<li>hello<\/li>/);
    assert.equal(b.takePushes().length, 1);
    await a.close();
    await b.close();
  });
});
