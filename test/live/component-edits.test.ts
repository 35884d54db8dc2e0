/**
 * A LiveComponent's work follows what a step changed, as a view's does: its stored field is
 * brought up to date by the step's edits (an edited row, a field set or deleted) rather than
 * written whole, and its loops re-render only the rows the step edited. Through `djust/testing`
 * with the memory backend, writes before each reply (`durability: "reply"`), and reconnects
 * that restore what was written.
 */
import assert from "node:assert/strict";
import { describe, it, mock } from "node:test";
import { z } from "zod";
import {
  eventHandler,
  html,
  LiveComponent,
  liveComponent,
  LiveView,
  type Rendered,
} from "../../src/index.js";
import { restorable } from "../../src/live/snapshot.js";
import { MemoryStateBackend } from "../../src/state/backends/memory.js";
import type { StoredPatch } from "../../src/state/backends/types.js";
import { TemplateLoader } from "../../src/template/index.js";
import { LiveViewTestClient } from "../../src/testing/index.js";
import type { Logger } from "../../src/logger.js";
import { RenderLog } from "../../src/live/render-log.js";

interface Row {
  id: number;
  name: string;
}

const ROWS = 2000;
const byAt = z.object({ at: z.number().int(), name: z.string() });

/** Keeps every incremental write. */
class Recording extends MemoryStateBackend {
  readonly patches: StoredPatch[] = [];
  override patch(key: string, patch: StoredPatch, ttl: number): Promise<boolean> {
    this.patches.push(patch);
    return super.patch(key, patch, ttl);
  }
}

class Table extends LiveComponent {
  static override templateName = "table.html";
  id = "";
  rows: Row[] = Array.from({ length: ROWS }, (_, id) => ({ id, name: `row ${id}` }));
  query = "";
  note?: string = "kept";
  /** The rows, also held outside tracking (set before tracking starts): writes through it are unseen. */
  _raw: Row[] = this.rows;

  @eventHandler({ params: byAt })
  rename({ at, name }: { at: number; name: string }) {
    this.rows[at]!.name = name;
  }

  @eventHandler({ params: z.object({ query: z.string() }) })
  search({ query }: { query: string }) {
    this.query = query;
  }

  @eventHandler
  forget() {
    delete this.note;
  }

  @eventHandler({ params: byAt })
  renameUnseen({ at, name }: { at: number; name: string }) {
    this._raw[at]!.name = name;
  }
}

class TablePage extends LiveView {
  override render(): Rendered {
    return html`<main>${liveComponent(Table, { id: "t" })}</main>`;
  }
}

const templates = new TemplateLoader({
  dirs: [],
  templates: {
    "table.html": `<div><p>{{ query }}</p><ul>{% for r in rows %}<li id="r{{ r.id }}">{{ r.name }}</li>{% endfor %}</ul></div>`,
  },
});

const mount = (stateBackend: MemoryStateBackend, id?: string) =>
  LiveViewTestClient.mount(TablePage, {
    templates,
    stateBackend,
    durability: "reply",
    ...(id !== undefined && { id, deadRender: false }),
  });

/** The last write's edits of component 1's field, parsed; fails if it was written whole. */
function lastEdits(backend: Recording): unknown {
  const patch = backend.patches.at(-1);
  assert.ok(patch, "a write");
  assert.equal(patch.fields.has("_c:1"), false, "not written whole");
  return JSON.parse(patch.deltas.get("_c:1") ?? "null");
}

describe("a LiveComponent's snapshot writes follow the change", () => {
  it("stores one edited row of 2,000 as that edit, a field set or deleted as itself", async () => {
    const backend = new Recording();
    const view = await mount(backend);
    try {
      // The first write after the join stores the component whole (the store's copy is the
      // page's); the ones after it are edits.
      await view.event("rename", { at: 5, name: "first" }, { target: 1 });
      assert.equal(backend.patches.at(-1)?.fields.has("_c:1"), true);
      await view.event("rename", { at: 1234, name: "edited" }, { target: 1 });
      assert.deepEqual(lastEdits(backend), [["s", ["state", "rows", 1234], "name", "edited"]]);
      await view.event("search", { query: "abc" }, { target: 1 });
      assert.deepEqual(lastEdits(backend), [["s", ["state"], "query", "abc"]]);
      await view.event("forget", {}, { target: 1 });
      assert.deepEqual(lastEdits(backend), [["d", ["state"], "note"]]);
      const bytes = backend.patches.slice(-3).map((p) => p.deltas.get("_c:1")?.length ?? 0);
      assert.ok(
        bytes.every((n) => n < 100),
        `edits of ${bytes.join(", ")} B (the component is 60 kB)`,
      );
    } finally {
      await view.close();
    }
    const stored = restorable(await backend.get(view.id))?.components?.list[0]?.state;
    assert.deepEqual(Object.keys(stored ?? {}), ["id", "rows", "query"]);
    const again = await mount(backend, view.id);
    try {
      assert.equal(again.restored, true);
      const table = again.component(Table, "t") as Table;
      assert.deepEqual(
        [table.rows[5]?.name, table.rows[1234]?.name, table.rows[6]?.name, table.query],
        ["first", "edited", "row 6", "abc"],
      );
      assert.equal(again.element("#r1234").text(), "edited");
    } finally {
      await again.close();
    }
  });

  it("writes whole a component whose state has a `$type` field, which edits cannot address", async () => {
    class Tagged extends LiveComponent {
      id = "";
      $type = "kind";
      rows = [{ n: 0 }, { n: 0 }];
      @eventHandler
      bump() {
        this.rows[1]!.n++;
      }
      override render() {
        return html`<p>${this.$type} ${this.rows[1]!.n}</p>`;
      }
    }
    class TaggedPage extends LiveView {
      override render(): Rendered {
        return html`<main>${liveComponent(Tagged, { id: "x" })}</main>`;
      }
    }
    const backend = new Recording();
    const view = await LiveViewTestClient.mount(TaggedPage, {
      stateBackend: backend,
      durability: "reply",
    });
    for (let i = 0; i < 3; i++) await view.event("bump", {}, { target: 1 });
    assert.deepEqual(
      backend.patches.map((p) => [p.fields.has("_c:1"), p.deltas.has("_c:1")]),
      [
        [true, false],
        [true, false],
        [true, false],
      ],
    );
    await view.close();
    const again = await LiveViewTestClient.mount(TaggedPage, {
      stateBackend: backend,
      id: view.id,
      deadRender: false,
    });
    assert.equal(again.restored, true);
    assert.equal(again.element("p").text(), "kind 3");
    await again.close();
  });

  it("drops the record of a component whose changed field cannot be snapshotted", async () => {
    class Opaque {
      readonly at = 1;
    }
    class Holder extends LiveComponent {
      id = "";
      rows = [{ n: 0 }];
      value: unknown = null;
      @eventHandler
      bump() {
        this.rows[0]!.n++;
      }
      @eventHandler
      hold() {
        this.value = new Opaque();
      }
      override render() {
        return html`<p>${this.rows[0]!.n}</p>`;
      }
    }
    class HolderPage extends LiveView {
      override render(): Rendered {
        return html`<main>${liveComponent(Holder, { id: "h" })}</main>`;
      }
    }
    const warnings: string[] = [];
    const logger: Logger = {
      info() {},
      warn: (message) => warnings.push(message),
      error() {},
    };
    const backend = new Recording();
    const view = await LiveViewTestClient.mount(HolderPage, {
      stateBackend: backend,
      durability: "reply",
      logger,
    });
    await view.event("bump", {}, { target: 1 });
    await view.event("bump", {}, { target: 1 });
    assert.notEqual(await backend.get(view.id), null);
    await view.event("hold", {}, { target: 1 });
    // Not an edit that would store a lossy value: the record goes, a reconnect mounts afresh.
    assert.equal(await backend.get(view.id), null);
    assert.ok(
      warnings.some((w) => /HolderPage cannot be snapshotted and will be mounted again/.test(w)),
      warnings.join("\n"),
    );
    await view.close();
  });
});

describe("a LiveComponent's loops follow its row edits", () => {
  it("re-render the rows a step edited, and leave the others as rendered", async () => {
    // Mounted connected: `_raw` and `rows` are one array (a restore would part them).
    const view = await LiveViewTestClient.mount(TablePage, { templates, deadRender: false });
    try {
      // The first render from the edits (the loop compares every row with the full render's).
      await view.event("rename", { at: 0, name: "first" }, { target: 1 });
      // A write the component's tracking does not see: its row keeps what it showed, while
      // the row the next step edits through the tracked field renders anew.
      await view.event("renameUnseen", { at: 7, name: "unseen" }, { target: 1 });
      const result = await view.event("rename", { at: 8, name: "seen" }, { target: 1 });
      assert.deepEqual(result.diff, {
        c: { 1: { 1: { k: { 8: { 1: "seen" }, kc: ROWS } } } },
      } as unknown);
      assert.equal(view.element("#r7").text(), "row 7");
      assert.equal(view.element("#r8").text(), "seen");
    } finally {
      await view.close();
    }
  });
});

/** Tags kept sorted by the render itself (`getContextData()`), and a counter. */
class SortingComponent extends LiveComponent {
  id = "";
  tags = ["m", "c", "x"];
  n = 0;
  @eventHandler({ params: z.object({ tag: z.string() }) })
  add({ tag }: { tag: string }) {
    this.tags.push(tag);
  }
  @eventHandler
  inc() {
    this.n++;
  }
  override getContextData() {
    this.tags.sort();
    return {};
  }
  override render() {
    return html`<p>${this.tags.join(",")} ${this.n}</p>`;
  }
}

class SortingComponentPage extends LiveView {
  override render(): Rendered {
    return html`<main>${liveComponent(SortingComponent, { id: "s" })}</main>`;
  }
}

class SortingView extends LiveView {
  tags = ["m", "c", "x"];
  n = 0;
  @eventHandler({ params: z.object({ tag: z.string() }) })
  add({ tag }: { tag: string }) {
    this.tags.push(tag);
  }
  @eventHandler
  inc() {
    this.n++;
  }
  override getContextData() {
    this.tags.sort();
    return {};
  }
  override render(): Rendered {
    return html`<p>${this.tags.join(",")} ${this.n}</p>`;
  }
}

describe("state a render changes is stored once", () => {
  for (const [owner, View, target] of [
    ["a view", SortingView, undefined],
    ["a LiveComponent", SortingComponentPage, 1],
  ] as const) {
    it(`in ${owner}: the record holds what the page shows after every step, and after a reconnect`, async () => {
      const backend = new Recording();
      const view = await LiveViewTestClient.mount(View, {
        stateBackend: backend,
        durability: "reply",
      });
      const storedTags = async () => {
        const stored = restorable(await backend.get(view.id));
        return target === undefined ? stored?.state.tags : stored?.components?.list[0]?.state.tags;
      };
      try {
        for (const [event, payload] of [
          ["add", { tag: "a" }],
          ["inc", {}],
          ["add", { tag: "b" }],
          ["inc", {}],
        ] as const) {
          await view.event(event, payload, { target });
          assert.deepEqual(
            await storedTags(),
            view.element("p").text().split(" ")[0]?.split(","),
            event,
          );
        }
      } finally {
        await view.close();
      }
      const again = await LiveViewTestClient.mount(View, {
        stateBackend: backend,
        id: view.id,
        deadRender: false,
      });
      assert.equal(again.element("p").text(), "a,b,c,m,x 2");
      await again.close();
    });
  }
});

describe("a render() LiveComponent (no template)", () => {
  it("keeps no log of row edits, which only a template's loops would read", async () => {
    let notes = 0;
    const note = RenderLog.prototype.note;
    RenderLog.prototype.note = function (...args: Parameters<typeof note>) {
      notes++;
      note.apply(this, args);
    };
    try {
      const plain = await LiveViewTestClient.mount(SortingComponentPage);
      for (let i = 0; i < 5; i++) await plain.event("inc", {}, { target: 1 });
      await plain.close();
      assert.equal(notes, 0);
      // The same steps on a template component are noted (the spy sees them).
      const table = await mount(new Recording());
      await table.event("rename", { at: 1, name: "x" }, { target: 1 });
      await table.close();
      assert.ok(notes > 0);
    } finally {
      RenderLog.prototype.note = note;
    }
  });
});

/** Holds what its view passes: an order object and the view's rows. */
class OrderCard extends LiveComponent {
  id = "";
  order = { status: "" };
  items: Row[] = [];
  override render(): Rendered {
    return html`<div><p>${this.order.status}</p><ul>${this.items.map((r) => html`<li>${r.name}</li>`)}</ul></div>`;
  }
}

/** Passes objects of its state to a component, and edits them in place. */
class OrderPage extends LiveView {
  order = { status: "new" };
  rows: Row[] = [
    { id: 1, name: "a" },
    { id: 2, name: "b" },
  ];
  @eventHandler
  ship() {
    this.order.status = "shipped";
  }
  n = 0;
  @eventHandler
  rename() {
    this.rows[1]!.name = "B";
  }
  /** An edit beside a splice: where the edited row is, the step's edits do not tell. */
  @eventHandler
  renameAndAdd() {
    this.rows[0]!.name = "A";
    this.rows.push({ id: 3, name: "c" });
  }
  @eventHandler
  tick() {
    this.n++;
  }
  override render(): Rendered {
    return html`<main>${liveComponent(OrderCard, { id: "o", order: this.order, items: this.rows })}</main>`;
  }
}

/** Passes its rows on to a child of its own, and edits them in place. */
class Shelf extends LiveComponent {
  id = "";
  rows: Row[] = [
    { id: 1, name: "a" },
    { id: 2, name: "b" },
  ];
  @eventHandler
  rename() {
    this.rows[0]!.name = "A";
  }
  override render(): Rendered {
    return html`<section>${liveComponent(OrderCard, { id: "inner", items: this.rows })}</section>`;
  }
}

class ShelfPage extends LiveView {
  override render(): Rendered {
    return html`<main>${liveComponent(Shelf, { id: "s" })}</main>`;
  }
}

/** One row a view gives. */
class RowItem extends LiveComponent {
  id = 0;
  row: Row = { id: 0, name: "" };
  override render(): Rendered {
    return html`<li>${this.row.name}</li>`;
  }
}

/** Gives each of its rows to a component of its own. */
class RowsPage extends LiveView {
  rows: Row[] = [
    { id: 1, name: "a" },
    { id: 2, name: "b" },
  ];
  @eventHandler
  rename() {
    this.rows[1]!.name = "B";
  }
  /** After the splice, the edited row is no longer where the edit's path says. */
  @eventHandler
  renameAndInsert() {
    this.rows[0]!.name = "A";
    this.rows.unshift({ id: 0, name: "z" });
  }
  override render(): Rendered {
    return html`<ul>${this.rows.map((row) => liveComponent(RowItem, { id: row.id, row }))}</ul>`;
  }
}

/** Shows the date its view gives. */
class DueDate extends LiveComponent {
  id = "";
  due = new Date(0);
  override render(): Rendered {
    return html`<time>${this.due.toISOString().slice(0, 10)}</time>`;
  }
}

/** Moves a date of its state in place (`setTime`) and gives it to a component. */
class DuePage extends LiveView {
  plan = { due: new Date(Date.UTC(2026, 11, 5)) };
  @eventHandler
  postpone() {
    this.plan.due.setTime(this.plan.due.getTime() + 86_400_000);
  }
  override render(): Rendered {
    return html`<p>${liveComponent(DueDate, { id: "d", due: this.plan.due })}</p>`;
  }
}

interface Card {
  id: number;
  name: string;
  meta: { n: number };
}

class CardName extends LiveComponent {
  id = 0;
  card: Card = { id: 0, name: "", meta: { n: 0 } };
  override render(): Rendered {
    return html`<li>${this.card.name}</li>`;
  }
}

/** Keeps what it is given under another name. */
class CardMeta extends LiveComponent {
  id = 0;
  shown = { n: 0 };
  override update(assigns: Readonly<Record<string, unknown>>) {
    this.shown = assigns.meta as { n: number };
  }
  override render(): Rendered {
    return html`<b>${this.shown.n}</b>`;
  }
}

/** Edits cards, then moves them within the same step. */
class Board extends LiveView {
  cards: Card[] = [
    { id: 1, name: "b", meta: { n: 1 } },
    { id: 2, name: "c", meta: { n: 2 } },
  ];
  @eventHandler
  renameAndSort() {
    this.cards[0]!.name = "d";
    this.cards.sort((p, q) => p.name.localeCompare(q.name));
  }
  @eventHandler
  moveToEnd() {
    const [card] = this.cards.splice(0, 1);
    card!.meta.n = 99;
    this.cards.push(card!);
  }
  @eventHandler
  count() {
    this.cards[0]!.meta.n++;
  }
  /** Each card set anew at the other's place, after an edit inside one (stored whole). */
  @eventHandler
  swap() {
    const [first, second] = this.cards as [Card, Card];
    first.meta.n = 7;
    this.cards[0] = second;
    this.cards[1] = first;
  }
  override render(): Rendered {
    return html`<ul>${this.cards.map((card) => [
      liveComponent(CardName, { id: card.id, card }),
      liveComponent(CardMeta, { id: card.id, meta: card.meta }),
    ])}</ul>`;
  }
}

/** Cards in columns: one moves to another column (one splice in each), edited on the way. */
class Columns extends LiveView {
  columns: Card[][] = [
    [
      { id: 1, name: "a", meta: { n: 1 } },
      { id: 2, name: "b", meta: { n: 2 } },
    ],
    [{ id: 3, name: "c", meta: { n: 3 } }],
  ];
  @eventHandler
  move() {
    const [card] = this.columns[0]!.splice(0, 1);
    card!.name = "A";
    this.columns[1]!.unshift(card!);
  }
  override render(): Rendered {
    return html`${this.columns.map(
      (column) =>
        html`<ol>${column.map((card) => liveComponent(CardName, { id: card.id, card }))}</ol>`,
    )}`;
  }
}

/** Its `getContextData()` edits an object of its state that it gives a component. */
class Totals extends LiveView {
  order = { status: "0" };
  n = 1;
  @eventHandler
  inc() {
    this.n++;
  }
  override getContextData() {
    this.order.status = String(this.n * 10);
    return {};
  }
  override render(): Rendered {
    return html`<main>${liveComponent(OrderCard, { id: "o", order: this.order })}</main>`;
  }
}

/** Shows a column of rows it is given whole. */
class ColumnList extends LiveComponent {
  id = 0;
  column: Row[] = [];
  override render(): Rendered {
    return html`<p>${this.column.map((r) => r.name).join()}</p>`;
  }
}

/** Pushes into a column it gives, then gives a filtered copy instead, in one step. */
class Filtering extends LiveView {
  columns: Row[][] = [
    [
      { id: 1, name: "a" },
      { id: 2, name: "b" },
    ],
    [{ id: 3, name: "c" }],
  ];
  @eventHandler
  rename() {
    this.columns[1]![0]!.name = "C";
  }
  @eventHandler
  moveThenFilter() {
    const [row] = this.columns[1]!.splice(0, 1);
    this.columns[0]!.push(row!);
    this.columns[0] = this.columns[0]!.filter((r) => r.id % 2 === 0);
  }
  override render(): Rendered {
    return html`${this.columns.map((column, i) => liveComponent(ColumnList, { id: i, column }))}`;
  }
}

/** Keeps a part of the row it is given. */
class MetaOnly extends LiveComponent {
  id = "";
  meta = { n: 0 };
  override update(assigns: Readonly<Record<string, unknown>>) {
    this.meta = (assigns.card as Card).meta;
  }
  override render(): Rendered {
    return html`<b>${this.meta.n}</b>`;
  }
}

/** Rows in a map: its edits' paths go through the map, so which objects changed is not known. */
class Keyed extends LiveView {
  byKey = new Map<string, Card>([["a", { id: 1, name: "a", meta: { n: 1 } }]]);
  @eventHandler
  inc() {
    this.byKey.get("a")!.meta.n++;
  }
  override render(): Rendered {
    return html`${[...this.byKey].map(([key, card]) => liveComponent(MetaOnly, { id: key, card }))}`;
  }
}

/** The same with templates: the view's and the component's. */
class OrderTemplatePage extends OrderPage {
  static override templateName = "orders.html";
}

class OrderTemplateCard extends OrderCard {
  static override templateName = "card.html";
}

const orderTemplates = new TemplateLoader({
  dirs: [],
  templates: {
    "orders.html": `<main>{% live_component "order-template-card" id="o" order=order items=rows %}</main>`,
    "card.html": `<div><p>{{ order.status }}</p><ul>{% for r in items %}<li>{{ r.name }}</li>{% endfor %}</ul></div>`,
  },
});

describe("objects a view passes to a LiveComponent", () => {
  for (const [kind, Page, Card] of [
    ["html``", OrderPage, OrderCard],
    ["templates", OrderTemplatePage, OrderTemplateCard],
  ] as const) {
    it(`show and are stored as the view edits them in place (${kind})`, async () => {
      const backend = new MemoryStateBackend();
      const options = {
        stateBackend: backend,
        durability: "reply",
        templates: orderTemplates,
        components: [OrderTemplateCard],
      } as const;
      const view = await LiveViewTestClient.mount(Page, options);
      const page = (status: string, ...names: string[]) =>
        `<main><div><p>${status}</p><ul>${names.map((n) => `<li>${n}</li>`).join("")}</ul></div></main>`;
      try {
        assert.equal(view.render(), page("new", "a", "b"));
        await view.event("ship");
        assert.equal(view.render(), page("shipped", "a", "b"));
        await view.event("rename");
        assert.equal(view.render(), page("shipped", "a", "B"));
        await view.event("renameAndAdd");
        assert.equal(view.render(), page("shipped", "A", "B", "c"));
      } finally {
        await view.close();
      }
      const again = await LiveViewTestClient.mount(Page, {
        ...options,
        id: view.id,
        deadRender: false,
      });
      try {
        assert.equal(again.restored, true);
        assert.equal(again.render(), page("shipped", "A", "B", "c"));
        assert.deepEqual(again.component(Card, "o")?.order, { status: "shipped" });
      } finally {
        await again.close();
      }
    });
  }

  it("show as a component edits in place what it gives its own child", async () => {
    const view = await LiveViewTestClient.mount(ShelfPage);
    try {
      await view.event("rename", {}, { target: 1 });
      assert.equal(
        view.render(),
        "<main><section><div><p></p><ul><li>A</li><li>b</li></ul></div></section></main>",
      );
    } finally {
      await view.close();
    }
  });

  it("cost no render of a component whose objects the view's step did not edit", async () => {
    const view = await LiveViewTestClient.mount(OrderPage);
    try {
      const rendering = mock.method(view.component(OrderCard, "o") as OrderCard, "render");
      await view.event("tick");
      assert.equal(rendering.mock.callCount(), 0);
      await view.event("ship");
      assert.equal(rendering.mock.callCount(), 1);
    } finally {
      await view.close();
    }
  });

  it("show as the view edits the one it gives each row's component, edits beside a splice too", async () => {
    const view = await LiveViewTestClient.mount(RowsPage);
    try {
      await view.event("rename");
      assert.equal(view.render(), "<ul><li>a</li><li>B</li></ul>");
      await view.event("renameAndInsert");
      assert.equal(view.render(), "<ul><li>z</li><li>A</li><li>B</li></ul>");
    } finally {
      await view.close();
    }
  });

  it("show as the view moves a date it gives in place", async () => {
    const view = await LiveViewTestClient.mount(DuePage);
    try {
      await view.event("postpone");
      assert.equal(view.render(), "<p><time>2026-12-06</time></p>");
    } finally {
      await view.close();
    }
  });

  it("show as the view edits objects it then moves in the same step, and are stored so", async () => {
    const backend = new MemoryStateBackend();
    const options = { stateBackend: backend, durability: "reply" } as const;
    const view = await LiveViewTestClient.mount(Board, options);
    try {
      await view.event("renameAndSort");
      assert.equal(view.render(), "<ul><li>c</li><b>2</b><li>d</li><b>1</b></ul>");
      await view.event("moveToEnd");
      assert.equal(view.render(), "<ul><li>d</li><b>1</b><li>c</li><b>99</b></ul>");
      // Kept under another name than the assign's (`shown`), and edited in place.
      await view.event("count");
      assert.equal(view.render(), "<ul><li>d</li><b>2</b><li>c</li><b>99</b></ul>");
      await view.event("swap");
      assert.equal(view.render(), "<ul><li>c</li><b>99</b><li>d</li><b>7</b></ul>");
    } finally {
      await view.close();
    }
    const again = await LiveViewTestClient.mount(Board, {
      ...options,
      id: view.id,
      deadRender: false,
    });
    try {
      assert.equal(again.render(), "<ul><li>c</li><b>99</b><li>d</li><b>7</b></ul>");
    } finally {
      await again.close();
    }
  });

  it("show what the view's getContextData() edits as it renders", async () => {
    const view = await LiveViewTestClient.mount(Totals);
    try {
      await view.event("inc");
      assert.equal(view.render(), "<main><div><p>20</p><ul></ul></div></main>");
    } finally {
      await view.close();
    }
  });

  it("show as the view moves an edited object from one array to another", async () => {
    const view = await LiveViewTestClient.mount(Columns);
    try {
      await view.event("move");
      assert.equal(view.render(), "<ol><li>b</li></ol><ol><li>A</li><li>c</li></ol>");
    } finally {
      await view.close();
    }
  });

  it("are stored whole when the view gives another object in place of one it edited", async () => {
    const backend = new MemoryStateBackend();
    const options = { stateBackend: backend, durability: "reply" } as const;
    const view = await LiveViewTestClient.mount(Filtering, options);
    try {
      await view.event("rename");
      await view.event("moveThenFilter");
      assert.equal(view.render(), "<p>b</p><p></p>");
    } finally {
      await view.close();
    }
    assert.notEqual(await backend.get(view.id), null, "the record reads");
    const again = await LiveViewTestClient.mount(Filtering, {
      ...options,
      id: view.id,
      deadRender: false,
    });
    try {
      assert.equal(again.restored, true);
      assert.equal(again.render(), "<p>b</p><p></p>");
    } finally {
      await again.close();
    }
  });

  it("show, when the edited objects are not known, what a component keeps of a given object", async () => {
    const view = await LiveViewTestClient.mount(Keyed);
    try {
      await view.event("inc");
      assert.equal(view.render(), "<b>2</b>");
    } finally {
      await view.close();
    }
  });
});
