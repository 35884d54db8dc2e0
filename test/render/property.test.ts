// Property-based tests: random trees and random html`` states, random changes; the real client's
// merged HTML must always equal our full render, and unchanged trees must diff to null.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { diff, renderedToWire } from "../../src/render/diff.js";
import { renderToString } from "../../src/render/html.js";
import {
  UNCHANGED,
  type Comprehension,
  type ComprehensionEntry,
  type Dynamic,
  type Rendered,
  type Slot,
} from "../../src/render/tree.js";
import { html, keyed } from "../../src/template/html.js";
import { ClientTree } from "../support/phoenix-client.js";
import { comp, node, roundTrip } from "./helpers.js";
import { propertyRuns } from "../support/property-runs.js";

// A small pool of shapes, with two shapes per slot count so that fingerprint changes between
// shapes of the same arity happen often.
const SHAPES: ReadonlyArray<readonly string[]> = [
  ["<hr>"],
  ["<b>", "</b>"],
  ["<i>", "</i>"],
  ["<p>", "|", "</p>"],
  ["<q>", "&amp;", "</q>"],
  ["<div>", "-", "+", "</div>"],
];
const TEXTS = ["", "a", "b", "<", "&", "'\"", "x y"];
const KEYS = ["k1", "k2", "k3", "k4", "k5"];

type Rnd = () => number;

// mulberry32: a tiny seeded PRNG so a failing seed reproduces exactly.
function prng(seed: number): Rnd {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rnd: Rnd, items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;

function shuffle<T>(rnd: Rnd, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function genDynamic(rnd: Rnd, depth: number): Dynamic {
  const roll = rnd();
  if (depth <= 0 || roll < 0.45) return pick(rnd, TEXTS);
  if (roll < 0.75) return genNode(rnd, depth - 1);
  return genComprehension(rnd, depth - 1);
}

function genNode(rnd: Rnd, depth: number, shape = pick(rnd, SHAPES)): Rendered {
  const dynamics = Array.from({ length: shape.length - 1 }, () => genDynamic(rnd, depth));
  return node(shape, ...dynamics);
}

function genComprehension(rnd: Rnd, depth: number): Comprehension {
  const shape = pick(rnd, SHAPES.slice(1));
  const isKeyed = rnd() < 0.6;
  const keys = shuffle(rnd, KEYS).slice(0, Math.floor(rnd() * 5));
  const rows = keys.map(
    (key) =>
      [
        isKeyed ? key : undefined,
        ...Array.from({ length: shape.length - 1 }, () => genDynamic(rnd, depth)),
      ] as const,
  );
  return comp(shape, rows);
}

// A change that keeps most of the tree: the diff's fine-grained paths (same shape, moved rows)
// only run when consecutive trees are similar.
function mutateDynamic(rnd: Rnd, value: Dynamic, depth: number): Dynamic {
  const roll = rnd();
  if (roll < 0.5) return value;
  if (roll < 0.65 || typeof value === "string" || value.type === "component") {
    return genDynamic(rnd, depth);
  }
  if (value.type === "rendered") return mutateNode(rnd, value, depth - 1);
  return mutateComprehension(rnd, value, depth - 1);
}

function mutateNode(rnd: Rnd, value: Rendered, depth: number): Rendered {
  const dynamics = value.dynamics.map((d) => mutateDynamic(rnd, d as Dynamic, depth));
  return { ...value, dynamics };
}

function mutateComprehension(rnd: Rnd, value: Comprehension, depth: number): Comprehension {
  let entries: ComprehensionEntry[] = value.entries.map((e) =>
    rnd() < 0.3 ? { ...e, dynamics: e.dynamics.map((d) => mutateDynamic(rnd, d, depth)) } : e,
  );
  const op = rnd();
  const isKeyed = entries.length > 0 && entries.every((e) => e.key !== undefined);
  if (op < 0.25) entries = shuffle(rnd, entries);
  else if (op < 0.45 && entries.length > 0) entries.splice(Math.floor(rnd() * entries.length), 1);
  else if (op < 0.65) {
    const used = new Set(entries.map((e) => e.key));
    const free = KEYS.filter((k) => !used.has(k));
    if (free.length > 0) {
      const dynamics = Array.from({ length: value.statics.length - 1 }, () =>
        genDynamic(rnd, depth),
      );
      const entry: ComprehensionEntry = isKeyed ? { key: pick(rnd, free), dynamics } : { dynamics };
      entries.splice(Math.floor(rnd() * (entries.length + 1)), 0, entry);
    }
  }
  return { ...value, entries };
}

// Replaces, at random, slots of `next` by UNCHANGED where `prev` has the same value, as a
// change-tracked render would; returns the tree the diff must reconstruct too.
function withUnchanged(rnd: Rnd, prev: Rendered, next: Rendered): Rendered {
  if (prev.statics !== next.statics) return next;
  const dynamics: Slot[] = next.dynamics.map((slot, i) => {
    const before = prev.dynamics[i] as Dynamic;
    if (slot === before && rnd() < 0.7) return UNCHANGED;
    if (typeof slot === "object" && slot.type === "rendered" && typeof before === "object") {
      if (before.type === "rendered") return withUnchanged(rnd, before, slot);
    }
    return slot;
  });
  return { ...next, dynamics };
}

const ROOT = ["<main>", "", "</main>"] as const;

describe("property: random trees", () => {
  it("client-merged HTML equals our full render over random change sequences", () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: 1, max: 8 }),
        fc.boolean(),
        (seed, steps, shareStatics) => {
          const rnd = prng(seed);
          const trees: Rendered[] = [node(ROOT, genDynamic(rnd, 3), genDynamic(rnd, 3))];
          for (let i = 0; i < steps; i++) {
            const last = trees[trees.length - 1] as Rendered;
            // Mostly small edits, sometimes an unrelated tree (possibly another root shape).
            trees.push(rnd() < 0.8 ? mutateNode(rnd, last, 3) : genNode(rnd, 3));
          }
          roundTrip(trees, { shareStatics });
        },
      ),
      propertyRuns(400),
    );
  });

  it("diffs of unchanged trees are null, whether the same object or an equal copy", () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const tree = node(ROOT, genDynamic(prng(seed), 4), genDynamic(prng(seed + 1), 4));
        const copy = node(ROOT, genDynamic(prng(seed), 4), genDynamic(prng(seed + 1), 4));
        assert.notEqual(copy, tree);
        assert.equal(diff(tree, tree).diff, null);
        assert.equal(diff(tree, copy).diff, null);
        // Statics deep-copied (new identities) must still compare equal by content.
        const rebuilt = JSON.parse(JSON.stringify(tree)) as Rendered;
        assert.equal(diff(tree, rebuilt).diff, null);
      }),
      propertyRuns(300),
    );
  });

  it("UNCHANGED slots take the previous value, in the tree and on the client", () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 5 }), (seed, steps) => {
        const rnd = prng(seed);
        let tree = node(ROOT, genDynamic(rnd, 3), genDynamic(rnd, 3));
        const client = new ClientTree("phx-prop", renderedToWire(tree));
        for (let i = 0; i < steps; i++) {
          const full = mutateNode(rnd, tree, 3);
          const tracked = withUnchanged(rnd, tree, full);
          const result = diff(tree, tracked);
          assert.equal(renderToString(result.tree), renderToString(full));
          assert.deepEqual(result.diff, diff(tree, full).diff);
          if (result.diff !== null) client.merge(result.diff);
          assert.equal(client.html(), renderToString(full));
          tree = result.tree;
        }
      }),
      propertyRuns(300),
    );
  });

  it("a full payload renders the same on the client as our renderer", () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const tree = genNode(prng(seed), 4);
        assert.equal(new ClientTree("phx-prop", renderedToWire(tree)).html(), renderToString(tree));
      }),
      propertyRuns(300),
    );
  });
});

// Random states rendered through html`` templates that use every feature of the tag.
interface Item {
  id: number;
  text: string;
  flag: boolean;
  tags: string[];
}
interface State {
  title: string;
  show: boolean;
  mode: 0 | 1 | 2;
  items: Item[];
  plain: string[];
}

const textArb = fc.constantFrom("", "a", "b", "<b>", "&", "'", '"', "x y", "é");
const itemArb: fc.Arbitrary<Item> = fc.record({
  id: fc.integer({ min: 0, max: 6 }),
  text: textArb,
  flag: fc.boolean(),
  tags: fc.array(textArb, { maxLength: 3 }),
});
const stateArb: fc.Arbitrary<State> = fc.record({
  title: textArb,
  show: fc.boolean(),
  mode: fc.constantFrom(0 as const, 1 as const, 2 as const),
  items: fc.uniqueArray(itemArb, { maxLength: 6, selector: (i) => i.id }),
  plain: fc.array(textArb, { maxLength: 3 }),
});

const badge = (text: string) => html`<span class="badge">${text}</span>`;

function view(s: State): Rendered {
  const header =
    s.mode === 0
      ? html`<h1 title="${s.title}">${s.title}</h1>`
      : s.mode === 1
        ? html`<h2>${badge(s.title)}</h2>`
        : null;
  return html`<div class="app">
    ${header}${s.show && html`<p>${s.plain}</p>`}
    <ul>
      ${s.items.map((item) =>
        keyed(
          item.id,
          html`<li class="${item.flag ? "on" : "off"}">
            ${item.text}${item.flag ? badge(item.text) : ""}
            <ol>
              ${item.tags.map((t) => html`<li>${t}</li>`)}
            </ol>
          </li>`,
        ),
      )}
    </ul>
    <footer>${s.items.map((item) => (item.flag ? badge(String(item.id)) : item.text))}</footer>
  </div>`;
}

describe("property: random html`` compositions", () => {
  it("client-merged HTML equals our full render over random state sequences", () => {
    fc.assert(
      fc.property(
        fc.array(stateArb, { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        (states, shareStatics) => {
          roundTrip(states.map(view), { shareStatics });
        },
      ),
      propertyRuns(300),
    );
  });

  it("re-rendering the same state diffs to null", () => {
    fc.assert(
      fc.property(stateArb, (state) => {
        assert.equal(diff(view(state), view(state)).diff, null);
      }),
      propertyRuns(300),
    );
  });
});
