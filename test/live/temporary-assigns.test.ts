/**
 * `static temporaryAssigns`: a field sent with the render that follows its change, then set back
 * to its default without counting as a change, and held at its default in snapshots; a restore
 * (the first join after the page, a reconnect) runs `mount` again for it, so the join reply
 * sends what the page shows instead of emptying it.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { z } from "zod";
import { eventHandler, LiveView } from "../../src/index.js";
import { MemoryStateBackend } from "../../src/state/backends/memory.js";
import { LiveViewTestClient } from "../../src/testing/index.js";
import { serveLive } from "../support/live-server.js";
import { loadPage, RawClient, response } from "./helpers.js";

class LogView extends LiveView {
  static override templateName = "temporary.html";
  static override temporaryAssigns = { messages: [] };
  count = 0;
  messages: string[] = [];

  override mount(): void {
    this.messages = ["welcome"];
  }

  @eventHandler({ params: z.object({ text: z.string() }) })
  say({ text }: { text: string }) {
    this.messages.push(text);
  }

  @eventHandler
  bump() {
    this.count++;
  }
}

const templateDirs = [fileURLToPath(new URL("../fixtures/templates", import.meta.url))];

describe("temporary assigns", () => {
  it("sends the field once, then holds its default without re-rendering", async () => {
    const backend = new MemoryStateBackend();
    const client = await LiveViewTestClient.mount(LogView, { templateDirs, stateBackend: backend });
    try {
      // Mount's value went out with the first render, then the field was reset.
      assert.equal(client.restored, true, "the join restored the dead render's snapshot");
      assert.deepEqual(client.assigns.messages, []);
      // The join's render sent mount's messages, statics and all: a diff sends only the items.
      const said = await client.click("say", { text: "hello" });
      assert.deepEqual(said.diff, { 1: { k: { 0: { 0: "hello" }, kc: 1 } } });
      assert.deepEqual(client.assigns.messages, []);
      // The reset is no change: the next event sends only what it changed.
      assert.deepEqual((await client.click("bump")).diff, { 0: "1" });
      assert.deepEqual((await client.click("say", { text: "again" })).diff, {
        1: { k: { 0: { 0: "again" }, kc: 1 } },
      });
    } finally {
      await client.close();
    }
    const stored = await backend.get(client.id);
    assert.ok(stored, "closing saved the snapshot");
    assert.doesNotMatch(JSON.stringify(stored.state), /hello|again|welcome/);
  });
});

/** Where `HistoryView` keeps its messages (its database), and how often it mounted. */
const history: string[] = [];
let mounts = 0;

class HistoryView extends LiveView {
  static override templateName = "temporary.html";
  static override temporaryAssigns = { messages: [] };
  count = 0;
  messages: string[] = [];

  override mount(): void {
    mounts++;
    this.messages = history.slice();
  }

  @eventHandler({ params: z.object({ text: z.string() }) })
  say({ text }: { text: string }) {
    history.push(text);
    this.messages.push(text);
  }

  @eventHandler
  bump() {
    this.count++;
  }
}

describe("temporary assigns over a WebSocket", () => {
  const live = serveLive({ templateDirs }, (app) => {
    app.live("/", HistoryView);
  });

  it("joins and rejoins with mount's values, the rest of the state from the snapshot", async () => {
    history.splice(0, history.length, "welcome");
    const mountsBefore = mounts;
    const page = await loadPage(`${live.url}/`);
    assert.match(page.html, /<div id="log"><p>welcome<\/p><\/div>/);
    const client = live.track(await RawClient.connect(live.url, { cookie: page.cookie }));
    const joined = await client.join(page, live.url);
    assert.equal(joined.payload.status, "ok", JSON.stringify(joined.payload));
    // The page's message again, not an empty log that would blank what the page shows.
    const rendered = response(joined).rendered as Record<string, unknown>;
    assert.equal(rendered[0], "0");
    assert.deepEqual(rendered[1], { s: ["<p>", "</p>"], k: { 0: { 0: "welcome" }, kc: 1 } });
    assert.equal(mounts, mountsBefore + 2, "the dead render mounted, and the restore again");

    assert.deepEqual(response(await client.event(page, "click", "bump", {})).diff, { 0: "1" });
    assert.deepEqual(response(await client.event(page, "click", "say", { text: "hi" })).diff, {
      1: { k: { 0: { 0: "hi" }, kc: 1 } },
    });
    client.close();
    await client.closed();
    const stored = await live.backend.get(page.id);
    assert.ok(stored, "closing saved the snapshot");
    assert.equal(stored.state.count, 1);
    assert.deepEqual(stored.state.messages, []);

    // A reconnect restores the count and sends what mount reads now (both messages).
    const again = live.track(await RawClient.connect(live.url, { cookie: page.cookie }));
    const rejoined = await again.join(page, live.url);
    assert.equal(rejoined.payload.status, "ok", JSON.stringify(rejoined.payload));
    const restored = response(rejoined).rendered as Record<string, unknown>;
    assert.equal(restored[0], "1");
    assert.deepEqual(restored[1], {
      s: ["<p>", "</p>"],
      k: { 0: { 0: "welcome" }, 1: { 0: "hi" }, kc: 2 },
    });
    assert.equal(mounts, mountsBefore + 3);
  });
});
