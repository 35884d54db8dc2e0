/**
 * `static temporaryAssigns`: a field sent with the render that follows its change, then set back
 * to its default without counting as a change, and held at its default in snapshots.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { z } from "zod";
import { eventHandler, LiveView } from "../../src/index.js";
import { MemoryStateBackend } from "../../src/state/backends/memory.js";
import { LiveViewTestClient } from "../../src/testing/index.js";

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
      assert.deepEqual(client.assigns.messages, []);
      const said = await client.click("say", { text: "hello" });
      assert.deepEqual(said.diff, {
        1: { s: ["<p>", "</p>"], k: { 0: { 0: "hello" }, kc: 1 } },
      });
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
