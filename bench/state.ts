/**
 * State codec cost for a view holding a 1,000-row table, next to plain JSON on the same data.
 *
 *   npx tsx bench/state.ts
 *
 * Rows: wire encoding vs JSON.stringify; snapshot encode+text vs JSON.stringify; snapshot
 * decode vs JSON.parse; change detection (nothing changed / one row mutated in place) vs
 * the naive approach of stringifying the state and comparing strings; change detection against
 * the state's size; rows that share lookup objects, read through tracking; a row found by id
 * among 10,000; loops over every row (`for…of`, `some`, `reduce`, a spread, an index loop);
 * what tracking keeps per row read, over 100,000 rows, against the rows' own size; common
 * handlers over 10,000 rows (`shift` and `push`, `splice`, `sort`, spreads, `filter`, `map`);
 * a filtered copy of rows stored in another field; a snapshot write to the full in-memory
 * state backend vs a `Map.set`.
 */
import { Decimal } from "decimal.js";
import { LiveView } from "../src/index.js";
import { fromSnapshot, toWire, type SerializationPolicy } from "../src/state/codec.js";
import { StateTracker, snapshotState } from "../src/state/tracker.js";
import { toRaw } from "../src/state/watch.js";
import { MemoryStateBackend } from "../src/state/backends/memory.js";
import type { StoredView } from "../src/state/backends/types.js";
import { measure, report } from "./support.js";

const policy: SerializationPolicy = {
  strict: true,
  view: "OrdersView",
  logger: { info() {}, warn() {}, error() {} },
};

class OrdersView extends LiveView {
  title = "Orders";
  page = 1;
  filter = "";
  rows = Array.from({ length: 1000 }, (_, i) => ({
    id: i + 1,
    customer: `Customer ${i}`,
    email: `customer${i}@example.com`,
    status: i % 3 === 0 ? "shipped" : "pending",
    total: i * 3.25,
    items: i % 7,
    paid: i % 2 === 0,
  }));
}

/** The same view with the types the codec adds over JSON (dates, decimals). */
class TypedOrdersView extends OrdersView {
  placed = this.rows.map((r) => ({
    id: r.id,
    at: new Date(1_700_000_000_000 + r.id * 1000),
    total: new Decimal(r.total),
  }));
}

const view = new OrdersView();
const plain = { title: view.title, page: view.page, filter: view.filter, rows: view.rows };

const json = measure("JSON.stringify", () => JSON.stringify(plain));
const wire = measure("toWire (all fields)", () => {
  for (const key of ["title", "page", "filter", "rows"] as const) toWire(view[key], key, policy);
});
const snapshotText = measure("snapshot + stringify", () =>
  JSON.stringify(snapshotState(view, policy)),
);
report("Encode a 1,000-row view", [json, wire, snapshotText], json);

const text = JSON.stringify(plain);
const snapText = JSON.stringify(snapshotState(view, policy));
const parse = measure("JSON.parse", () => JSON.parse(text));
const decode = measure("parse + fromSnapshot", () => {
  const parsed = JSON.parse(snapText) as Record<string, never>;
  for (const key of Object.keys(parsed)) fromSnapshot(parsed[key] as never);
});
report("Decode", [parse, decode], parse);

const tracker = new StateTracker(policy);
tracker.reset(view);
let previousText = JSON.stringify(plain);
const naive = measure("stringify + compare", () => {
  const next = JSON.stringify(plain);
  const changed = next !== previousText;
  previousText = next;
  return changed;
});
const unchanged = measure("changes(): nothing", () => tracker.changes(view));
let flip = 0;
const oneRow = measure("changes(): 1 row mutated", () => {
  const row = view.rows[500];
  if (row) row.status = flip++ % 2 ? "shipped" : "pending";
  return tracker.changes(view);
});
report("Change detection after an event", [naive, unchanged, oneRow], naive);

const typed = new TypedOrdersView();
const typedTracker = new StateTracker(policy);
typedTracker.reset(typed);
const typedSnapshot = measure("snapshot (dates+decimals)", () => snapshotState(typed, policy));
const typedChanges = measure("changes(): nothing (typed)", () => typedTracker.changes(typed));
report("With Date and Decimal columns (2,000 rows of fields)", [typedSnapshot, typedChanges]);

// Cost versus state size: the same one-row update and one-scalar update on views holding
// 1,000, 10,000 and 100,000 rows (mutation + change detection, as after a handler).
class BigView extends LiveView {
  count = 0;
  rows: { id: number; qty: number; name: string }[] = [];
}
// With `deltas` (as a connected view whose backend patches), the edits are also taken.
const scaling = [];
for (const size of [1_000, 10_000, 100_000]) {
  for (const deltas of [false, true]) {
    const big = new BigView();
    big.rows = Array.from({ length: size }, (_, i) => ({ id: i, qty: 0, name: `row ${i}` }));
    const bigTracker = new StateTracker(policy, { deltas });
    bigTracker.reset(big);
    const tag = deltas ? ", with deltas" : "";
    let i = 0;
    scaling.push(
      measure(`one row bumped, ${size} rows${tag}`, () => {
        const row = big.rows[i++ % 50];
        if (row) row.qty++;
        const changed = bigTracker.changes(big);
        bigTracker.takeDeltas();
        return changed;
      }),
      measure(`one scalar, ${size} rows beside${tag}`, () => {
        big.count++;
        const changed = bigTracker.changes(big);
        bigTracker.takeDeltas();
        return changed;
      }),
    );
  }
}
report("Change detection vs state size (mutation + changes())", scaling);

// Rows that refer to shared lookup objects (each of 10,000 rows to one of two categories, as
// rows joined with a small table do): tracking starts, then a handler reads every row's
// category, against the same loop over the raw rows. Each category gains a link per row.
class LookupView extends LiveView {
  cats = [{ name: "open" }, { name: "closed" }];
  rows = Array.from({ length: 10_000 }, (_, i) => ({ id: i, cat: this.cats[i % 2]! }));
}
const lookup = new LookupView();
const readRaw = measure("the loop over the raw rows", () => {
  let n = 0;
  for (const row of lookup.rows) n += row.cat.name.length;
  return n;
});
const readTracked = measure("tracking starts, the loop, changes()", () => {
  const tracker = new StateTracker(policy);
  tracker.reset(lookup);
  let n = 0;
  for (const row of lookup.rows) n += row.cat.name.length;
  tracker.changes(lookup);
  return n;
});
report("10,000 rows sharing two lookup objects, each row's read", [readRaw, readTracked], readRaw);

// The most common handler: find a row by its id and change it (`this.rows.find(…).qty++`).
// Every row the search passes is read through tracking: the first event hands each one out
// (a proxy and its link, kept while the row is in the state), later ones find them made.
class FindView extends LiveView {
  rows = Array.from({ length: 10_000 }, (_, i) => ({ id: i, qty: 0 }));
}
const finder = new FindView();
const findTracker = new StateTracker(policy, { deltas: true });
findTracker.reset(finder);
let sought = 0;
const findRaw = measure("the search over the raw rows", () => {
  const row = toRaw(finder.rows).find((r) => r.id === 9_999 - (sought++ % 8));
  if (row) row.qty++;
  return row;
});
const findTracked = measure("the search through tracking, changes()", () => {
  const row = finder.rows.find((r) => r.id === 9_999 - (sought++ % 8));
  if (row) row.qty++;
  findTracker.changes(finder);
  return findTracker.takeDeltas();
});
const findFirst = measure("tracking starts, the first search, changes()", () => {
  const view = new FindView();
  const tracker = new StateTracker(policy, { deltas: true });
  tracker.reset(view);
  const row = view.rows.find((r) => r.id === 9_999);
  if (row) row.qty++;
  tracker.changes(view);
  return tracker.takeDeltas();
});
const makeView = measure("making the view (the rows) alone", () => new FindView());
report(
  "10,000 rows, one found by id and changed, with deltas",
  [findRaw, findTracked, findFirst, makeView],
  findRaw,
);
// Handlers that go through every row (rows read before: the steady state), each against the
// same loop over the raw rows: the array's callback methods and its iterator run over the raw
// array and hand each row out, an index loop reads each row through the proxy.
const scanned = new FindView();
const scanTracker = new StateTracker(policy, { deltas: true });
scanTracker.reset(scanned);
const scans: [string, (rows: { id: number; qty: number }[]) => unknown][] = [
  [
    "for…of, a sum",
    (rows) => {
      let sum = 0;
      for (const r of rows) sum += r.qty;
      return sum;
    },
  ],
  ["some", (rows) => rows.some((r) => r.id < 0)],
  ["reduce", (rows) => rows.reduce((sum, r) => sum + r.qty, 0)],
  ["a spread", (rows) => [...rows].length],
  [
    "an index loop",
    (rows) => {
      let sum = 0;
      for (let i = 0; i < rows.length; i++) sum += (rows[i] as { qty: number }).qty;
      return sum;
    },
  ],
];
for (const [name, scan] of scans) {
  const raw = measure("over the raw rows", () => scan(toRaw(scanned.rows)));
  const through = measure("through tracking, changes()", () => {
    const result = scan(scanned.rows);
    scanTracker.changes(scanned);
    return result;
  });
  report(`10,000 rows, ${name}`, [raw, through], raw);
}

// What tracking keeps for the rows a search handed out, against what the rows themselves take:
// heap after a collection, with the view held (`node --expose-gc`; skipped without it). Over
// 100,000 rows, so that the rest of the heap's noise is a small part of it.
const collect = (globalThis as { gc?: () => void }).gc;
if (collect) {
  class ManyRows extends LiveView {
    rows = Array.from({ length: 100_000 }, (_, i) => ({ id: i, qty: 0 }));
  }
  const heap = () => {
    collect();
    return process.memoryUsage().heapUsed;
  };
  const start = heap();
  const view = new ManyRows();
  const made = heap();
  const tracker = new StateTracker(policy, { deltas: true });
  tracker.reset(view);
  const before = heap();
  view.rows.find((r) => r.id === -1);
  tracker.changes(view);
  const kept = heap() - before;
  const rows = made - start;
  const perRow = (bytes: number) => (bytes / view.rows.length).toFixed(0);
  console.log(
    `  100,000 rows, each { id, qty }: the rows take ${perRow(rows)} B a row; tracking keeps ${perRow(kept)} B a row handed out (${(kept / rows).toFixed(2)}x the rows)`,
  );
}

// What common handlers cost on 10,000 rows with deltas (the check and the edits taken), each
// against the same code on a plain copy of the view: in-place bulk changes (`shift`, a move by
// `splice`, `sort`) and the immutable style that gives the field a new array.
type PatternRow = { id: number; qty: number; name: string };
class PatternView extends LiveView {
  rows: PatternRow[] = Array.from({ length: 10_000 }, (_, i) => ({ id: i, qty: 0, name: `r${i}` }));
  next = 10_000;
}
const patterns: [string, (view: PatternView, k: number) => void][] = [
  [
    "a rolling window: shift() and push(row)",
    (view) => {
      view.rows.shift();
      view.rows.push({ id: view.next, qty: 0, name: `r${view.next++}` });
    },
  ],
  [
    "a row moved to the end: splice and push",
    (view, k) => {
      const [row] = view.rows.splice(k % 5_000, 1);
      if (row) view.rows.push(row);
    },
  ],
  [
    "one row changed, then sort by qty",
    (view, k) => {
      const row = view.rows[k % 10_000];
      if (row) row.qty++;
      view.rows.sort((a, b) => a.qty - b.qty);
    },
  ],
  [
    "append by a spread: rows = [...rows, row]",
    (view) => {
      view.rows = [...view.rows, { id: view.next, qty: 0, name: `r${view.next++}` }];
      view.rows = view.rows.slice(1);
    },
  ],
  [
    "one array: rows = [...rows.filter(…), row]",
    (view) => {
      const first = view.rows[0]?.id;
      view.rows = [
        ...view.rows.filter((r) => r.id !== first),
        { id: view.next, qty: 0, name: `r${view.next++}` },
      ];
    },
  ],
  [
    "one row replaced by map",
    (view, k) => {
      const id = view.rows[k % 10_000]?.id;
      view.rows = view.rows.map((r) => (r.id === id ? { ...r, qty: r.qty + 1 } : r));
    },
  ],
];
console.log("\nHandlers over 10,000 rows, with deltas: the plain view / through tracking");
for (const [name, handler] of patterns) {
  const plainView = new PatternView();
  let k = 0;
  const plainRun = measure(name, () => handler(plainView, k++));
  const view = new PatternView();
  const tracker = new StateTracker(policy, { deltas: true });
  tracker.reset(view);
  const trackedRun = measure(name, () => {
    handler(view, k++);
    tracker.changes(view);
    return tracker.takeDeltas();
  });
  const ratio = trackedRun.meanUs / plainRun.meanUs;
  console.log(
    `  ${name.padEnd(44)} ${plainRun.meanUs.toFixed(1).padStart(9)} µs ${trackedRun.meanUs.toFixed(1).padStart(10)} µs  ${ratio.toFixed(1)}x`,
  );
}

// A filtered copy of rows stored in another field (`this.picked = this.rows.filter(…)`), with
// deltas: every row now sits in two arrays, each checked for holding it twice.
class PickView extends LiveView {
  rows = Array.from({ length: 10_000 }, (_, i) => ({ id: i, qty: 0 }));
  picked: { id: number; qty: number }[] = [];
}
const pick = new PickView();
const pickTracker = new StateTracker(policy, { deltas: true });
pickTracker.reset(pick);
const filterRaw = measure("the filter over the raw rows", () =>
  toRaw(pick.rows).filter((r) => r.id >= 0),
);
const filterTracked = measure("the filter through tracking, stored, changes()", () => {
  pick.picked = pick.rows.filter((r) => r.id >= 0);
  pickTracker.changes(pick);
  return pickTracker.takeDeltas();
});
report("10,000 rows copied into another field, with deltas", [filterRaw, filterTracked], filterRaw);

// The default state backend at its default capacity, full: every page stores a snapshot, and
// each write makes room by dropping the record written longest ago. The baseline is the least
// any in-process store does: the record's JSON text set in a `Map`, and the key written
// 100,000 writes before deleted by name.
const capacity = 100_000;
const store = new MemoryStateBackend();
const record: StoredView = {
  v: 1,
  view: "CounterView",
  state: { count: 0 },
  privateFields: [],
  topics: [],
  flash: {},
  url: "http://localhost/counter/",
  savedAt: 0,
};
let written = 0;
for (; written < capacity; written++) await store.set(`phx-${written}`, record, 3600);
const plainStore = new Map<string, string>();
for (let i = 0; i < capacity; i++) plainStore.set(`phx-${i}`, JSON.stringify(record));
let plainWritten = capacity;
const plainWrite = measure("Map.set of the JSON text", () => {
  plainStore.set(`phx-${plainWritten}`, JSON.stringify(record));
  plainStore.delete(`phx-${plainWritten++ - capacity}`);
});
const storeWrite = measure("MemoryStateBackend.set", () =>
  store.set(`phx-${written++}`, record, 3600),
);
report(
  `A counter's snapshot written to a full in-memory store (${capacity.toLocaleString("en")} records)`,
  [plainWrite, storeWrite],
  plainWrite,
);
