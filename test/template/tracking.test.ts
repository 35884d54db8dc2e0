import { test } from "node:test";
import assert from "node:assert/strict";
import { renderToString } from "../../src/render/html.js";
import { UNCHANGED, type Comprehension, type Rendered } from "../../src/render/tree.js";
import { fieldCheck } from "../../src/template/codegen.js";
import { TemplateLoader, registerFilter } from "../../src/template/index.js";
import { fileURLToPath } from "node:url";

const loader = new TemplateLoader({
  dirs: [fileURLToPath(new URL("../fixtures/templates/", import.meta.url))],
});

/** A context whose values are functions, so every evaluation of a name is counted. */
function counting(values: Record<string, unknown>) {
  const calls: Record<string, number> = {};
  const ctx: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    calls[name] = 0;
    ctx[name] = () => {
      calls[name] = (calls[name] ?? 0) + 1;
      return value;
    };
  }
  return { ctx, calls };
}

const nested = (slot: unknown): Rendered => {
  assert.ok(typeof slot === "object" && slot !== null && (slot as Rendered).type === "rendered");
  return slot as Rendered;
};

test("a slot reading only `a` is not evaluated when only `b` changed", () => {
  const tmpl = loader.fromString("<p>{{ a }}</p><p>{{ b|upper }}</p>");
  const { ctx, calls } = counting({ a: "A", b: "b" });
  const full = tmpl.render(ctx);
  assert.deepEqual(full.dynamics, ["A", "B"]);
  assert.deepEqual(calls, { a: 1, b: 1 });
  const partial = tmpl.render(ctx, new Set(["b"]));
  assert.deepEqual(partial.dynamics, [UNCHANGED, "B"]);
  assert.deepEqual(calls, { a: 1, b: 2 });
  assert.deepEqual(tmpl.render(ctx, new Set(["zzz"])).dynamics, [UNCHANGED, UNCHANGED]);
  assert.deepEqual(calls, { a: 1, b: 2 });
});

test("an if reading `a` in its condition and `b` in its body is re-evaluated for either", () => {
  const tmpl = loader.fromString("{% if a %}{{ b }}|{{ c }}{% endif %}!{{ c }}");
  const ctx = { a: true, b: "B", c: "C" };
  assert.deepEqual([...tmpl.dependencies].sort(), ["a", "b", "c"]);
  assert.equal(tmpl.render(ctx, new Set(["x"])).dynamics[0], UNCHANGED);
  // Condition changed: the branch may differ, so it comes back complete.
  const byA = nested(tmpl.render(ctx, new Set(["a"])).dynamics[0]);
  assert.deepEqual(byA.dynamics, ["B", "C"]);
  // Only body input changed: same branch, so its own unchanged slots are skipped.
  const byB = nested(tmpl.render(ctx, new Set(["b"])).dynamics[0]);
  assert.deepEqual(byB.dynamics, ["B", UNCHANGED]);
  assert.deepEqual(tmpl.render(ctx, new Set(["b"])).dynamics[1], UNCHANGED);
  // elif/else conditions count as condition inputs too.
  const chain = loader.fromString("{% if a %}x{% elif d %}{{ b }}{% else %}z{% endif %}");
  assert.deepEqual(
    nested(chain.render({ a: 0, d: 1, b: "B" }, new Set(["d"])).dynamics[0]).dynamics,
    ["B"],
  );
  assert.equal(chain.render({ a: 0, d: 0 }, new Set(["a"])).dynamics.length, 1);
  assert.equal(chain.render({ a: 0, d: 0 }).dynamics[0] !== "", true);
  // No branch taken renders as the empty string.
  assert.equal(loader.fromString("{% if a %}x{% endif %}").render({ a: 0 }).dynamics[0], "");
});

test("loop variables and with names are local, not dependencies", () => {
  const tmpl = loader.fromString(
    "{% for x in xs %}{{ x.name }}{{ forloop.counter }}{{ y }}{% endfor %}" +
      "{% with n=a|length %}{{ n }}{{ b }}{% endwith %}{{ forloop }}",
  );
  assert.deepEqual([...tmpl.dependencies].sort(), ["a", "b", "forloop", "xs", "y"]);
  const ctx = { xs: [{ name: "p" }], y: "Y", a: "abc", b: "B" };
  const r = tmpl.render(ctx, new Set(["y"]));
  assert.equal((r.dynamics[0] as Comprehension).type, "comprehension");
  assert.equal(r.dynamics[1], UNCHANGED);
  const w = nested(tmpl.render(ctx, new Set(["a"])).dynamics[1]);
  assert.deepEqual(w.dynamics, ["3", UNCHANGED]);
  const wb = nested(tmpl.render(ctx, new Set(["b"])).dynamics[1]);
  assert.deepEqual(wb.dynamics, [UNCHANGED, "B"]);
});

test("loop entries are fully evaluated and keyed by id or key when unique", () => {
  const tmpl = loader.fromString(
    "{% for r in rows %}{{ r.t }}{% if r.done %}!{% endif %}{% endfor %}",
  );
  const keyed = tmpl.render({
    rows: [
      { id: 1, t: "a", done: true },
      { id: 2, t: "b" },
    ],
  }).dynamics[0] as Comprehension;
  assert.deepEqual(
    keyed.entries.map((e) => e.key),
    ["1", "2"],
  );
  assert.ok(keyed.entries.every((e) => e.dynamics.every((d) => (d as unknown) !== UNCHANGED)));
  const byKey = tmpl.render({ rows: [{ key: "x", t: "a" }] }).dynamics[0] as Comprehension;
  assert.equal(byKey.entries[0]?.key, "x");
  const dup = tmpl.render({ rows: [{ id: 1 }, { id: 1 }] }).dynamics[0] as Comprehension;
  assert.ok(dup.entries.every((e) => e.key === undefined));
  const plain = tmpl.render({ rows: ["a", "b"] }).dynamics[0] as Comprehension;
  assert.ok(plain.entries.every((e) => !("key" in e)));
  // One statics array per loop body, shared across renders.
  const again = tmpl.render({ rows: [{ id: 9 }] }).dynamics[0] as Comprehension;
  assert.equal(again.statics, keyed.statics);
  assert.equal(again.fingerprint, keyed.fingerprint);
});

test("include dependencies: the included template's names, minus `only`-hidden ones", () => {
  const open = loader.fromString('{% include "partials/greet.html" %}');
  assert.deepEqual([...open.dependencies], ["name"]);
  const bound = loader.fromString('{% include "partials/greet.html" with name=user.first %}');
  assert.deepEqual([...bound.dependencies], ["user"]);
  const only = loader.fromString('{% include "partials/greet.html" with x=a only %}{{ b }}');
  assert.deepEqual([...only.dependencies].sort(), ["a", "b"]);
  assert.equal(only.render({ a: 1, b: 2 }, new Set(["name"])).dynamics[0], UNCHANGED);
  const inner = nested(bound.render({ user: { first: "Q" } }, new Set(["user"])).dynamics[0]);
  assert.deepEqual(inner.dynamics, ["Q"]);
});

test("extends: blocks are spliced, dependencies cover every level", () => {
  const tmpl = loader.get("grandchild.html");
  assert.deepEqual([...tmpl.dependencies], ["body"]);
  const r = tmpl.render({ body: "x" }, new Set(["other"]));
  assert.deepEqual(r.dynamics, [UNCHANGED]);
  assert.equal(
    renderToString(tmpl.render({ body: "x" })),
    "<title>Child - Base</title><main>GC x</main>",
  );
});

test("statics and fingerprints are computed once per compiled node", () => {
  const tmpl = loader.fromString("<b>{{ a }}</b>{% if a %}<i>{{ a }}</i>{% endif %}");
  const r1 = tmpl.render({ a: 1 });
  const r2 = tmpl.render({ a: 2 });
  assert.equal(r1.statics, r2.statics);
  assert.equal(nested(r1.dynamics[1]).statics, nested(r2.dynamics[1]).statics);
  assert.notEqual(nested(r1.dynamics[1]).fingerprint, r1.fingerprint);
});

test("loop rows are reused only while their item's fields are unchanged", () => {
  const tmpl = loader.fromString("{% for r in rows %}<i>{{ r.t }}</i>{% endfor %}");
  const positional = loader.fromString(
    "{% for r in rows %}{{ forloop.counter }}{{ r.t }}{% endfor %}",
  );
  const rows = [
    { id: 1, t: "a" },
    { id: 2, t: "b" },
  ];
  const entries = (t: typeof tmpl) => (t.render({ rows }).dynamics[0] as Comprehension).entries;
  const first = entries(tmpl);
  const second = entries(tmpl);
  assert.equal(second[0]?.dynamics, first[0]?.dynamics, "an untouched row is reused");
  (rows[1] as { t: string }).t = "B";
  const third = entries(tmpl);
  assert.deepEqual(third[1]?.dynamics, ["B"], "in-place mutation is seen");
  assert.equal(third[0]?.dynamics, first[0]?.dynamics);
  assert.equal(renderToString(positional.render({ rows })), "1a2B");
  rows.reverse();
  assert.equal(
    renderToString(positional.render({ rows })),
    "1B2a",
    "positions are part of the row",
  );
  rows.push({ id: 3, t: "c" });
  assert.equal(renderToString(positional.render({ rows })), "1B2a3c");
  // Rows holding objects are never reused: their contents can change behind the same reference.
  const nestedTmpl = loader.fromString("{% for r in rows %}{{ r.o.v }}{% endfor %}");
  const deep = [{ o: { v: 1 } }];
  assert.equal(renderToString(nestedTmpl.render({ rows: deep })), "1");
  (deep[0] as { o: { v: number } }).o.v = 2;
  assert.equal(renderToString(nestedTmpl.render({ rows: deep })), "2");
  // Bodies reading outer names or holding a cycle are re-rendered every time.
  const outer = loader.fromString(
    "{% for r in rows %}{{ r.t }}{{ y }}{% cycle 'x' 'z' %}{% endfor %}",
  );
  assert.equal(renderToString(outer.render({ rows, y: 1 })), "B1xa1zc1x");
  assert.equal(renderToString(outer.render({ rows, y: 2 })), "B2xa2zc2x");
});

test("each iterated list keeps its own loop memo across interleaved renders", () => {
  const tmpl = loader.fromString("{% for r in rows %}{{ r.t }}{% endfor %}");
  const a = [{ t: "a1" }, { t: "a2" }];
  const b = [{ t: "b1" }];
  const first = (tmpl.render({ rows: a }).dynamics[0] as Comprehension).entries;
  tmpl.render({ rows: b });
  const again = (tmpl.render({ rows: a }, new Set(["rows"])).dynamics[0] as Comprehension).entries;
  assert.equal(again[0], first[0]);
  assert.equal(again[1], first[1]);
  // Reloaded copies with the same fields are reused too; a changed copy is not.
  const reloaded = a.map((r) => ({ ...r }));
  (reloaded[1] as { t: string }).t = "A2";
  const copies = (tmpl.render({ rows: reloaded }).dynamics[0] as Comprehension).entries;
  assert.equal(copies[0], first[0]);
  assert.deepEqual(copies[1]?.dynamics, ["A2"]);
});

test("rows using a registered filter that is not declared pure are never reused", () => {
  let n = 0;
  registerFilter("tick", { arg: "none", fn: () => ++n });
  registerFilter("twice", { arg: "none", pure: true, fn: (v) => `${String(v)}${String(v)}` });
  const impure = loader.fromString("{% for r in rows %}{{ r.t|tick }}{% endfor %}");
  const pure = loader.fromString("{% for r in rows %}{{ r.t|twice }}{% endfor %}");
  const rows = [{ t: "a" }];
  assert.equal(renderToString(impure.render({ rows })), "1");
  assert.equal(renderToString(impure.render({ rows })), "2");
  const first = (pure.render({ rows }).dynamics[0] as Comprehension).entries[0];
  assert.equal((pure.render({ rows }).dynamics[0] as Comprehension).entries[0], first);
});

test("row reuse compares the fields the body reads, or all fields when it uses the row whole", () => {
  const byField = loader.fromString("{% for r in rows %}{{ r.a }}{% endfor %}");
  const whole = loader.fromString("{% for r in rows %}{{ r }}{% endfor %}");
  const rows: Record<string, unknown>[] = [{ a: 1 }];
  const entry = (t: typeof byField) => (t.render({ rows }).dynamics[0] as Comprehension).entries[0];
  const e1 = entry(byField);
  const w1 = entry(whole);
  (rows[0] as Record<string, unknown>).b = 2;
  assert.equal(entry(byField), e1, "a field the template never reads does not matter");
  assert.notEqual(entry(whole), w1);
  assert.equal(renderToString(whole.render({ rows })), "{&#x27;a&#x27;: 1, &#x27;b&#x27;: 2}");
  (rows[0] as Record<string, unknown>).a = 3;
  assert.equal(renderToString(byField.render({ rows })), "3");
  const nested = loader.fromString(
    "{% for r in rows %}{% with x=r.a %}{% if r.flag %}{{ x|add:r.b }}{% endif %}{% endwith %}{% endfor %}",
  );
  const rs = [{ a: 1, b: 2, flag: true }];
  assert.equal(renderToString(nested.render({ rows: rs })), "3");
  (rs[0] as { b: number }).b = 5;
  assert.equal(renderToString(nested.render({ rows: rs })), "6");
  (rs[0] as { flag: boolean }).flag = false;
  assert.equal(renderToString(nested.render({ rows: rs })), "");
});

const routed = new TemplateLoader({
  dirs: [],
  urlFor: (name, args) => `/${name}/${args.map(String).join("/")}`,
});

test("`as` names are local: slots reading them depend on the tag's inputs", () => {
  const tmpl = routed.fromString(
    "{{ u }}{% url 'order' id as u %}<a href=\"{{ u }}\">{{ v }}</a>{% firstof a b as f %}{{ f }}",
  );
  // `u` before the tag is the context's; after it, the bound one.
  assert.deepEqual([...tmpl.dependencies].sort(), ["a", "b", "id", "u", "v"]);
  const ctx = { u: "U", id: 1, v: "V", a: "", b: "B" };
  assert.equal(renderToString(tmpl.render(ctx)), 'U<a href="/order/1">V</a>B');
  const bound = (changed: string[]) => nested(tmpl.render(ctx, new Set(changed)).dynamics[1]);
  assert.deepEqual(bound(["v"]).dynamics, [UNCHANGED, "V", UNCHANGED]);
  assert.deepEqual(bound(["id"]).dynamics, ["/order/1", UNCHANGED, UNCHANGED]);
  assert.deepEqual(nested(bound(["b"]).dynamics[2]).dynamics, ["B"]);
  assert.deepEqual(tmpl.render(ctx, new Set(["u"])).dynamics, ["U", UNCHANGED]);
  assert.deepEqual(tmpl.render(ctx, new Set(["zzz"])).dynamics, [UNCHANGED, UNCHANGED]);
});

test("`now ... as` and named cycles read no assign; a loop using them is never memoized", () => {
  const now = routed.fromString("{% now 'Y' as y %}{{ y }}|{{ x }}");
  assert.deepEqual([...now.dependencies], ["x"]);
  const partial = nested(now.render({ x: 1 }, new Set(["x"])).dynamics[0]);
  assert.deepEqual(partial.dynamics, [UNCHANGED, "1"]);
  const cycle = routed.fromString(
    "{% for r in rows %}{% cycle 'a' 'b' as c silent %}{{ r.t }}{{ c }}{% endfor %}",
  );
  assert.deepEqual([...cycle.dependencies], ["rows"]);
  const rows = [{ t: 1 }, { t: 2 }, { t: 3 }];
  const first = (cycle.render({ rows }).dynamics[0] as Comprehension).entries;
  const again = (cycle.render({ rows }, new Set(["rows"])).dynamics[0] as Comprehension).entries;
  assert.notEqual(again[0], first[0]);
  assert.equal(renderToString(cycle.render({ rows })), "1a2b3a");
});

test("a loop binding `as` names from its row is still memoized", () => {
  const tmpl = routed.fromString(
    "{% for r in rows %}{% url 'order' r.id as u %}<a href=\"{{ u }}\">{{ r.t }}</a>{% endfor %}",
  );
  assert.deepEqual([...tmpl.dependencies], ["rows"]);
  const rows = [
    { id: 1, t: "a" },
    { id: 2, t: "b" },
  ];
  const first = (tmpl.render({ rows }).dynamics[0] as Comprehension).entries;
  (rows[1] as { t: string }).t = "B";
  const second = (tmpl.render({ rows }, new Set(["rows"])).dynamics[0] as Comprehension).entries;
  assert.equal(second[0], first[0]);
  assert.notEqual(second[1], first[1]);
  assert.equal(
    renderToString(tmpl.render({ rows })),
    '<a href="/order/1">a</a><a href="/order/2">B</a>',
  );
});

test("an unchanged loop returns its previous output; keys moving mid-list are handled", () => {
  const tmpl = loader.fromString("{% for r in rows %}<i>{{ r.t }}</i>{% endfor %}");
  const rows = [
    { id: 1, t: "a" },
    { id: 2, t: "b" },
    { id: 3, t: "c" },
  ];
  const loop = () => tmpl.render({ rows }).dynamics[0] as Comprehension;
  const first = loop();
  assert.equal(loop(), first, "nothing changed: the very same comprehension");
  // An item's key changes in place after an earlier row changed: the in-place refresh stops
  // there and the loop is matched by key instead.
  (rows[0] as { t: string }).t = "A";
  (rows[1] as { id: number }).id = 9;
  const moved = loop();
  assert.deepEqual(
    moved.entries.map((e) => e.key),
    ["1", "9", "3"],
  );
  assert.equal(moved.entries[2], first.entries[2]);
  assert.equal(renderToString(tmpl.render({ rows })), "<i>A</i><i>b</i><i>c</i>");
  rows.reverse();
  assert.equal(renderToString(tmpl.render({ rows })), "<i>c</i><i>b</i><i>A</i>");
});

test("a list reusing another list's memo does not disturb that list's own", () => {
  const tmpl = loader.fromString("{% for r in rows %}{{ r.t }}{% endfor %}");
  const a = [
    { id: 1, t: "a1" },
    { id: 2, t: "a2" },
  ];
  const first = (tmpl.render({ rows: a }).dynamics[0] as Comprehension).entries;
  const b = a.map((r) => ({ ...r }));
  (b[0] as { t: string }).t = "b1";
  const other = (tmpl.render({ rows: b }).dynamics[0] as Comprehension).entries;
  assert.deepEqual(other[0]?.dynamics, ["b1"]);
  assert.equal(other[1], first[1], "b starts from a's memo");
  const again = (tmpl.render({ rows: a }).dynamics[0] as Comprehension).entries;
  assert.equal(again[0], first[0], "a's memo was copied, not updated, by b's render");
  assert.equal(renderToString(tmpl.render({ rows: a })), "a1a2");
  assert.equal(renderToString(tmpl.render({ rows: b })), "b1a2");
});

test("generated and plain row-field checks agree", () => {
  const fields = ["a", "b", "0", 'weird "name"\n'];
  const generated = fieldCheck(fields, true);
  const plain = fieldCheck(fields, false);
  const snap = [1, "x", undefined, true];
  const items: Record<string, unknown>[] = [
    { a: 1, b: "x", 'weird "name"\n': true },
    { a: 1, b: "x", 'weird "name"\n': false },
    { a: 1, b: "x", 0: 5, 'weird "name"\n': true },
    { b: "x", a: 1, 'weird "name"\n': true, extra: {} },
    {},
  ];
  assert.deepEqual(
    items.map((item) => generated(item, snap)),
    [true, false, false, true, false],
  );
  assert.deepEqual(
    items.map((item) => plain(item, snap)),
    items.map((item) => generated(item, snap)),
  );
  assert.equal(fieldCheck([], true)({}, []), true);
});

test("a row replaced by a non-plain value with the same fields is re-rendered", () => {
  const tmpl = loader.fromString("{% for r in rows %}[{{ r.length }}]{% endfor %}");
  const rows: unknown[] = [{ length: 3 }, { length: 1 }];
  assert.equal(renderToString(tmpl.render({ rows })), "[3][1]");
  assert.equal(renderToString(tmpl.render({ rows })), "[3][1]");
  // A string has a `length` of 3 too, but templates read only digits from strings.
  rows[0] = "abc";
  rows[1] = new Map([["length", 7]]);
  assert.equal(renderToString(tmpl.render({ rows })), "[][7]");
  rows[0] = { length: 3 };
  assert.equal(renderToString(tmpl.render({ rows: rows.slice() })), "[3][7]");
});

test("a render that throws halfway leaves the loop memo consistent", () => {
  const tmpl = loader.fromString("{% for r in rows %}{{ r.t }}{{ r.x }}{% endfor %}");
  let fail = false;
  const rows = [
    { id: 1, t: "a", x: "" },
    { id: 2, t: "b", x: "" },
  ];
  const broken = { id: 2, t: "b", x: "" };
  Object.defineProperty(broken, "x", {
    enumerable: true,
    get: () => {
      if (fail) throw new Error("boom");
      return "";
    },
  });
  assert.equal(renderToString(tmpl.render({ rows })), "ab");
  rows[1] = broken;
  (rows[0] as { t: string }).t = "A";
  fail = true;
  assert.throws(() => tmpl.render({ rows }), /boom/);
  fail = false;
  assert.equal(renderToString(tmpl.render({ rows })), "Ab");
});

test("localize, get_language_info, lorem and a variable language keep the loop memo; random lorem and debug do not", () => {
  // (Rows holding a Date are never reused: a Date is an object that can change in place.)
  const l = new TemplateLoader({ dirs: [], debug: true });
  const pure = l.fromString(
    "{% load i18n l10n %}{% for r in rows %}{{ r.v|localize }}|{{ r.v|unlocalize }}|" +
      "{% get_language_info for r.code as info %}{{ info.name }}|{% lorem r.n w %}|" +
      "{% language r.code %}{% get_current_language as L %}{{ L }}{{ r.v }}{% endlanguage %};{% endfor %}",
  );
  const rows = [
    { v: 1.5, code: "de", n: 2 },
    { v: 2, code: "fr", n: 1 },
  ];
  const entries = (t: typeof pure, ctx: Record<string, unknown>) =>
    (t.render(ctx, new Set(["rows"])).dynamics[0] as Comprehension).entries;
  const first = entries(pure, { rows });
  assert.equal(
    renderToString(pure.render({ rows })),
    "1.5|1.5|German|lorem ipsum|de1,5;2|2|French|lorem|fr2;",
  );
  const second = entries(pure, { rows });
  assert.equal(second[0], first[0], "an unchanged row is reused");
  assert.equal(second[1], first[1]);
  (rows[1] as { code: string }).code = "it";
  const third = entries(pure, { rows });
  assert.equal(third[0], first[0]);
  assert.notEqual(third[1], first[1], "the changed row is rendered again");
  assert.match(renderToString(pure.render({ rows })), /\|Italian\|lorem\|it2;$/);
  for (const body of ["{% lorem 2 w random %}", "{% debug %}"]) {
    const impure = l.fromString(`{% for r in rows %}${body}{% endfor %}`);
    const a = entries(impure, { rows });
    assert.notEqual(entries(impure, { rows })[0], a[0], `${body} renders every row again`);
  }
});

test("the tags added for Django parity read exactly their inputs: skipped when others change", () => {
  const l = new TemplateLoader({ dirs: [] });
  const date = new Date(Date.UTC(2008, 0, 2, 12));
  // [tag, context, its inputs, a change of one input]
  const cases: [string, Record<string, unknown>, string[], Record<string, unknown>][] = [
    ["{% widthratio v m 100 %}", { v: 1, m: 2 }, ["m", "v"], { v: 2 }],
    ["{% filter upper %}{{ a }}{% endfilter %}", { a: "x" }, ["a"], { a: "y" }],
    ["{% ifchanged a %}{{ a }}{% endifchanged %}", { a: "x" }, ["a"], { a: "y" }],
    ["{% firstof a b %}", { a: "", b: "x" }, ["a", "b"], { a: "y" }],
    ["{% translate msg %}", { msg: "x" }, ["msg"], { msg: "y" }],
    [
      "{% blocktranslate count n=xs|length %}one{% plural %}{{ n }} items{% endblocktranslate %}",
      { xs: [1] },
      ["xs"],
      { xs: [1, 2] },
    ],
    ["{% static path %}", { path: "a.css" }, ["path"], { path: "b.css" }],
    [
      "{% querystring page=p %}",
      { p: 1, request: { GET: new URLSearchParams("a=1") } },
      ["p", "request"],
      { p: 2 },
    ],
    ['{% timezone "Asia/Tokyo" %}{{ d }}{% endtimezone %}', { d: date }, ["d"], { d: new Date(0) }],
    ["{% localize off %}{{ n }}{% endlocalize %}", { n: 1.5 }, ["n"], { n: 2.5 }],
    ['{% language "de" %}{{ d|date }}{% endlanguage %}', { d: date }, ["d"], { d: new Date(0) }],
    ["{% lorem n w %}", { n: 1 }, ["n"], { n: 2 }],
    ["{% get_language_info for c as i %}{{ i.name }}", { c: "de" }, ["c"], { c: "fr" }],
    ["{% spaceless %}<p> <b>{{ a }}</b> </p>{% endspaceless %}", { a: "x" }, ["a"], { a: "y" }],
    ["{% regroup xs by k as g %}{{ g|length }}", { xs: [{ k: 1 }] }, ["xs"], { xs: [] }],
  ];
  for (const [tag, ctx, inputs, change] of cases) {
    const tmpl = l.fromString(`{% load i18n l10n tz static %}{{ z }}|${tag}`);
    assert.deepEqual([...tmpl.dependencies].sort(), [...inputs, "z"].sort(), tag);
    const full = tmpl.render({ ...ctx, z: 1 });
    const others = tmpl.render({ ...ctx, z: 2 }, new Set(["z"])).dynamics;
    assert.ok(
      others.slice(1).every((d) => d === UNCHANGED),
      `${tag}: skipped when only z changed`,
    );
    const name = Object.keys(change)[0] as string;
    const next = { ...ctx, ...change, z: 1 };
    const mine = tmpl.render(next, new Set([name])).dynamics;
    assert.equal(mine[0], UNCHANGED, `${tag}: z skipped when ${name} changed`);
    assert.deepEqual(mine.slice(1), tmpl.render(next).dynamics.slice(1), tag);
    assert.notEqual(
      renderToString(tmpl.render(next)),
      renderToString(full),
      `${tag}: shows the change`,
    );
  }
  // Tags with no inputs are never re-evaluated by a change-tracked render.
  for (const tag of [
    "{% get_current_language as L %}{{ L }}",
    '{% now "Y" %}',
    '{% trans "Hi" %}',
  ]) {
    const tmpl = l.fromString(`{% load i18n %}{{ z }}|${tag}`);
    assert.deepEqual([...tmpl.dependencies], ["z"], tag);
    const dynamics = tmpl.render({ z: 2 }, new Set(["z"])).dynamics;
    assert.ok(
      dynamics.slice(1).every((d) => d === UNCHANGED),
      tag,
    );
  }
});

test("the loop memo reuses rows using the pure new tags; ifchanged and cycle/resetcycle rows never", () => {
  const l = new TemplateLoader({ dirs: [] });
  const pure = l.fromString(
    "{% load i18n static tz %}{% for r in rows %}{% widthratio r.v 10 100 %}|" +
      "{% filter upper %}{{ r.s }}{% endfilter %}|{% firstof r.x r.s %}|{% translate r.s %}|" +
      '{% static r.s %}|{% timezone "Asia/Tokyo" %}{{ r.v }}{% endtimezone %}|' +
      "{% spaceless %} <b> {{ r.s }} </b> {% endspaceless %}|" +
      "{% blocktranslate with s=r.s %}[{{ s }}]{% endblocktranslate %};{% endfor %}",
  );
  const rows = [
    { v: 1, s: "a", x: "" },
    { v: 2, s: "b", x: "" },
  ];
  const entries = (t: typeof pure) =>
    (t.render({ rows }, new Set(["rows"])).dynamics[0] as Comprehension).entries;
  assert.equal(
    renderToString(pure.render({ rows })),
    "10|A|a|a|/static/a|1|<b> a </b>|[a];20|B|b|b|/static/b|2|<b> b </b>|[b];",
  );
  const first = entries(pure);
  const second = entries(pure);
  assert.equal(second[0], first[0], "an unchanged row is reused");
  assert.equal(second[1], first[1]);
  (rows[1] as { s: string }).s = "c";
  const third = entries(pure);
  assert.equal(third[0], first[0]);
  assert.notEqual(third[1], first[1], "the changed row is rendered again");
  assert.match(
    renderToString(pure.render({ rows })),
    /;20\|C\|c\|c\|\/static\/c\|2\|<b> c <\/b>\|\[c\];$/,
  );
  for (const body of [
    "{% ifchanged r.s %}{{ r.s }}{% endifchanged %}",
    "{% cycle 'o' 'e' %}{% resetcycle %}",
  ]) {
    const impure = l.fromString(`{% for r in rows %}${body}{% endfor %}`);
    const a = (impure.render({ rows }, new Set(["rows"])).dynamics[0] as Comprehension).entries;
    const b = (impure.render({ rows }, new Set(["rows"])).dynamics[0] as Comprehension).entries;
    assert.notEqual(b[0], a[0], `${body}: rows depend on earlier rows, rendered every time`);
    assert.deepEqual(b, a, `${body}: with the same output`);
  }
});
