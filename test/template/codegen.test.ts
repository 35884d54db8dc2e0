import { test } from "node:test";
import assert from "node:assert/strict";
import { fieldReader, slotsEvaluator } from "../../src/template/codegen.js";
import {
  callIfCallable,
  Frame,
  fractionText,
  getMember,
  lookupLocal,
} from "../../src/template/values.js";
import { TemplateLoader } from "../../src/template/index.js";
import { renderToString } from "../../src/render/html.js";

const helpers = { lookupLocal, getMember, callIfCallable };

test("generated and plain slot evaluators agree: every slot in order, a full render", () => {
  const seen: unknown[] = [];
  const runs = [0, 1, 2].map((i) => (scope: string, changed: undefined) => {
    seen.push([i, scope, changed]);
    return `${scope}${i}`;
  });
  for (const generate of [true, false]) {
    seen.length = 0;
    assert.deepEqual(slotsEvaluator(runs, generate)("s"), ["s0", "s1", "s2"]);
    assert.deepEqual(seen, [
      [0, "s", undefined],
      [1, "s", undefined],
      [2, "s", undefined],
    ]);
    assert.deepEqual(slotsEvaluator([], generate)("s"), []);
  }
});

test("generated and plain `local.field` readers agree", () => {
  class Item {
    price = 3;
    label(): string {
      return `item ${this.price}`;
    }
  }
  const names = ["forloop", "row"];
  const cases: [unknown, string, unknown][] = [
    [{ a: 1 }, "a", 1],
    [{ a: 1 }, "b", undefined],
    [{ a: null }, "a", null],
    [{ f: () => "called" }, "f", "called"],
    [{}, "constructor", undefined],
    [{}, "toString", undefined],
    [new Item(), "label", "item 3"],
    [new Map([["k", "v"]]), "k", "v"],
    [["x", "y"], "1", "y"],
    [null, "a", undefined],
    [undefined, "a", undefined],
  ];
  for (const generate of [true, false]) {
    for (const [row, key, expected] of cases) {
      const read = fieldReader("row", key, helpers, generate);
      // Twice through the same frame (the remembered position), then through another binder's
      // frame list and an outer frame.
      const frame = new Frame(null, names, [{}, row]);
      assert.deepEqual(read({ frame }), expected, `${generate} ${key}`);
      assert.deepEqual(read({ frame: new Frame(null, names, [{}, row]) }), expected);
      const inner = new Frame(new Frame(null, ["row"], [row]), ["other"], [1]);
      assert.deepEqual(read({ frame: inner }), expected, `${generate} ${key} (outer frame)`);
      const shadowing = new Frame(inner, ["x", "row"], [0, { [key]: "shadow" }]);
      assert.deepEqual(read({ frame: shadowing }), "shadow", `${generate} ${key} (shadowed)`);
    }
    assert.equal(fieldReader("row", "a", helpers, generate)({ frame: null }), undefined);
  }
});

test("fractionText prints exactly what String prints", () => {
  const values: number[] = [0.5, -0.5, 0.05, -0.05, 0.1 + 0.2, 1 / 3, 137.5, 1e-7, 1.5e-5];
  values.push(Number.NaN, Infinity, -Infinity, 2 ** 60 + 0.5, 9.99e14 + 0.25, 1e15 + 0.5);
  for (let i = -30000; i <= 30000; i++) values.push(i / 100, i / 10, i * 0.01, i * 1.1, i / 7);
  for (let e = -20; e <= 20; e++) values.push(1.25 * 10 ** e, -3.75 * 10 ** e, 10 ** e + 0.01);
  for (const v of values)
    if (!Number.isInteger(v)) assert.equal(fractionText(v), String(v), `${v}`);
});

test("a table renders the same through the generated evaluators as Django would print it", () => {
  const tmpl = new TemplateLoader({ dirs: [], loopMemo: false }).fromString(
    "{% for r in rows %}<{{ forloop.counter }}|{{ r.name }}|{{ r.total }}|{{ r.missing }}>{% endfor %}",
  );
  const rows = [
    { name: "a&b", total: 13.75 },
    { name: "c", total: -0.05 },
    { name: "d", total: 1e-7 },
  ];
  assert.equal(
    renderToString(tmpl.render({ rows })),
    "<1|a&amp;b|13.75|><2|c|-0.05|><3|d|0.0000001|>",
  );
});
