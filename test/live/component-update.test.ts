/**
 * When a LiveComponent's `update` runs: each time a render places it with assigns other than
 * its last placement's (compared by identity), or gives it an object the view's step edited in
 * place, and for each `sendUpdate` — as Phoenix calls it only when the template's change
 * tracking re-evaluates the call. An html`` view places every component at each render, and a
 * template's slot is evaluated again when any name it reads changed: neither runs `update` for
 * a placement that gives what the last one gave. Through `djust/testing`.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it, mock } from "node:test";
import {
  eventHandler,
  html,
  LiveComponent,
  liveComponent,
  LiveView,
  type Rendered,
} from "../../src/index.js";
import { MemoryStateBackend } from "../../src/state/backends/memory.js";
import { TemplateLoader } from "../../src/template/index.js";
import { LiveViewTestClient } from "../../src/testing/index.js";

/** Sets its fields from its assigns; its own event changes one of them. */
class Counter extends LiveComponent {
  /** Makes `update` throw after it assigned the label. */
  static failing = false;
  id = "";
  count = 0;
  label = "";
  override update(assigns: Readonly<Record<string, unknown>>) {
    this.label = assigns.label as string;
    if (Counter.failing) throw new Error("update failed");
    this.count = assigns.count as number;
  }
  @eventHandler
  bump() {
    this.count++;
  }
  override render(): Rendered {
    return html`<p>${this.label}: ${this.count}</p>`;
  }
}

class CounterPage extends LiveView {
  start = 0;
  label = "a";
  ticks = 0;
  /** Changes nothing the component is given. */
  @eventHandler
  tick() {
    this.ticks++;
  }
  @eventHandler
  relabel() {
    this.label = this.label === "a" ? "b" : "a";
  }
  @eventHandler
  tell() {
    this.sendUpdate(Counter, "c", { count: 5, label: "told" });
  }
  override render(): Rendered {
    return html`<main>${this.ticks}${liveComponent(Counter, {
      id: "c",
      count: this.start,
      label: this.label,
    })}</main>`;
  }
}

/** The same with templates; the view's slot holding the component also reads `ticks`. */
class CounterTemplatePage extends CounterPage {
  static override templateName = "page.html";
}

class CounterTemplate extends Counter {
  static override templateName = "counter.html";
}

const templates = new TemplateLoader({
  dirs: [],
  templates: {
    "page.html": `<main>{% if ticks >= 0 %}{{ ticks }}{% live_component "counter-template" id="c" count=start label=label %}{% endif %}</main>`,
    "counter.html": `<p>{{ label }}: {{ count }}</p>`,
  },
});

/** Shows an object it was given by a `sendUpdate`, not by its placement. */
class Holder extends LiveComponent {
  id = "";
  meta = { n: 0 };
  override render(): Rendered {
    return html`<b>${this.meta.n}</b>`;
  }
}

class HolderPage extends LiveView {
  shared = { n: 1 };
  @eventHandler
  give() {
    this.sendUpdate(Holder, "h", { meta: this.shared });
  }
  @eventHandler
  inc() {
    this.shared.n++;
  }
  override render(): Rendered {
    return html`<div>${liveComponent(Holder, { id: "h" })}</div>`;
  }
}

/** Takes a row as its assigns (`liveComponent(RowItem, row)`): its fields are the row's. */
class RowItem extends LiveComponent {
  id = 0;
  name = "";
  override render(): Rendered {
    return html`<li>${this.name}</li>`;
  }
}

class RowsPage extends LiveView {
  rows = [
    { id: 1, name: "a" },
    { id: 2, name: "b" },
  ];
  @eventHandler
  rename() {
    this.rows[1]!.name = "B";
  }
  override render(): Rendered {
    return html`<ul>${this.rows.map((row) => liveComponent(RowItem, row))}</ul>`;
  }
}

/** Keeps the first of the rows it is given, computed in `update`. */
class FirstOf extends LiveComponent {
  id = "";
  rows: { n: number }[] = [];
  first = 0;
  override update(assigns: Readonly<Record<string, unknown>>) {
    this.rows = assigns.rows as { n: number }[];
    this.first = this.rows[0]?.n ?? 0;
  }
  override render(): Rendered {
    return html`<p>${this.first}</p>`;
  }
}

/** Sorts its rows in place as it renders (its render edits its state). */
class SortingPage extends LiveView {
  rows = [{ n: 1 }, { n: 3 }, { n: 2 }];
  desc = false;
  @eventHandler
  flip() {
    this.desc = !this.desc;
  }
  override render(): Rendered {
    this.rows.sort((p, q) => (this.desc ? q.n - p.n : p.n - q.n));
    return html`<main>${liveComponent(FirstOf, { id: "f", rows: this.rows })}</main>`;
  }
}

/** Its step edits a set: which objects changed is not known, and the counter is given none. */
class SetPage extends CounterPage {
  seen = new Set<number>();
  @eventHandler
  note() {
    this.seen.add(this.seen.size);
  }
}

/** A backend without incremental writes: no step's edits are kept. */
class WholeOnly extends MemoryStateBackend {}
Object.defineProperty(WholeOnly.prototype, "patch", { value: undefined });

const page = (ticks: number, shown: string) => `<main>${ticks}<p>${shown}</p></main>`;

afterEach(() => {
  Counter.failing = false;
  mock.restoreAll();
});

describe("a component placed again", () => {
  for (const [kind, Page, Component] of [
    ["html``", CounterPage, Counter],
    ["templates", CounterTemplatePage, CounterTemplate],
  ] as const) {
    it(`runs update only when what it is given changed, and keeps its own changes until then (${kind})`, async () => {
      const view = await LiveViewTestClient.mount(Page, { templates, components: [Component] });
      try {
        const updates = mock.method(view.component(Component, "c") as Counter, "update");
        await view.event("bump", {}, { target: 1 });
        assert.equal(view.render(), page(0, "a: 1"));
        // The view renders again and places it with the same assigns: no update, its count stays.
        await view.event("tick");
        await view.event("tick");
        assert.equal(view.render(), page(2, "a: 1"));
        assert.equal(updates.mock.callCount(), 0);
        // A new label: update runs and sets both fields from what it is given.
        await view.event("relabel");
        assert.equal(view.render(), page(2, "b: 0"));
        assert.equal(updates.mock.callCount(), 1);
        assert.deepEqual(updates.mock.calls[0]?.arguments, [{ id: "c", count: 0, label: "b" }]);
      } finally {
        await view.close();
      }
    });
  }

  it("keeps what a sendUpdate gave until a placement gives something else", async () => {
    const view = await LiveViewTestClient.mount(CounterPage);
    try {
      const updates = mock.method(view.component(Counter, "c") as Counter, "update");
      await view.event("tell");
      assert.equal(view.render(), page(0, "told: 5"));
      assert.equal(updates.mock.callCount(), 1);
      await view.event("tick");
      assert.equal(view.render(), page(1, "told: 5"));
      assert.equal(updates.mock.callCount(), 1);
      await view.event("relabel");
      assert.equal(view.render(), page(1, "b: 0"));
      assert.equal(updates.mock.callCount(), 2);
    } finally {
      await view.close();
    }
  });

  it("runs update for a placement whose update failed, though a sendUpdate succeeded since", async () => {
    const view = await LiveViewTestClient.mount(CounterPage);
    try {
      Counter.failing = true;
      await assert.rejects(view.event("relabel"), { message: "update failed" });
      Counter.failing = false;
      // The render places it again with what the failed placement gave, after the sendUpdate
      // (applied first) succeeded: its update runs all the same.
      await view.event("tell");
      assert.equal(view.render(), page(0, "b: 0"));
    } finally {
      await view.close();
    }
  });

  it("runs update again after one that failed, though the placement gives what the last good one gave", async () => {
    const view = await LiveViewTestClient.mount(CounterPage);
    try {
      await view.event("bump", {}, { target: 1 });
      Counter.failing = true;
      // The update assigns the label "b", then throws: the step fails, the page is unchanged.
      await assert.rejects(view.event("relabel"), { message: "update failed" });
      assert.equal(view.render(), page(0, "a: 1"));
      Counter.failing = false;
      // Back to "a", which the last update that succeeded was given: update runs again.
      await view.event("relabel");
      assert.equal(view.render(), page(0, "a: 0"));
    } finally {
      await view.close();
    }
  });

  it("shows an object it holds that the view edited in place, though its assigns are the same", async () => {
    const view = await LiveViewTestClient.mount(HolderPage);
    try {
      await view.event("give");
      assert.equal(view.render(), "<div><b>1</b></div>");
      await view.event("inc");
      assert.equal(view.render(), "<div><b>2</b></div>");
    } finally {
      await view.close();
    }
  });

  it("runs update when the assigns are one of the view's objects, which it edited in place", async () => {
    const view = await LiveViewTestClient.mount(RowsPage);
    try {
      await view.event("rename");
      assert.equal(view.render(), "<ul><li>a</li><li>B</li></ul>");
    } finally {
      await view.close();
    }
  });

  it("runs update when the view's render edited an object it gives", async () => {
    const view = await LiveViewTestClient.mount(SortingPage);
    try {
      assert.equal(view.render(), "<main><p>1</p></main>");
      await view.event("flip");
      assert.equal(view.render(), "<main><p>3</p></main>");
    } finally {
      await view.close();
    }
  });

  for (const [kind, stateBackend] of [
    ["a step's edits through a set", new MemoryStateBackend()],
    ["a backend that keeps no edits", new WholeOnly()],
  ] as const) {
    it(`keeps its own changes when given only values, whatever was edited (${kind})`, async () => {
      const view = await LiveViewTestClient.mount(SetPage, { stateBackend });
      try {
        const updates = mock.method(view.component(Counter, "c") as Counter, "update");
        await view.event("bump", {}, { target: 1 });
        await view.event("note");
        await view.event("tick");
        assert.equal(view.render(), page(1, "a: 1"));
        assert.equal(updates.mock.callCount(), 0);
      } finally {
        await view.close();
      }
    });
  }
});
