// The html`` row memo: a call whose values are all primitives keeps them, and the diff compares
// them with the previous render's row instead of escaping and diffing the row slot by slot. These
// tests check it against the un-memoised path (the same trees copied into plain objects without
// inputs, as html`` built them before the memo): byte-identical diffs, the same page in the real
// client, over random sequences of row edits, inserts, removals and reorders.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { diff, renderedToWire, type WireRendered } from "../../src/render/diff.js";
import { renderToString } from "../../src/render/html.js";
import type {
  Comprehension,
  ComprehensionEntry,
  Dynamic,
  Rendered,
} from "../../src/render/tree.js";
import { html, keyed } from "../../src/template/html.js";
import { ClientTree } from "../support/phoenix-client.js";
import { propertyRuns } from "../support/property-runs.js";

interface Row {
  id: number;
  name: string;
  status: string;
  qty: number | bigint | boolean | null | undefined;
  badge: boolean;
}

// The values escaping and String() treat specially, and numbers `===` does (NaN, -0).
const textArb = fc.constantFrom("", "a", "b", "<b>", "&amp;", "'", '"', "x y", "é");
const qtyArb = fc.constantFrom<Row["qty"]>(0, -0, 1, 2.5, NaN, 10n, true, false, null, undefined);
const rowArb = (id: number): fc.Arbitrary<Row> =>
  fc.record({
    id: fc.constant(id),
    name: textArb,
    status: textArb,
    qty: qtyArb,
    badge: fc.boolean(),
  });

type Op =
  | { kind: "edit"; at: number; field: "name" | "status"; text: string }
  | { kind: "qty"; at: number; qty: Row["qty"] }
  | { kind: "badge"; at: number }
  | { kind: "copy"; at: number }
  | { kind: "insert"; at: number; row: Omit<Row, "id"> }
  | { kind: "remove"; at: number }
  | { kind: "move"; from: number; to: number }
  | { kind: "reverse" }
  | { kind: "none" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant("edit" as const),
    at: fc.nat(),
    field: fc.constantFrom("name" as const, "status" as const),
    text: textArb,
  }),
  fc.record({ kind: fc.constant("qty" as const), at: fc.nat(), qty: qtyArb }),
  fc.record({ kind: fc.constant("badge" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("copy" as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    row: fc.record({ name: textArb, status: textArb, qty: qtyArb, badge: fc.boolean() }),
  }),
  fc.record({ kind: fc.constant("remove" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("move" as const), from: fc.nat(), to: fc.nat() }),
  fc.constant({ kind: "reverse" as const }),
  fc.constant({ kind: "none" as const }),
);

/** Applies `op` in place, as a handler would (rows edited in place, or replaced by copies). */
function apply(rows: Row[], op: Op, nextId: () => number): void {
  const n = rows.length;
  const at = (i: number) => rows[i % n] as Row;
  switch (op.kind) {
    case "edit":
      if (n > 0) at(op.at)[op.field] = op.text;
      break;
    case "qty":
      if (n > 0) at(op.at).qty = op.qty;
      break;
    case "badge":
      if (n > 0) at(op.at).badge = !at(op.at).badge;
      break;
    case "copy":
      // Equal values in a new object: still the same row to the memo.
      if (n > 0) rows[op.at % n] = { ...at(op.at) };
      break;
    case "insert":
      rows.splice(op.at % (n + 1), 0, { id: nextId(), ...op.row });
      break;
    case "remove":
      if (n > 0) rows.splice(op.at % n, 1);
      break;
    case "move":
      if (n > 0) rows.splice(op.to % n, 0, ...rows.splice(op.from % n, 1));
      break;
    case "reverse":
      rows.reverse();
      break;
    case "none":
      break;
  }
}

// The bench's row, plus a nested tree in some rows (a value that is not a primitive: that row is
// evaluated when rendered, as before the memo) and every kind of primitive.
const row = (r: Row) =>
  html`<tr><td>${r.id}</td><td>${r.name}</td><td class="${r.status}">${r.status}</td><td>${r.qty}</td><td>${r.badge ? html`<b>${r.name}</b>` : ""}</td></tr>`;

function view(rows: readonly Row[], isKeyed: boolean): Rendered {
  return html`<table>
    <caption>
      ${rows.length}
    </caption>
    <tbody>
      ${rows.map((r) => (isKeyed ? keyed(r.id, row(r)) : row(r)))}
    </tbody>
  </table>`;
}

/** A deep copy in plain objects without inputs: the tree as html`` built it before the memo. */
function plain(value: Dynamic): Dynamic {
  if (typeof value === "string" || value.type === "component") return value;
  if (value.type === "rendered") return plainRendered(value);
  const entries: ComprehensionEntry[] = value.entries.map((e) => {
    const dynamics = e.dynamics.map(plain);
    return e.key === undefined ? { dynamics } : { key: e.key, dynamics };
  });
  const out: Comprehension = {
    type: "comprehension",
    statics: value.statics,
    fingerprint: value.fingerprint,
    entries,
  };
  return out;
}

function plainRendered(tree: Rendered): Rendered {
  return {
    type: "rendered",
    statics: tree.statics,
    fingerprint: tree.fingerprint,
    dynamics: tree.dynamics.map((d) => plain(d as Dynamic)),
  };
}

const rowsOf = (tree: Rendered) => (tree.dynamics[1] as Comprehension).entries;

describe("html`` row memo", () => {
  it("diffs byte-identically to the un-memoised path, and the client shows the full render", () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.nat({ max: 99 }), { maxLength: 8 })
          .chain((seeds) =>
            fc.tuple(
              fc.tuple(...seeds.map((_, i) => rowArb(i))),
              fc.array(opArb, { minLength: 1, maxLength: 12 }),
              fc.boolean(),
              fc.boolean(),
            ),
          ),
        ([initial, ops, isKeyed, shareStatics]) => {
          const rows: Row[] = [...initial];
          let id = rows.length;
          const options = { shareStatics };
          const first = view(rows, isKeyed);
          const join = renderedToWire(first, options);
          assert.equal(
            JSON.stringify(join),
            JSON.stringify(renderedToWire(plainRendered(first), options)),
          );
          const client = new ClientTree("phx-memo", join);
          let memo = diff(undefined, first, options).tree;
          let reference = diff(undefined, plainRendered(first), options).tree;
          for (const op of ops) {
            apply(rows, op, () => id++);
            const next = view(rows, isKeyed);
            const full = renderToString(plainRendered(next));
            const a = diff(memo, next, options);
            const b = diff(reference, plainRendered(next), options);
            assert.equal(JSON.stringify(a.diff), JSON.stringify(b.diff), `after ${op.kind}`);
            if (a.diff !== null) client.merge(a.diff);
            assert.equal(client.html(), full, `client after ${op.kind}`);
            assert.equal(renderToString(a.tree), full, `kept tree after ${op.kind}`);
            memo = a.tree;
            reference = b.tree;
          }
        },
      ),
      propertyRuns(400),
    );
  });

  it("keeps the previous render's unchanged rows and sends only the changed cell", () => {
    const rows: Row[] = Array.from({ length: 50 }, (_, i) => ({
      id: i,
      name: `Customer ${i}`,
      status: "pending",
      qty: i,
      badge: false,
    }));
    for (const isKeyed of [false, true]) {
      const first = diff(undefined, view(rows, isKeyed)).tree;
      (rows[7] as Row).status = "shipped";
      const step = diff(first, view(rows, isKeyed));
      assert.deepEqual(step.diff, { 1: { k: { 7: { 2: "shipped", 3: "shipped" }, kc: 50 } } });
      const before = rowsOf(first);
      const after = rowsOf(step.tree);
      for (let i = 0; i < 50; i++) {
        if (i === 7) assert.notEqual(after[i], before[i]);
        else assert.equal(after[i], before[i], `row ${i} kept`);
      }
      // Nothing changed: nothing sent, and the kept tree is the previous one's rows.
      const again = diff(step.tree, view(rows, isKeyed));
      assert.equal(again.diff, null);
      assert.deepEqual(rowsOf(again.tree), after);
      (rows[7] as Row).status = "pending";
    }
  });

  it("reads object values at every render, so their in-place changes are sent", () => {
    const when = new Date(Date.UTC(2026, 0, 1));
    const label = { text: "<a>", toString: () => label.text };
    const tree = () => html`<ul>${[1, 2].map((n) => html`<li>${n}:${when}:${label}</li>`)}</ul>`;
    const first = diff(undefined, tree()).tree;
    when.setUTCFullYear(2027);
    label.text = "<b>";
    const step = diff(first, tree());
    const sent = (step.diff as WireRendered)[0] as WireRendered;
    assert.deepEqual(Object.keys(sent.k as WireRendered), ["0", "1", "kc"]);
    assert.match(renderToString(step.tree), /2027.*&lt;b&gt;.*2027.*&lt;b&gt;/);
  });
});
