/**
 * `djust/testing` with LiveComponents: an element with `dj-target="{{ myself }}"` sends its
 * event to its component (as the browser client does), `component(Class, id)` reads a
 * component's state, and a target that names nothing fails the test.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { z } from "zod";
import {
  eventHandler,
  html,
  LiveComponent,
  liveComponent,
  LiveView,
  type RenderContext,
} from "../../src/index.js";
import { LiveViewTestClient } from "../../src/testing/index.js";
import { restorable } from "../../src/live/snapshot.js";
import { MemoryStateBackend } from "../../src/state/backends/memory.js";
import { BadgeView, Badge, Counter, CounterPage } from "./component-views.js";

const templateDirs = [fileURLToPath(new URL("../fixtures/templates", import.meta.url))];

class Note extends LiveComponent {
  id = "";
  text = "";
  override render(assigns: RenderContext) {
    return html`<form id=${`note-${String(assigns.id)}`} dj-submit="save" dj-target=${assigns.myself}>
      <input name="text" value=${assigns.text} /><button>Save</button>
    </form>`;
  }
  @eventHandler({ params: z.object({ text: z.string().min(1) }) })
  save({ text }: { text: string }) {
    this.text = text;
  }
}

class NotesView extends LiveView {
  override render() {
    return html`<div>${liveComponent(Note, { id: "n1", text: "first" })}</div>
      <button id="stray" dj-click="inc" dj-target="#somewhere">Stray</button>`;
  }
}

describe("djust/testing and components", () => {
  it("clicks inside a component: the event goes to that component, which alone changes", async () => {
    const view = await LiveViewTestClient.mount(CounterPage, {
      templateDirs,
      components: [Counter],
    });
    const result = await view.element("#counter-b button", "Inc").click();
    assert.equal(result.error, undefined);
    assert.deepEqual(result.diff, { c: { 2: { 2: "1" } } });
    assert.equal(view.element("#counter-b .count").text(), "1");
    assert.equal(view.element("#counter-a .count").text(), "0");
    assert.equal(view.component(Counter, "b")?.count, 1);
    assert.equal(view.component(Counter, "a")?.count, 0);
    assert.equal(view.component(Counter, "nope"), undefined);
    // Direct events name the target by cid.
    await view.click("inc", {}, { target: 2 });
    assert.equal(view.component(Counter, "b")?.count, 2);
    const missing = await view.click("inc", {}, { target: 42 });
    assert.deepEqual(missing.error, {
      error: "not_found",
      message: "CounterPage has no component 42.",
    });
  });

  it("checks the component's handlers, submits a component's form, reads html`` components", async () => {
    const view = await LiveViewTestClient.mount(NotesView);
    const refused = await view.form("#note-n1").submit({ text: "" });
    assert.equal(refused.error?.error, "validation_error");
    await view.form("#note-n1").submit({ text: "second" });
    assert.equal(view.component(Note, "n1")?.text, "second");
    assert.match(view.render(), /value="second"/);
    await assert.rejects(
      () => view.element("#stray").click(),
      /sends events to dj-target="\{\{ myself \}\}" \(a component's cid\), not to the selector "#somewhere"/,
    );
    const badges = await LiveViewTestClient.mount(BadgeView);
    await assert.rejects(() => badges.element(".badge", "x:0").keyup("Enter"), /has no dj-keyup/);
    await badges.element(".badge", "y:0").click();
    assert.equal(badges.component(Badge, 1)?.clicks, 1);
    assert.equal(badges.component(Badge, 0)?.clicks, 0);
  });

  it("names the component when its handler does not exist", async () => {
    class Typo extends LiveComponent {
      id = "t";
      override render() {
        return html`<button dj-click="hitt" dj-target=${this.myself}>Go</button>`;
      }
      @eventHandler
      hit() {}
    }
    class TypoView extends LiveView {
      override render() {
        return html`<div>${liveComponent(Typo, { id: "t" })}</div>`;
      }
    }
    const view = await LiveViewTestClient.mount(TypoView);
    await assert.rejects(
      () => view.element("button").click(),
      /dj-click="hitt" on <button[^>]*> names no handler of Typo; did you mean "hit"\?/,
    );
  });
});

describe("components in a view's snapshot", () => {
  /** What `setup` wires on each instance (a service), and not part of any snapshot. */
  let release = "r1";

  class Stamp extends LiveComponent {
    id = 0;
    release = "";
    count = 0;
    @eventHandler
    inc() {
      this.count++;
    }
    override render(a: RenderContext) {
      return html`<p id=${`stamp-${String(a.id)}`}>${a.release} ${a.count}</p>`;
    }
  }

  class Stamps extends LiveView {
    ids = [1, 2];
    _release = "";
    override setup() {
      this._release = release;
    }
    override render() {
      return html`<div>${this.ids.map((id) => liveComponent(Stamp, { id, release: this._release }))}</div>`;
    }
  }

  it("a restored component is stored again only when the restore changed it", async () => {
    const stateBackend = new MemoryStateBackend();
    const writes: string[][] = [];
    const patch = stateBackend.patch.bind(stateBackend);
    stateBackend.patch = (key, written, ttl) => {
      writes.push([...written.fields.keys(), ...written.removed]);
      return patch(key, written, ttl);
    };
    const first = await LiveViewTestClient.mount(Stamps, { stateBackend });
    await first.click("inc", {}, { target: 2 });
    await first.close();
    assert.deepEqual(writes, [["_c:2"]]);
    // Restored as they were: nothing to store again.
    writes.length = 0;
    const same = await LiveViewTestClient.mount(Stamps, {
      stateBackend,
      id: first.id,
      deadRender: false,
    });
    await same.close();
    assert.deepEqual(writes, []);
    // The restore's `update` gives them another release: both are stored again.
    release = "r2";
    const moved = await LiveViewTestClient.mount(Stamps, {
      stateBackend,
      id: first.id,
      deadRender: false,
    });
    assert.match(moved.render(), /r2 1/);
    await moved.close();
    assert.deepEqual(writes, [["_c:1", "_c:2"]]);
    const stored = restorable(await stateBackend.get(first.id));
    assert.deepEqual(
      stored?.components?.list.map((c) => [c.cid, c.state.release, c.state.count]),
      [
        [1, "r2", 0],
        [2, "r2", 1],
      ],
    );
  });
  class Shown extends LiveView {
    ids: number[] = [];
    n = 0;
    override handleParams(params: Record<string, string>) {
      this.ids = (params.ids ?? "").split(",").filter(Boolean).map(Number);
    }
    @eventHandler
    bump() {
      this.n++;
    }
    override render() {
      return html`<div>${this.ids.map((id) => liveComponent(Stamp, { id, release: "r" }))}</div>`;
    }
  }

  it("a component a restored view no longer places leaves the stored snapshot", async () => {
    const stateBackend = new MemoryStateBackend();
    const url = (ids: string) => `http://testserver/?ids=${ids}`;
    const first = await LiveViewTestClient.mount(Shown, { stateBackend, url: url("1,2") });
    await first.click("inc", {}, { target: 2 });
    await first.click("inc", {}, { target: 2 });
    await first.close();
    const id = first.id;
    const fields = async () =>
      Object.keys((await stateBackend.get(id))?.state ?? {}).filter((k) => k.startsWith("_c:"));
    assert.deepEqual(await fields(), ["_c:1", "_c:2"]);
    // Back at a URL that shows only the first: the second is gone from the page and the store.
    const hidden = await LiveViewTestClient.mount(Shown, {
      stateBackend,
      id,
      deadRender: false,
      url: url("1"),
    });
    await hidden.click("bump");
    await hidden.close();
    assert.deepEqual(await fields(), ["_c:1"]);
    // Shown again: a new component, not the old one's state.
    const again = await LiveViewTestClient.mount(Shown, {
      stateBackend,
      id,
      deadRender: false,
      url: url("1,2"),
    });
    assert.equal(again.component(Stamp, 2)?.count, 0);
    await again.close();
  });

  it("components a record lists in its meta part are stored again as fields", async () => {
    const stateBackend = new MemoryStateBackend();
    // A record as written before each component was a field of its own.
    await stateBackend.set(
      "old",
      {
        v: 1,
        view: "Shown",
        state: { ids: [1, 2], n: 0 },
        components: {
          next: 3,
          list: [
            { cid: 1, component: "Stamp", id: 1, state: { id: 1, release: "r", count: 1 } },
            { cid: 2, component: "Stamp", id: 2, state: { id: 2, release: "r", count: 3 } },
          ],
        },
        privateFields: [],
        topics: [],
        flash: {},
        url: "http://testserver/?ids=1,2",
        savedAt: Date.now(),
      },
      60,
    );
    const options = {
      stateBackend,
      id: "old",
      deadRender: false,
      url: "http://testserver/?ids=1,2",
    };
    const upgraded = await LiveViewTestClient.mount(Shown, options);
    assert.equal(upgraded.component(Stamp, 2)?.count, 3);
    await upgraded.click("bump");
    await upgraded.close();
    const stored = await stateBackend.get("old");
    assert.deepEqual(stored?.components, { next: 3, list: [] });
    assert.deepEqual(
      Object.keys(stored?.state ?? {}).filter((k) => k.startsWith("_c:")),
      ["_c:1", "_c:2"],
    );
    const again = await LiveViewTestClient.mount(Shown, options);
    assert.deepEqual([again.component(Stamp, 1)?.count, again.component(Stamp, 2)?.count], [1, 3]);
    await again.close();
  });
});
