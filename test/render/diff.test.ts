import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { diff, renderedToWire } from "../../src/render/diff.js";
import { renderToString } from "../../src/render/html.js";
import { UNCHANGED, type Rendered } from "../../src/render/tree.js";
import { comp, node, roundTrip } from "./helpers.js";

const P = ["<p>", " ", "</p>"] as const;
const DIV = ["<div>", "</div>"] as const;
const B = ["<b>", "</b>"] as const;
const I = ["<i>", "</i>"] as const;
const LI = ["<li>", "</li>"] as const;
const UL = ["<ul>", "</ul>"] as const;

// Checks the exact diff, then that the real client turns `prev` + diff into `next`'s HTML.
function expectDiff(prev: Rendered, next: Rendered, expected: unknown): Rendered {
  const result = diff(prev, next);
  assert.deepEqual(result.diff, expected);
  roundTrip([prev, next]);
  return result.tree;
}

describe("renderedToWire", () => {
  it("serialises statics and numeric slots", () => {
    assert.deepEqual(renderedToWire(node(P, "a", "b")), {
      s: ["<p>", " ", "</p>"],
      0: "a",
      1: "b",
    });
  });

  it("nests trees and serialises comprehensions with statics once and entries under k", () => {
    const tree = node(
      DIV,
      node(
        UL,
        comp(LI, [
          [undefined, "x"],
          [undefined, node(B, "y")],
        ]),
      ),
    );
    assert.deepEqual(renderedToWire(tree), {
      s: ["<div>", "</div>"],
      0: {
        s: ["<ul>", "</ul>"],
        0: {
          s: ["<li>", "</li>"],
          k: { 0: { 0: "x" }, 1: { 0: { s: ["<b>", "</b>"], 0: "y" } }, kc: 2 },
        },
      },
    });
  });

  it("sends an empty comprehension as an empty string", () => {
    assert.deepEqual(renderedToWire(node(UL, comp(LI, []))), { s: ["<ul>", "</ul>"], 0: "" });
  });

  it("shares statics repeated in one payload through p, and only then", () => {
    const row = (k: string) => [k, node(['<b class="badge">', "</b>"], k)] as const;
    const tree = node(UL, comp(LI, [row("1"), row("2"), row("3")]));
    const badge = ['<b class="badge">', "</b>"];
    assert.deepEqual(renderedToWire(tree), {
      s: ["<ul>", "</ul>"],
      0: {
        s: ["<li>", "</li>"],
        k: {
          0: { 0: { s: 0, 0: "1" } },
          1: { 0: { s: 0, 0: "2" } },
          2: { 0: { s: 0, 0: "3" } },
          kc: 3,
        },
      },
      p: { 0: badge },
    });
    assert.deepEqual(renderedToWire(tree, { shareStatics: false }), {
      s: ["<ul>", "</ul>"],
      0: {
        s: ["<li>", "</li>"],
        k: {
          0: { 0: { s: badge, 0: "1" } },
          1: { 0: { s: badge, 0: "2" } },
          2: { 0: { s: badge, 0: "3" } },
          kc: 3,
        },
      },
    });
    // One use, or statics too short to pay for a table entry, stay inline.
    const once = node(UL, comp(LI, [row("1")]));
    assert.equal("p" in renderedToWire(once), false);
    const tiny = node(
      UL,
      comp(LI, [
        ["1", node(["", ""], "a")],
        ["2", node(["", ""], "b")],
      ]),
    );
    assert.equal("p" in renderedToWire(tiny), false);
    roundTrip([tree, once, tiny, tree]);
  });

  it("rejects a tree with an UNCHANGED slot", () => {
    assert.throws(() => renderedToWire(node(P, "a", UNCHANGED)), /UNCHANGED/);
  });
});

describe("diff: plain slots", () => {
  it("returns null for the same tree, an equal tree, and an all-UNCHANGED tree", () => {
    const tree = node(DIV, node(P, "a", comp(LI, [["k", "x"]])));
    assert.deepEqual(diff(tree, tree), { diff: null, tree });
    const equal = node(DIV, node(P, "a", comp(LI, [["k", "x"]])));
    assert.equal(diff(tree, equal).diff, null);
    const skipped = node(DIV, UNCHANGED);
    const result = diff(tree, skipped);
    assert.equal(result.diff, null);
    assert.equal(renderToString(result.tree), renderToString(tree));
  });

  it("sends only the string slot that changed", () => {
    expectDiff(node(P, "a", "b"), node(P, "a", "c"), { 1: "c" });
  });

  it("fills UNCHANGED slots from the previous tree and omits them", () => {
    const prev = node(P, "a", node(B, "kept"));
    const result = diff(prev, node(P, "z", UNCHANGED));
    assert.deepEqual(result.diff, { 0: "z" });
    assert.equal(result.tree.dynamics[1], prev.dynamics[1]);
    assert.equal(renderToString(result.tree), "<p>z <b>kept</b></p>");
  });

  it("resolves UNCHANGED inside a nested tree of the same shape", () => {
    const prev = node(DIV, node(P, "a", "b"));
    const result = diff(prev, node(DIV, node(P, UNCHANGED, "c")));
    assert.deepEqual(result.diff, { 0: { 1: "c" } });
    assert.equal(renderToString(result.tree), "<div><p>a c</p></div>");
  });

  it("throws for UNCHANGED without a previous value of the same shape", () => {
    assert.throws(() => diff(undefined, node(P, "a", UNCHANGED)), /UNCHANGED/);
    assert.throws(() => diff(node(DIV, "x"), node(DIV, node(P, "a", UNCHANGED))), /UNCHANGED/);
  });

  it("with no previous tree, returns the full tree", () => {
    const tree = node(P, "a", "b");
    assert.deepEqual(diff(undefined, tree), { diff: renderedToWire(tree), tree });
  });
});

describe("diff: nested trees and fingerprints", () => {
  it("merges a nested tree of the same fingerprint without statics", () => {
    expectDiff(node(DIV, node(B, "x")), node(DIV, node(B, "y")), { 0: { 0: "y" } });
  });

  it("re-sends statics when a slot's fingerprint changed", () => {
    expectDiff(node(DIV, node(B, "x")), node(DIV, node(I, "x")), {
      0: { s: ["<i>", "</i>"], 0: "x" },
    });
  });

  it("re-sends the whole root when the root's fingerprint changed", () => {
    expectDiff(node(DIV, "x"), node(B, "x"), { s: ["<b>", "</b>"], 0: "x" });
  });

  it("switches between a string and a tree in either direction", () => {
    const withTree = node(DIV, node(B, "x"));
    const withText = node(DIV, "plain");
    expectDiff(withText, withTree, { 0: { s: ["<b>", "</b>"], 0: "x" } });
    expectDiff(withTree, withText, { 0: "plain" });
  });

  it("compares statics by content when two arrays have equal strings", () => {
    const a = node(DIV, node(B, "x"));
    const copy = { ...node(B, "y"), statics: [...B] };
    assert.deepEqual(diff(a, node(DIV, copy)).diff, { 0: { 0: "y" } });
  });
});

describe("diff: unkeyed comprehensions (by index)", () => {
  const list = (...items: string[]) =>
    node(
      UL,
      comp(
        LI,
        items.map((item) => [undefined, item] as const),
      ),
    );

  it("grows", () => {
    expectDiff(list("a", "b"), list("a", "b", "c"), { 0: { k: { 2: { 0: "c" }, kc: 3 } } });
  });

  it("shrinks", () => {
    expectDiff(list("a", "b", "c"), list("a"), { 0: { k: { kc: 1 } } });
  });

  it("changes one row", () => {
    expectDiff(list("a", "b", "c"), list("a", "B", "c"), { 0: { k: { 1: { 0: "B" }, kc: 3 } } });
  });

  it("reorders by sending the rows whose content changed at each index", () => {
    expectDiff(list("a", "b", "c"), list("c", "b", "a"), {
      0: { k: { 0: { 0: "c" }, 2: { 0: "a" }, kc: 3 } },
    });
  });

  it("is null when nothing changed", () => {
    assert.equal(diff(list("a", "b"), list("a", "b")).diff, null);
  });

  it("goes to and from empty", () => {
    expectDiff(list("a"), list(), { 0: "" });
    expectDiff(list(), list("a"), { 0: { s: ["<li>", "</li>"], k: { 0: { 0: "a" }, kc: 1 } } });
    assert.equal(diff(list(), list()).diff, null);
  });

  it("re-sends the comprehension when its statics changed", () => {
    const other = node(UL, comp(["<li class=x>", "</li>"], [[undefined, "a"]]));
    expectDiff(list("a"), other, {
      0: { s: ["<li class=x>", "</li>"], k: { 0: { 0: "a" }, kc: 1 } },
    });
  });
});

describe("diff: keyed comprehensions", () => {
  const list = (...rows: Array<[string, string]>) => node(UL, comp(LI, rows));
  const a: [string, string] = ["a", "A"];
  const b: [string, string] = ["b", "B"];
  const c: [string, string] = ["c", "C"];

  it("sends a reorder as moves only", () => {
    expectDiff(list(a, b, c), list(c, a, b), {
      0: { k: { 0: 2, 1: 0, 2: 1, kc: 3, km: true } },
    });
  });

  it("inserts at the front: one new row, the rest moved", () => {
    expectDiff(list(a, b), list(["x", "X"], a, b), {
      0: { k: { 0: { 0: "X" }, 1: 0, 2: 1, kc: 3, km: true } },
    });
  });

  it("appends without moves", () => {
    expectDiff(list(a, b), list(a, b, c), { 0: { k: { 2: { 0: "C" }, kc: 3 } } });
  });

  it("removes from the middle", () => {
    expectDiff(list(a, b, c), list(a, c), { 0: { k: { 1: 2, kc: 2, km: true } } });
  });

  it("removes from the end", () => {
    expectDiff(list(a, b, c), list(a, b), { 0: { k: { kc: 2 } } });
  });

  it("changes one row in place", () => {
    expectDiff(list(a, b, c), list(a, ["b", "B2"], c), { 0: { k: { 1: { 0: "B2" }, kc: 3 } } });
  });

  it("moves and changes a row in one entry", () => {
    expectDiff(list(a, b), list(["b", "B2"], a), {
      0: { k: { 0: [1, { 0: "B2" }], 1: 0, kc: 2, km: true } },
    });
  });

  it("replaces a row whose key is new even when its content is equal", () => {
    expectDiff(list(a), list(["z", "A"]), { 0: { k: { 0: { 0: "A" }, kc: 1 } } });
  });

  it("falls back to index matching when keys repeat", () => {
    expectDiff(list(a, b), list(["d", "1"], ["d", "2"]), {
      0: { k: { 0: { 0: "1" }, 1: { 0: "2" }, kc: 2 } },
    });
  });

  it("diffs nested trees of moved rows against their own previous row", () => {
    const row = (key: string, text: string) => [key, node(B, text)] as const;
    const prev = node(UL, comp(LI, [row("a", "1"), row("b", "2")]));
    const next = node(UL, comp(LI, [row("b", "2!"), row("a", "1")]));
    expectDiff(prev, next, { 0: { k: { 0: [1, { 0: { 0: "2!" } }], 1: 0, kc: 2, km: true } } });
  });

  it("diffs nested comprehensions inside rows", () => {
    const inner = (...xs: string[]) =>
      comp(
        ["<i>", "</i>"],
        xs.map((x) => [x, x] as const),
      );
    const prev = node(
      UL,
      comp(LI, [
        ["r1", inner("p", "q")],
        ["r2", inner("s")],
      ]),
    );
    const next = node(
      UL,
      comp(LI, [
        ["r1", inner("q", "p")],
        ["r2", inner("s", "t")],
      ]),
    );
    expectDiff(prev, next, {
      0: {
        k: {
          0: { 0: { k: { 0: 1, 1: 0, kc: 2, km: true } } },
          1: { 0: { k: { 1: { 0: "t" }, kc: 2 } } },
          kc: 2,
        },
      },
    });
  });
});

describe("diff: shared statics in diffs", () => {
  it("puts p at the top of a diff whose new rows repeat a nested template", () => {
    const badge = ['<b class="badge">', "</b>"];
    const row = (k: string) => [k, node(badge, k)] as const;
    const prev = node(UL, comp(LI, [row("1")]));
    const next = node(UL, comp(LI, [row("1"), row("2"), row("3")]));
    expectDiff(prev, next, {
      0: { k: { 1: { 0: { s: 0, 0: "2" } }, 2: { 0: { s: 0, 0: "3" } }, kc: 3 } },
      p: { 0: badge },
    });
  });
});
