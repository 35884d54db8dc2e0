// Loops driven by the rows a step edited in place (RowEdits): a live view's event that edits a
// few items of a list re-renders those rows only, and so does a LiveComponent's. Checked against
// the same view rendered with memo-less loops: random sequences of in-place edits, pushes,
// splices, replacements, reorders and unrelated writes give byte-identical diffs and the same
// page; for the component, the snapshot written after each step (its edits) restores its state.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { html, LiveComponent, liveComponent, LiveView, eventHandler } from "../../src/index.js";
import { restorable } from "../../src/live/snapshot.js";
import { MemoryStateBackend } from "../../src/state/backends/memory.js";
import { renderToString } from "../../src/render/html.js";
import type { Comprehension, Rendered, RowEdits } from "../../src/render/tree.js";
import { TemplateLoader } from "../../src/template/index.js";
import { LiveViewTestClient } from "../../src/testing/index.js";
import { propertyRuns } from "../support/property-runs.js";

interface Row {
  id: number;
  name: string;
  n: number;
  meta: { tag: string; list: number[] };
}

// Each template exercises one way a loop meets the edits: positions, reversal, the row used
// whole, a loop hidden by an `if` while its list changes, two loops over one list, no keys.
const TEMPLATES = {
  counter: `<p>{{ other }}</p><ul>{% for r in rows %}<li id="r{{ r.id }}">{{ forloop.counter }}:{{ r.name }}</li>{% empty %}none{% endfor %}</ul>`,
  reversed: `{% for r in rows reversed %}<i>{{ r.name }}/{{ r.n }}</i>{% endfor %}{{ rows|length }}`,
  whole: `{% for r in rows %}[{{ r }}]{% endfor %}`,
  hidden: `{% if other|divisibleby:3 %}{% for r in rows %}<b>{{ r.name }}{{ r.n }}</b>{% endfor %}{% else %}hidden{% endif %}`,
  twice: `{% for r in rows %}{{ r.name }},{% endfor %}|{% for r in rows %}{{ r.n }};{% endfor %}{{ other }}`,
  unkeyed: `{% for r in rows %}<s>{{ r.name }}</s>{% endfor %}`,
  nested: `{% for r in rows %}<u id="{{ r.id }}">{{ r.meta.tag }}:{{ r.meta.list|join:"," }}</u>{% endfor %}`,
} as const;
type TemplateName = keyof typeof TEMPLATES;

let initialRows: Row[] = [];
let templateName: TemplateName = "counter";

type Op =
  | { op: "name"; at: number; value: string }
  | { op: "n"; at: number; value: number }
  | { op: "two"; at: number; to: number; value: string }
  | { op: "same"; at: number }
  | { op: "row"; at: number; value: string }
  | { op: "tag"; at: number; value: string }
  | { op: "meta"; at: number; value: string }
  | { op: "share"; at: number; to: number }
  | { op: "list"; at: number; value: number }
  | { op: "id"; at: number }
  | { op: "push" | "pop" | "splice" | "swap" | "reverse" | "copy" | "other" | "clear" };

const meta = (tag: string) => ({ tag, list: [tag.length] });

// New ids come with the event (`id`), so that both views of a run get the same ones.
function apply(view: { rows: Row[]; other: number }, op: Op, nextId: number): void {
  const rows = view.rows;
  const at = (i: number) => (rows.length === 0 ? undefined : rows[i % rows.length]);
  switch (op.op) {
    case "name": {
      const row = at(op.at);
      if (row) row.name = op.value;
      break;
    }
    case "n": {
      const row = at(op.at);
      if (row) row.n = op.value;
      break;
    }
    case "two": {
      const a = at(op.at);
      const b = at(op.to);
      if (a) a.name = op.value;
      if (b) b.n++;
      break;
    }
    case "same": {
      const row = at(op.at);
      if (row) row.name = `${row.name}`;
      break;
    }
    case "row":
      if (rows.length > 0)
        rows[op.at % rows.length] = { id: nextId, name: op.value, n: 0, meta: meta(op.value) };
      break;
    case "tag": {
      const row = at(op.at);
      if (row) row.meta.tag = op.value;
      break;
    }
    case "meta": {
      const row = at(op.at);
      if (row) row.meta = meta(op.value);
      break;
    }
    case "share": {
      const a = at(op.at);
      const b = at(op.to);
      if (a && b) a.meta = b.meta;
      break;
    }
    case "list": {
      const row = at(op.at);
      if (row) row.meta.list.push(op.value);
      break;
    }
    case "id": {
      const row = at(op.at);
      if (row) row.id = nextId;
      break;
    }
    case "push":
      rows.push({ id: nextId, name: "new", n: 1, meta: meta("new") });
      break;
    case "pop":
      rows.pop();
      break;
    case "splice":
      rows.splice(1, 1);
      break;
    case "swap":
      if (rows.length > 1) {
        const first = rows[0] as Row;
        rows[0] = rows[rows.length - 1] as Row;
        rows[rows.length - 1] = first;
      }
      break;
    case "reverse":
      rows.reverse();
      break;
    case "copy":
      view.rows = rows.map((r) => ({ ...r, meta: { ...r.meta, list: [...r.meta.list] } }));
      break;
    case "other":
      view.other++;
      break;
    case "clear":
      view.rows = [];
      break;
  }
}

/** A deep copy of the run's initial rows. */
const freshRows = () =>
  initialRows.map((r) => ({ ...r, meta: { ...r.meta, list: [...r.meta.list] } }));

class RowsView extends LiveView {
  static override templateName = "page.html";
  rows: Row[] = freshRows();
  other = 0;

  @eventHandler({ params: "any" })
  edit(params: Record<string, unknown>) {
    apply(this, params.op as Op, params.id as number);
  }
}

/** The rows of a view, in a LiveComponent (its template wraps the view's in one root element). */
class RowsComponent extends LiveComponent {
  static override templateName = "component.html";
  id = "";
  rows: Row[] = freshRows();
  other = 0;

  @eventHandler({ params: "any" })
  edit(params: Record<string, unknown>) {
    apply(this, params.op as Op, params.id as number);
  }
}

class ComponentRowsView extends LiveView {
  override render() {
    return html`<main>${liveComponent(RowsComponent, { id: "rows" })}</main>`;
  }
}

const loaderFor = (name: TemplateName, loopMemo: boolean) =>
  new TemplateLoader({
    dirs: [],
    templates: { "page.html": TEMPLATES[name], "component.html": `<div>${TEMPLATES[name]}</div>` },
    loopMemo,
  });

const rowArb: fc.Arbitrary<Row[]> = fc
  .array(fc.record({ name: fc.constantFrom("a", "b", "c<"), n: fc.nat(5) }), { maxLength: 7 })
  .map((rows) => rows.map((r, i) => ({ id: i, ...r, meta: meta(r.name) })));

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("name" as const),
      at: fc.nat(9),
      value: fc.constantFrom("x", "y", "a", "&"),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant("n" as const), at: fc.nat(9), value: fc.nat(5) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("two" as const),
      at: fc.nat(9),
      to: fc.nat(9),
      value: fc.constantFrom("p", "q"),
    }),
  },
  fc.record({ op: fc.constant("same" as const), at: fc.nat(9) }),
  fc.record({ op: fc.constant("row" as const), at: fc.nat(9), value: fc.constantFrom("r", "s") }),
  fc.record({ op: fc.constant("id" as const), at: fc.nat(9) }),
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("tag" as const),
      at: fc.nat(9),
      value: fc.constantFrom("t", "u"),
    }),
  },
  fc.record({ op: fc.constant("meta" as const), at: fc.nat(9), value: fc.constantFrom("m", "t") }),
  fc.record({ op: fc.constant("share" as const), at: fc.nat(9), to: fc.nat(9) }),
  fc.record({ op: fc.constant("list" as const), at: fc.nat(9), value: fc.nat(3) }),
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constantFrom(
        "push" as const,
        "pop" as const,
        "splice" as const,
        "swap" as const,
        "reverse" as const,
        "copy" as const,
        "other" as const,
        "clear" as const,
      ),
    }),
  },
);

test("property: loops following a view's row edits send the same diffs as memo-less loops", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...(Object.keys(TEMPLATES) as TemplateName[])),
      rowArb,
      fc.array(opArb, { minLength: 1, maxLength: 12 }),
      async (name, rows, ops) => {
        templateName = name;
        initialRows = rows;
        const fast = await LiveViewTestClient.mount(RowsView, { templates: loaderFor(name, true) });
        const plain = await LiveViewTestClient.mount(RowsView, {
          templates: loaderFor(name, false),
        });
        try {
          assert.equal(fast.render(), plain.render());
          for (const [i, op] of ops.entries()) {
            const a = await fast.event("edit", { op, id: 1000 + i });
            const b = await plain.event("edit", { op, id: 1000 + i });
            assert.equal(a.error, undefined, JSON.stringify(a.error));
            assert.equal(
              JSON.stringify(a.diff),
              JSON.stringify(b.diff),
              `${templateName}: diff after ${JSON.stringify(op)}`,
            );
            assert.equal(
              fast.render(),
              plain.render(),
              `${templateName}: page after ${JSON.stringify(op)}`,
            );
          }
        } finally {
          await fast.close();
          await plain.close();
        }
      },
    ),
    propertyRuns(150),
  );
});

test("property: a LiveComponent's loops follow its row edits, and its stored edits restore it", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...(Object.keys(TEMPLATES) as TemplateName[])),
      rowArb,
      fc.array(opArb, { minLength: 1, maxLength: 12 }),
      async (name, rows, ops) => {
        templateName = name;
        initialRows = rows;
        const stateBackend = new MemoryStateBackend();
        const mount = (loopMemo: boolean) =>
          LiveViewTestClient.mount(ComponentRowsView, {
            templates: loaderFor(name, loopMemo),
            stateBackend,
            durability: "reply",
          });
        const fast = await mount(true);
        const plain = await mount(false);
        try {
          assert.equal(fast.render(), plain.render());
          for (const [i, op] of ops.entries()) {
            const a = await fast.event("edit", { op, id: 1000 + i }, { target: 1 });
            const b = await plain.event("edit", { op, id: 1000 + i }, { target: 1 });
            assert.equal(a.error, undefined, JSON.stringify(a.error));
            const step = `${templateName}: after ${JSON.stringify(op)}`;
            assert.equal(JSON.stringify(a.diff), JSON.stringify(b.diff), `diff ${step}`);
            assert.equal(fast.render(), plain.render(), `page ${step}`);
            // What a reconnect would restore, written before the reply.
            const live = fast.component(RowsComponent, "rows") as RowsComponent;
            const stored = restorable(await stateBackend.get(fast.id))?.components?.list[0];
            assert.deepEqual(
              stored?.state,
              JSON.parse(JSON.stringify({ id: "rows", rows: live.rows, other: live.other })),
              `stored ${step}`,
            );
          }
        } finally {
          await fast.close();
          await plain.close();
        }
      },
    ),
    propertyRuns(100),
  );
});

test("an in-place edit of one row of a large list sends that row alone", async () => {
  initialRows = Array.from({ length: 2000 }, (_, i) => ({
    id: i,
    name: `row ${i}`,
    n: 0,
    meta: meta(""),
  }));
  templateName = "counter";
  const view = await LiveViewTestClient.mount(RowsView, { templates: loaderFor("counter", true) });
  try {
    const result = await view.event("edit", {
      op: { op: "name", at: 1234, value: "edited" },
      id: 0,
    });
    assert.deepEqual(result.diff, { "1": { k: { "1234": { "2": "edited" }, kc: 2000 } } });
    assert.match(view.render(), /<li id="r1234">1235:edited<\/li>/);
  } finally {
    await view.close();
  }
});

// The mechanism itself, at the template: given RowEdits naming row 1, a loop re-renders row 1
// and leaves the others as they were rendered, even one changed behind its back (which a view's
// write tracking would have named).
function rowEdits(serial: number, shown: { value: boolean }, rows: Record<string, number[]>) {
  const owner = rowEdits;
  return {
    owner,
    serial,
    get shown() {
      return shown.value;
    },
    rows: (name: string) => {
      const list = rows[name];
      return list === undefined ? undefined : { since: 0, rows: list };
    },
    onFailure: () => {},
  } satisfies RowEdits;
}

test("a loop re-renders only the rows RowEdits names, and its diff looks at those only", () => {
  const tmpl = loaderFor("unkeyed", true).get("page.html");
  const state = { rows: [{ name: "a" }, { name: "b" }, { name: "c" }] };
  const shown1 = { value: false };
  const first = tmpl.render(state, undefined, rowEdits(1, shown1, { rows: [] }));
  shown1.value = true;
  state.rows[1] = { name: "B" };
  // Row 2 changed too, but only row 1 is named: row 2 keeps what it showed.
  (state.rows[2] as { name: string }).name = "C";
  const second = tmpl.render(
    state,
    new Set(["rows"]),
    rowEdits(2, { value: false }, { rows: [1] }),
  );
  assert.equal(renderToString(second), "<s>a</s><s>B</s><s>c</s>");
  const loop = second.dynamics[0] as Comprehension;
  assert.deepEqual(loop.edits?.at, [1]);
  assert.equal(loop.edits?.base, (first as Rendered).dynamics[0]);
});

test("rows a never-shown render changed in place are taken back before the next render", () => {
  const tmpl = loaderFor("unkeyed", true).get("page.html");
  const state = { rows: [{ name: "a" }, { name: "b" }] };
  const shown1 = { value: false };
  const first = tmpl.render(state, undefined, rowEdits(1, shown1, { rows: [] }));
  shown1.value = true;
  const firstHtml = renderToString(first);
  (state.rows[0] as { name: string }).name = "A";
  // Render 2 is never shown (a later slot failed, say): the tree shown is still `first`.
  tmpl.render(state, new Set(["rows"]), rowEdits(2, { value: false }, { rows: [0] }));
  const third = tmpl.render(state, new Set(["rows"]), rowEdits(3, { value: false }, { rows: [] }));
  assert.equal(renderToString(first), firstHtml, "the shown tree is as it was");
  assert.equal(renderToString(third), "<s>A</s><s>b</s>");
});

/** Sets row `at`'s name, and whether the template's part after the loop fails. */
function failingEdit(
  target: { rows: Row[]; broken: boolean },
  params: { at: number; name: string; broken: boolean },
): void {
  (target.rows[params.at] as Row).name = params.name;
  target.broken = params.broken;
}

const failingRows = () => [0, 1, 2].map((i) => ({ id: i, name: `row ${i}`, n: 0, meta: meta("") }));

class FailingView extends LiveView {
  static override templateName = "page.html";
  rows: Row[] = failingRows();
  broken = false;

  @eventHandler({ params: "any" })
  edit(params: { at: number; name: string; broken: boolean }) {
    failingEdit(this, params);
  }
}

class FailingComponent extends LiveComponent {
  static override templateName = "component.html";
  id = "";
  rows: Row[] = failingRows();
  broken = false;

  @eventHandler({ params: "any" })
  edit(params: { at: number; name: string; broken: boolean }) {
    failingEdit(this, params);
  }
}

class FailingComponentView extends LiveView {
  override render() {
    return html`<main>${liveComponent(FailingComponent, { id: "f" })}</main>`;
  }
}

// The loop runs before the `{% url %}` that fails, so its in-place rows must be taken back.
const FAILING = `{% for r in rows %}<b>{{ r.name }}</b>{% endfor %}{% if broken %}{% url "missing" %}{% endif %}`;

/** Fails the render that places it: its `mount` throws. */
class Thrower extends LiveComponent {
  override mount() {
    throw new Error("Thrower cannot mount");
  }
  override render() {
    return html`<i></i>`;
  }
}

// The component's loop runs, its render succeeds, then the child it placed fails the pass.
const FAILING_CHILD = `<div>{% for r in rows %}<b>{{ r.name }}</b>{% endfor %}{% if broken %}{% live_component "thrower" id="t" %}{% endif %}</div>`;

for (const [owner, View, component, target, shown, retried] of [
  [
    "a view",
    FailingView,
    FAILING,
    undefined,
    "<b>d</b><b>c</b><b>b</b>",
    { "0": { k: { "0": { "0": "d" }, "1": { "0": "c" }, kc: 3 } } },
  ],
  [
    "a LiveComponent",
    FailingComponentView,
    `<div>${FAILING}</div>`,
    1,
    "<main><div><b>d</b><b>c</b><b>b</b></div></main>",
    { c: { "1": { "0": { k: { "0": { "0": "d" }, "1": { "0": "c" }, kc: 3 } } } } },
  ],
  [
    "a LiveComponent, failed by the child it placed,",
    FailingComponentView,
    FAILING_CHILD,
    1,
    "<main><div><b>d</b><b>c</b><b>b</b></div></main>",
    { c: { "1": { "0": { k: { "0": { "0": "d" }, "1": { "0": "c" }, kc: 3 } } } } },
  ],
] as const) {
  test(`a render of ${owner} that fails after a loop edited rows in place leaves the page right afterwards`, async () => {
    const loader = (loopMemo: boolean) =>
      new TemplateLoader({
        dirs: [],
        templates: { "page.html": FAILING, "component.html": component },
        loopMemo,
      });
    const options = { components: [Thrower] };
    const fast = await LiveViewTestClient.mount(View, { templates: loader(true), ...options });
    const plain = await LiveViewTestClient.mount(View, { templates: loader(false), ...options });
    try {
      const diffs: unknown[] = [];
      for (const step of [
        { at: 0, name: "a", broken: false },
        { at: 2, name: "b", broken: false },
        { at: 1, name: "c", broken: true },
        { at: 0, name: "d", broken: false },
      ]) {
        const [a, b] = await Promise.allSettled([
          fast.event("edit", step, { target }),
          plain.event("edit", step, { target }),
        ]);
        assert.equal(a.status, step.broken ? "rejected" : "fulfilled", JSON.stringify(step));
        assert.equal(b.status, a.status, JSON.stringify(step));
        if (a.status === "fulfilled" && b.status === "fulfilled") {
          diffs.push(a.value.diff);
          assert.equal(JSON.stringify(a.value.diff), JSON.stringify(b.value.diff));
          assert.deepEqual(a.value.error, b.value.error);
        }
        assert.equal(fast.render(), plain.render());
      }
      // The render after the failed one sends row 1 (edited by the failed step) with row 0.
      assert.deepEqual(diffs[2], retried);
      assert.equal(fast.render(), shown);
    } finally {
      await fast.close();
      await plain.close();
    }
  });
}
