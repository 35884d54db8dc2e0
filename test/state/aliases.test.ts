/**
 * Identity across snapshots: which places of a view's state a record pairs as one object
 * (`StateTracker.aliases`), and how a restore makes them one again (`restoreState`), including
 * the lists a restore must not act on.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { MAX_ALIASES, MAX_SHARED } from "../../src/state/aliases.js";
import { CapturingLogger } from "../support/logger.js";
import { propertyRuns } from "../support/property-runs.js";
import {
  applyRichMutation,
  randomRun,
  randomView,
  richMutation,
  richTree,
} from "../support/state-mutations.js";
import {
  restoreState,
  snapshotState,
  StateTracker,
  type StateSnapshot,
} from "../../src/state/tracker.js";

const policy = { strict: false, logger: console, view: "V", warned: new Set<string>() };

interface Row {
  id: number;
  qty: number;
}

/** A list of pairs in a fixed order (the order of a record's list does not matter). */
const sorted = (pairs: readonly unknown[]): string[] => pairs.map((p) => JSON.stringify(p)).sort();

const rowsOf = (n: number): Row[] => Array.from({ length: n }, (_, id) => ({ id, qty: 0 }));

/** A view object holding `state`, tracked with deltas (as a connected view is). */
function tracked(state: Record<string, unknown>): {
  view: Record<string, unknown>;
  tracker: StateTracker;
} {
  const view = { ...state };
  const tracker = new StateTracker(policy, { deltas: true });
  tracker.reset(view);
  return { view, tracker };
}

/** What a restore from `view`'s snapshot (with its aliases) gives. */
function restored(view: Record<string, unknown>, tracker: StateTracker): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const snapshot = JSON.parse(JSON.stringify(snapshotState(view, policy))) as StateSnapshot;
  const aliases: unknown = JSON.parse(JSON.stringify(tracker.aliases(view)));
  restoreState(out, snapshot, aliases);
  return out;
}

describe("the places of a view's state that hold one object", () => {
  it("are listed from a walk for a view not tracked (a dead render), and none without sharing", () => {
    const rows = rowsOf(4);
    const byKey = new Map([["k", rows[1]!]]);
    const view = { rows, selected: rows[2], byKey, members: new Set([rows[3]]), n: 1 };
    const tracker = new StateTracker(policy);
    assert.deepEqual(
      sorted(tracker.aliases(view)),
      sorted([
        [
          ["rows", 1],
          ["byKey", [0]],
        ],
        [["rows", 2], ["selected"]],
        [
          ["rows", 3],
          ["members", [0]],
        ],
      ]),
    );
    assert.deepEqual(tracker.aliases({ rows: rowsOf(3), n: 1 }), []);
    assert.deepEqual(tracker.aliases({ n: 1, s: "x" }), []);
  });

  it("follow a tracked view's handlers: sharing made, moved, nested, twice in one array, ended", () => {
    const { view, tracker } = tracked({ rows: rowsOf(5), selected: null, pinned: [] });
    const state = view as { rows: Row[]; selected: Row | null; pinned: Row[][] };
    assert.deepEqual(tracker.aliases(view), []);
    state.selected = state.rows[2]!;
    tracker.changes(view);
    assert.deepEqual(tracker.aliases(view), [[["rows", 2], ["selected"]]]);
    state.rows.unshift({ id: 9, qty: 0 });
    tracker.changes(view);
    assert.deepEqual(tracker.aliases(view), [[["rows", 3], ["selected"]]]);
    state.rows.push(state.rows[0]!);
    state.pinned = [state.rows];
    tracker.changes(view);
    assert.deepEqual(
      sorted(tracker.aliases(view)),
      sorted([
        [["rows", 3], ["selected"]],
        [["rows"], ["pinned", 0]],
        [
          ["rows", 0],
          ["rows", 6],
        ],
      ]),
    );
    state.selected = { ...state.selected! };
    state.pinned = [];
    tracker.changes(view);
    assert.deepEqual(
      sorted(tracker.aliases(view)),
      sorted([
        [
          ["rows", 0],
          ["rows", 6],
        ],
      ]),
    );
  });

  it("follow an object back to a second place wherever it comes back (the property test's finds)", () => {
    /** A case: its start state, and its changes, `step()` between them as an event ends. */
    type Case = [what: string, start: () => Record<string, unknown>, change: Change];
    type Change = (state: Record<string, unknown>, step: () => void) => void;
    const cases: Case[] = [
      [
        "a map holding it under a second key",
        () => ({ b: new Map([["k0", []]]) }),
        (state) => {
          const map = state.b as Map<string, unknown>;
          map.set("q", map.get("k0"));
        },
      ],
      [
        "a link it kept at an old place, revived",
        () => {
          const o = {};
          return { a: o, b: [o] };
        },
        (state, step) => {
          (state.b as unknown[]).fill("x");
          step();
          (state.b as unknown[])[0] = state.a;
        },
      ],
      [
        "a new array taking over the links of the field's old one",
        () => {
          const o = {};
          return { a: new Map([["k0", [o]]]), b: o };
        },
        (state, step) => {
          const list = (state.a as Map<string, unknown[]>).get("k0")!;
          state.b = list.filter(() => true);
          step();
          (state.b as unknown[]).shift();
          step();
          state.b = list.filter(() => true);
        },
      ],
      [
        "a second copy pushed where it was held twice once",
        () => {
          const set = new Set();
          return { c: [set, set] };
        },
        (state, step) => {
          const list = state.c as unknown[];
          list[0] = false;
          step();
          list.push(list[1]);
        },
      ],
    ];
    for (const [what, start, change] of cases) {
      const { view, tracker } = tracked(start());
      // Each step listed, as the write after it would: what left a second place is dropped.
      const step = () => {
        tracker.changes(view);
        tracker.aliases(view);
      };
      step();
      change(view, step);
      tracker.changes(view);
      const walked = new StateTracker(policy).aliases(view);
      assert.equal(walked.length, 1, what);
      assert.deepEqual(tracker.aliases(view), walked, what);
    }
  });

  it("come back as one object at a restore, a container before what it holds", () => {
    const { view, tracker } = tracked({ rows: rowsOf(3), selected: null, groups: [] });
    const state = view as { rows: Row[]; selected: Row | null; groups: { rows: Row[] }[] };
    state.groups = [{ rows: state.rows }, { rows: state.rows }];
    state.selected = state.rows[1]!;
    tracker.changes(view);
    const back = restored(view, tracker) as typeof state;
    assert.equal(back.selected, back.rows[1]);
    assert.equal(back.groups[0]!.rows, back.rows);
    assert.equal(back.groups[1]!.rows, back.rows);
    assert.deepEqual(back, JSON.parse(JSON.stringify(state)));
  });

  it("a restore's tracking starts from them: a change at one place is one at each, as after a walk", () => {
    const { view, tracker } = tracked({ rows: rowsOf(4), selected: null, twice: [] });
    const state = view as { rows: Row[]; selected: Row | null; twice: Row[] };
    state.selected = state.rows[1]!;
    state.twice = [state.rows[2]!, state.rows[2]!];
    tracker.changes(view);
    const snapshot = JSON.parse(JSON.stringify(snapshotState(view, policy))) as StateSnapshot;
    const aliases: unknown = JSON.parse(JSON.stringify(tracker.aliases(view)));
    const steps = (walked: boolean) => {
      const back: Record<string, unknown> = {};
      const result = restoreState(back, structuredClone(snapshot), aliases);
      const again = new StateTracker(policy, { deltas: true });
      again.reset(back, walked ? undefined : result);
      const live = back as typeof state;
      live.selected!.qty++;
      const first = again.changes(back).sort();
      const firstDeltas = JSON.stringify([...again.takeDeltas()]);
      live.twice[1]!.qty++;
      const second = again.changes(back).sort();
      const secondDeltas = JSON.stringify([...again.takeDeltas()]);
      return { first, firstDeltas, second, secondDeltas, aliases: sorted(again.aliases(back)) };
    };
    const fromAliases = steps(false);
    assert.deepEqual(fromAliases.first, ["rows", "selected"]);
    assert.deepEqual(fromAliases.second, ["rows", "twice"]);
    assert.deepEqual(fromAliases, steps(true));
  });

  it("count only what is shared when they are listed, not the objects a step moved", () => {
    const logger = new CapturingLogger();
    const state = { rows: rowsOf(MAX_SHARED * 2), selected: null as Row | null };
    const tracker = new StateTracker({ ...policy, logger }, { deltas: true });
    tracker.reset(state);
    state.selected = state.rows[3]!;
    tracker.changes(state);
    // Each kept row is linked to the new array while the old one still links it.
    state.rows = state.rows.filter(() => true);
    tracker.changes(state);
    assert.deepEqual(tracker.aliases(state), [[["rows", 3], ["selected"]]]);
    state.rows.sort((a, b) => b.id - a.id);
    tracker.changes(state);
    assert.deepEqual(tracker.aliases(state), [[["rows", MAX_SHARED * 2 - 4], ["selected"]]]);
    assert.deepEqual(logger.warnings, []);
  });

  it("are none past the limit, tracked or walked, nor with one object at too many places; a warning once per class", () => {
    const logger = new CapturingLogger();
    const warned = { ...policy, logger };
    class Many {
      rows = rowsOf(MAX_SHARED + 1);
      picked: Row[] = [];
    }
    // Up to the limit, all are listed; one more object, and none is.
    const atLimit = new Many();
    atLimit.picked = atLimit.rows.slice(0, MAX_SHARED);
    assert.equal(new StateTracker(warned).aliases(atLimit).length, MAX_SHARED);
    const view = new Many();
    const tracker = new StateTracker(warned, { deltas: true });
    tracker.reset(view);
    view.picked = view.rows.slice(0, MAX_SHARED);
    tracker.changes(view);
    assert.equal(tracker.aliases(view).length, MAX_SHARED);
    view.picked = view.rows.filter(() => true);
    tracker.changes(view);
    assert.deepEqual(tracker.aliases(view), []);
    assert.deepEqual(new StateTracker(warned).aliases(new Many()), []);
    view.picked = [];
    tracker.changes(view);
    // Not listed again once past the limit, until tracking starts again.
    assert.deepEqual(tracker.aliases(view), []);
    tracker.reset(view);
    view.picked = [view.rows[3]!];
    tracker.changes(view);
    assert.deepEqual(tracker.aliases(view), [
      [
        ["rows", 3],
        ["picked", 0],
      ],
    ]);
    const again = new Many();
    again.picked = again.rows.filter(() => true);
    assert.deepEqual(new StateTracker(warned).aliases(again), []);
    assert.deepEqual(
      logger.warnings.map((line) => line.message),
      [
        `V: its state holds more than ${MAX_SHARED} objects at two places or more (a Map or an ` +
          `object indexing the rows of an array?), or one at more than 16: a restore (the join ` +
          `after the page load, a reconnect) gives them back as equal copies, which then change ` +
          `separately. Keep keys (this.selectedId) rather than objects where they must stay one.`,
      ],
    );
    // An object at more than 16 places: walked, tracked from the start, or made by a handler.
    const lookup = { name: "shared" };
    const wide = { rows: rowsOf(17).map((row) => ({ ...row, lookup })), lookup };
    assert.deepEqual(new StateTracker(policy).aliases(wide), []);
    const fromStart = tracked({ ...wide, selected: wide.rows[0] });
    assert.deepEqual(fromStart.tracker.aliases(fromStart.view), []);
    const made = tracked({ rows: rowsOf(17), lookup: { name: "shared" } });
    const state = made.view as { rows: (Row & { lookup?: object })[]; lookup: object };
    for (const row of state.rows) row.lookup = state.lookup;
    made.tracker.changes(made.view);
    assert.deepEqual(made.tracker.aliases(made.view), []);
  });
});

/**
 * Which places of `fields` hold one object: each object place, in the encoding's order, named
 * by the order in which its object was first met (what is below a place met again is not
 * walked: it is shared with the first).
 */
function sharing(fields: Record<string, unknown>): string {
  const ids = new Map<object, number>();
  const out: string[] = [];
  const visit = (value: unknown, path: string): void => {
    if (typeof value !== "object" || value === null) return;
    const met = ids.get(value);
    out.push(`${path}=${met ?? ids.size}`);
    if (met !== undefined) return;
    ids.set(value, ids.size);
    if (value instanceof Map) for (const [k, v] of value) visit(v, `${path}.${k}`);
    else if (value instanceof Set) [...value].forEach((v, i) => visit(v, `${path}[${i}]`));
    else if (!(value instanceof Date)) {
      for (const [k, v] of Object.entries(value)) visit(v, `${path}.${k}`);
    }
  };
  for (const [field, value] of Object.entries(fields)) visit(value, field);
  return out.join(" ");
}

describe("property: a restore keeps which places hold one object", () => {
  it("over random nested state, sharing and in-place changes, from the tracked list and from a walk", () => {
    fc.assert(
      fc.property(randomRun(richTree, richMutation, 5), (run) => {
        const view = randomView(run);
        const tracker = new StateTracker(policy, { deltas: true });
        tracker.reset(view);
        const fields = view as unknown as Record<string, unknown>;
        for (const step of run.steps) {
          for (const m of step) applyRichMutation(fields, m);
          tracker.changes(view);
          const state = { a: view.a, b: view.b, c: view.c };
          const text = JSON.stringify(snapshotState(view, policy));
          for (const aliases of [tracker.aliases(view), new StateTracker(policy).aliases(view)]) {
            const back: Record<string, unknown> = {};
            restoreState(
              back,
              JSON.parse(text) as StateSnapshot,
              JSON.parse(JSON.stringify(aliases)),
            );
            assert.equal(JSON.stringify(snapshotState(back, policy)), text);
            assert.equal(sharing(back), sharing(state));
          }
        }
      }),
      propertyRuns(300),
    );
  });
});

describe("a restore given a record's list of shared places", () => {
  const state = (): StateSnapshot => ({
    rows: [{ id: 0 }, { id: 1 }],
    selected: { id: 1 },
    other: { id: 2 },
    tags: { $type: "Set", value: [{ id: 1 }, { id: 1 }] },
  });

  it("applies the pairs that fit the state and skips the others", () => {
    const out: Record<string, unknown> = {};
    restoreState(out, state(), [
      [["rows", 1], ["selected"]],
      [["rows", 0], ["other"]], // unequal values
      [["rows", 7], ["other"]], // no such place
      [["rows", "__proto__"], ["other"]],
      [["missing"], ["selected"]],
      [
        ["rows", 1],
        ["tags", [0]],
      ],
      // The set holds it already: a second member made the same object would be lost.
      [
        ["rows", 1],
        ["tags", [1]],
      ],
    ]);
    const rows = out.rows as { id: number }[];
    assert.equal(out.selected, rows[1]);
    assert.deepEqual(out.other, { id: 2 });
    assert.notEqual(out.other, rows[0]);
    assert.equal([...(out.tags as Set<unknown>)][0], rows[1]);
    assert.equal((out.tags as Set<unknown>).size, 2);
  });

  for (const [what, aliases] of [
    ["an entry that is not a pair", { rows: 1 }],
    ["a pair of three paths", [[["rows", 1], ["selected"], ["other"]]]],
    ["a negative index", [[["rows", -1], ["selected"]]]],
    ["a fractional index", [[["rows", 0.5], ["selected"]]]],
    ["an object step", [[["rows", { i: 1 }], ["selected"]]]],
    ["a path without its field", [[[], ["selected"]]]],
    [
      "a list past the limit",
      Array.from({ length: MAX_ALIASES + 1 }, () => [["rows", 1], ["selected"]]),
    ],
  ] as const) {
    it(`ignores a malformed list whole: ${what}`, () => {
      const out: Record<string, unknown> = {};
      restoreState(out, state(), [
        [["rows", 1], ["selected"]],
        ...(Array.isArray(aliases) ? aliases : [aliases]),
      ]);
      assert.notEqual(out.selected, (out.rows as unknown[])[1]);
      assert.deepEqual(out, {
        rows: [{ id: 0 }, { id: 1 }],
        selected: { id: 1 },
        other: { id: 2 },
        tags: new Set([{ id: 1 }, { id: 1 }]),
      });
    });
  }
});
