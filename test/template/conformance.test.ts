// DTL templates through change-tracked render → diff → the official phoenix_live_view client:
// after every state change the client's merged HTML must equal a full render of the new state.
import { test } from "node:test";
import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { diff, renderedToWire, type WireOptions } from "../../src/render/diff.js";
import { renderToString } from "../../src/render/html.js";
import type { Rendered, Template } from "../../src/render/tree.js";
import { TemplateLoader } from "../../src/template/index.js";
import { ClientTree } from "../support/phoenix-client.js";
import { propertyRuns } from "../support/property-runs.js";

const loader = new TemplateLoader({
  dirs: [fileURLToPath(new URL("../fixtures/templates/", import.meta.url))],
});

type State = Record<string, unknown>;

function changedKeys(prev: State, next: State): Set<string> {
  const out = new Set<string>();
  for (const k of new Set([...Object.keys(prev), ...Object.keys(next)])) {
    if (!isDeepStrictEqual(prev[k], next[k])) out.add(k);
  }
  return out;
}

/** Plays `states` through the client; returns the diff payload sizes in bytes. */
function play(tmpl: Template, states: readonly State[], options?: WireOptions): number[] {
  const [first, ...rest] = states;
  assert.ok(first);
  let tree: Rendered = tmpl.render(first);
  const client = new ClientTree("lv", renderedToWire(tree, options) as Record<string, unknown>);
  assert.equal(client.html(), renderToString(tree));
  let prevState = first;
  const sizes: number[] = [];
  for (const state of rest) {
    const changed = changedKeys(prevState, state);
    const result = diff(tree, tmpl.render(state, changed), options);
    tree = result.tree;
    sizes.push(result.diff === null ? 0 : JSON.stringify(result.diff).length);
    if (result.diff !== null) client.merge(result.diff as Record<string, unknown>);
    const expected = renderToString(tmpl.render(state));
    assert.equal(renderToString(tree), expected, "merged server tree differs from a full render");
    assert.equal(client.html(), expected, `client HTML differs after ${JSON.stringify(state)}`);
    prevState = state;
  }
  return sizes;
}

test("ifs toggling between branches and nothing", () => {
  const tmpl = loader.fromString(
    '<div class="{% if a %}on{% else %}off{% endif %}">{% if a %}<b>{{ x }}</b>{% elif b %}<i>{{ y }}</i>{% else %}none{% endif %}' +
      "{% if a and b %}[{{ x }}{{ y }}]{% endif %}</div>",
  );
  play(tmpl, [
    { a: true, b: false, x: "X", y: "Y" },
    { a: true, b: false, x: "X2", y: "Y" },
    { a: false, b: true, x: "X2", y: "Y" },
    { a: false, b: true, x: "X2", y: "Y2" },
    { a: false, b: false, x: "X2", y: "Y2" },
    { a: true, b: true, x: "<&>", y: `"'` },
    { a: true, b: true, x: "<&>", y: "q" },
  ]);
});

test("keyed loops growing, shrinking, reordering and changing one row", () => {
  const tmpl = loader.get("list.html");
  const row = (id: number, title: string, done = false) => ({ id, title, done });
  const sizes = play(tmpl, [
    { rows: [row(1, "a"), row(2, "b"), row(3, "c")] },
    { rows: [row(1, "a"), row(2, "b"), row(3, "c"), row(4, "d")] },
    { rows: [row(4, "d"), row(1, "a"), row(2, "b"), row(3, "c")] },
    { rows: [row(4, "d"), row(1, "a", true), row(2, "b"), row(3, "c")] },
    { rows: [row(4, "d"), row(3, "c")] },
    { rows: [] },
    { rows: [row(7, "<script>")] },
  ]);
  assert.ok((sizes[3] as number) < 120, `one-row change cost ${sizes[3]} bytes`);
});

test("nested loops with empty clauses and forloop variables", () => {
  const tmpl = loader.fromString(
    "{% for g in groups %}<h2>{{ forloop.counter }}. {{ g.name }}</h2><ul>" +
      "{% for i in g.items %}<li>{{ forloop.parentloop.counter }}.{{ forloop.counter }} {{ i }}{% if forloop.last %}!{% endif %}</li>" +
      "{% empty %}<li>empty</li>{% endfor %}</ul>{% empty %}<p>no groups</p>{% endfor %}<footer>{{ title }}</footer>",
  );
  play(tmpl, [
    { groups: [], title: "t" },
    { groups: [{ name: "A", items: ["x"] }], title: "t" },
    {
      groups: [
        { name: "A", items: ["x", "y"] },
        { name: "B", items: [] },
      ],
      title: "t",
    },
    {
      groups: [
        { name: "B", items: ["z"] },
        { name: "A", items: ["x", "y"] },
      ],
      title: "t",
    },
    {
      groups: [
        { name: "B", items: ["z"] },
        { name: "A", items: ["x", "y"] },
      ],
      title: "t2",
    },
    { groups: [], title: "t2" },
  ]);
});

test("includes, with, extends and cycle under change", () => {
  const tmpl = loader.fromString(
    '{% with n=items|length %}<p title="{{ label }}">{{ n }} item{{ n|pluralize }}</p>{% endwith %}' +
      '{% for item in items %}<tr class="{% cycle "odd" "even" %}">{% include "partials/row.html" %}</tr>{% endfor %}' +
      '{% include "partials/greet.html" with name=label only %}',
  );
  play(tmpl, [
    { items: [{ name: "a" }], label: "L" },
    { items: [{ name: "a" }, { name: "b" }], label: "L" },
    { items: [{ name: "a" }, { name: "b" }], label: `"quoted" & <tag>` },
    { items: [{ name: "b" }], label: "'" },
  ]);
  play(loader.get("child.html"), [{ body: "one" }, { body: "<two>" }, { body: "three", other: 1 }]);
});

test("escaping in text and attributes survives diffs", () => {
  const tmpl = loader.fromString(
    `<a href="/x?q={{ q|urlencode }}" title='{{ t }}'>{{ t }}</a>{{ html|safe }}`,
  );
  play(tmpl, [
    { q: "a b", t: `<"'&>`, html: "<em>1</em>" },
    { q: "&", t: `'`, html: "<em>1</em>" },
    { q: "&", t: `'`, html: "<em>2</em>" },
  ]);
});

// ---------------------------------------------------------------------------------------------
// Random templates from the grammar, random state sequences.

const outputs = fc.constantFrom(
  "{{ a }}",
  "{{ b|upper }}",
  '{{ c|default:"none" }}',
  "{{ it.v }}",
  "{{ it.id }}",
  "{{ forloop.counter }}",
  "{{ n }}",
  "{{ xs|length }}",
  "{{ forloop.parentloop.counter }}",
  "{{ forloop.last }}",
  '{% cycle "p" "q" %}',
  "{{ a|safe }}",
  '{% include "partials/greet.html" with name=it.v %}',
  '{% include "partials/row.html" with item=it only %}',
);
const texts = fc.constantFrom("", "x", "<p>", "</p>", " ", '<i class="k">', "&amp;", "\n");
const conditions = fc.constantFrom(
  "a",
  "not b",
  "a == b",
  "c",
  "it.f",
  "xs",
  "a or c",
  "b and not c",
  "it.v in a",
);

const templateArb = fc.letrec<{ node: string; nodes: string }>((tie) => ({
  node: fc.oneof(
    { maxDepth: 3, depthIdentifier: "tpl" },
    texts,
    outputs,
    fc
      .tuple(conditions, tie("nodes"), fc.option(tie("nodes"), { nil: undefined }))
      .map(
        ([c, yes, no]) =>
          `{% if ${c} %}${yes}${no === undefined ? "" : `{% else %}${no}`}{% endif %}`,
      ),
    fc
      .tuple(tie("nodes"), fc.option(tie("nodes"), { nil: undefined }), fc.boolean())
      .map(
        ([body, empty, rev]) =>
          `{% for it in xs${rev ? " reversed" : ""} %}${body}${empty === undefined ? "" : `{% empty %}${empty}`}{% endfor %}`,
      ),
    tie("nodes").map((body) => `{% with n=a|length %}${body}{% endwith %}`),
    tie("nodes").map(
      (body) => `{% for it in xs %}{% for it2 in xs %}${body}{% endfor %}{% endfor %}`,
    ),
  ),
  nodes: fc
    .array(tie("node"), { maxLength: 4, depthIdentifier: "tpl" })
    .map((parts) => parts.join("")),
}));

const scalar = fc.oneof(
  fc.constantFrom("", "a", "b", "<&>", `"'`, "x y"),
  fc.integer({ min: -2, max: 3 }),
  fc.boolean(),
);
const rows = fc
  .uniqueArray(fc.integer({ min: 1, max: 8 }), { maxLength: 5 })
  .chain((ids) =>
    fc.tuple(
      ...ids.map((id) =>
        fc.record({ id: fc.constant(id), v: scalar, f: fc.boolean(), name: scalar }),
      ),
    ),
  );
const stateArb = fc.record({ a: scalar, b: scalar, c: scalar, xs: rows });

test("property: random templates and state changes render identically in the client", () => {
  fc.assert(
    fc.property(
      templateArb.nodes,
      fc.array(stateArb, { minLength: 2, maxLength: 5 }),
      fc.boolean(),
      (source, states, share) => {
        play(loader.fromString(source), states, { shareStatics: share });
      },
    ),
    propertyRuns(400),
  );
});

// ---------------------------------------------------------------------------------------------
// Lists mutated in place (the loop memo's in-place path) and `as` names, against a template
// compiled without loop memo as the oracle.

const routedLoader = (loopMemo: boolean) =>
  new TemplateLoader({
    dirs: [fileURLToPath(new URL("../fixtures/templates/", import.meta.url))],
    urlFor: (name, args) => `/${name}/${args.map(String).join("/")}`,
    loopMemo,
  });
const live = routedLoader(true);
const oracle = routedLoader(false);

const asOutputs = fc.constantFrom(
  "{{ it.v }}",
  "{{ it.name|upper }}",
  "{% if it.f %}on{% endif %}",
  "{{ forloop.counter }}",
  "{{ a }}",
  '{% firstof it.v a "z" as w %}[{{ w }}]',
  '{% url "order" it.id as u %}<a href="{{ u }}">',
  '{% cycle "p" "q" as cy %}{{ cy }}',
  '{% cycle "p" "q" as cs silent %}<{{ cs }}>',
);
const asTemplate = fc
  .tuple(fc.array(asOutputs, { minLength: 1, maxLength: 4 }), fc.array(asOutputs, { maxLength: 2 }))
  .map(
    ([body, after]) =>
      `{% for it in xs %}<li>${body.join("|")}</li>{% empty %}none{% endfor %}${after.join("")}`,
  );

type Row = { id: number; v: unknown; f: boolean; name: unknown };
type Op =
  | { op: "a"; value: unknown }
  | { op: "field"; at: number; field: "v" | "f" | "name"; value: unknown }
  | { op: "id"; at: number }
  | { op: "reverse" | "push" | "shift" | "copy" | "same" };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("a" as const), value: scalar }),
  fc.record({
    op: fc.constant("field" as const),
    at: fc.nat(6),
    field: fc.constantFrom("v" as const, "f" as const, "name" as const),
    value: scalar,
  }),
  fc.record({ op: fc.constant("id" as const), at: fc.nat(6) }),
  fc.record({ op: fc.constantFrom("reverse" as const, "push" as const, "shift" as const) }),
  fc.record({ op: fc.constantFrom("copy" as const, "same" as const) }),
);

test("property: in-place list mutations and `as` names render identically in the client", () => {
  fc.assert(
    fc.property(
      asTemplate,
      rows,
      fc.array(opArb, { minLength: 1, maxLength: 8 }),
      (source, xs, ops) => {
        const tmpl = live.fromString(source);
        const truth = oracle.fromString(source);
        const state: { a: unknown; xs: Row[] } = { a: "A", xs: xs.map((r) => ({ ...r })) };
        let nextId = 100;
        let tree: Rendered = tmpl.render(state);
        const client = new ClientTree("lv", renderedToWire(tree) as Record<string, unknown>);
        for (const op of ops) {
          const rowAt = (at: number) => state.xs[at % Math.max(state.xs.length, 1)];
          if (op.op === "a") state.a = op.value;
          else if (op.op === "field") {
            const row = rowAt(op.at);
            if (row !== undefined) (row as Record<string, unknown>)[op.field] = op.value;
          } else if (op.op === "id") {
            const row = rowAt(op.at);
            if (row !== undefined) row.id = nextId++;
          } else if (op.op === "reverse") state.xs.reverse();
          else if (op.op === "push") state.xs.push({ id: nextId++, v: "new", f: true, name: "n" });
          else if (op.op === "shift") state.xs.shift();
          else if (op.op === "copy") state.xs = state.xs.map((r) => ({ ...r }));
          const result = diff(tree, tmpl.render(state, new Set([op.op === "a" ? "a" : "xs"])));
          tree = result.tree;
          if (result.diff !== null) client.merge(result.diff as Record<string, unknown>);
          const expected = renderToString(truth.render(state));
          assert.equal(renderToString(tree), expected, "merged server tree differs");
          assert.equal(client.html(), expected, `client HTML differs after ${JSON.stringify(op)}`);
        }
      },
    ),
    propertyRuns(300),
  );
});
