import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Decimal } from "decimal.js";
import { LiveView } from "../../src/index.js";
import {
  StateTracker,
  restoreState,
  snapshotState,
  stateKeys,
  wireState,
} from "../../src/state/tracker.js";
import { CapturingLogger } from "../support/logger.js";

class CartView extends LiveView {
  items: { sku: string; qty: number }[] = [{ sku: "a", qty: 1 }];
  tags = new Set(["new"]);
  prices = new Map([["a", new Decimal("1.50")]]);
  updated = new Date("2026-01-01T00:00:00Z");
  note: string | undefined = "hi";
  count = 0;
  _db = { connection: true };
  onClick = () => this.count++;
}

function tracked() {
  const view = new CartView();
  const logger = new CapturingLogger();
  const tracker = new StateTracker({ strict: false, logger, view: "CartView", warned: new Set() });
  tracker.reset(view);
  return { view, tracker, logger };
}

describe("state keys", () => {
  it("are own public data fields: not _private, #private, functions or framework members", () => {
    assert.deepStrictEqual(stateKeys(new CartView()), [
      "items",
      "tags",
      "prices",
      "updated",
      "note",
      "count",
    ]);
  });
});

describe("change detection", () => {
  it("reports nothing when nothing changed", () => {
    const { view, tracker } = tracked();
    assert.deepStrictEqual(tracker.changes(view), []);
  });

  it("catches in-place mutation of nested arrays and objects", () => {
    const { view, tracker } = tracked();
    view.items.push({ sku: "b", qty: 2 });
    assert.deepStrictEqual(tracker.changes(view), ["items"]);
    const first = view.items[0];
    assert.ok(first);
    first.qty = 5;
    assert.deepStrictEqual(tracker.changes(view), ["items"]);
    assert.deepStrictEqual(tracker.changes(view), [], "the new state becomes the baseline");
  });

  it("catches Set, Map, Date and Decimal changes in place", () => {
    const { view, tracker } = tracked();
    view.tags.add("sale");
    view.updated.setUTCFullYear(2027);
    assert.deepStrictEqual(tracker.changes(view), ["tags", "updated"]);
    view.prices.set("a", new Decimal("1.5"));
    assert.deepStrictEqual(tracker.changes(view), [], "an equal Decimal is not a change");
    view.prices.set("a", new Decimal("2"));
    assert.deepStrictEqual(tracker.changes(view), ["prices"]);
  });

  it("keeps no copy of the state: the snapshot is encoded from the live values", () => {
    const { view, tracker } = tracked();
    for (let i = 0; i < 50; i++) view.items.push({ sku: `s${i}`, qty: i });
    tracker.changes(view);
    const row = view.items[10];
    assert.ok(row);
    row.qty = 999;
    assert.deepStrictEqual(tracker.changes(view), ["items"]);
    assert.deepStrictEqual(tracker.snapshot(), snapshotState(view, tracker.policy));
  });

  it("an equal value assigned again is not a change", () => {
    const { view, tracker } = tracked();
    view.items = [{ sku: "a", qty: 1 }];
    view.count = 0;
    view.updated = new Date("2026-01-01T00:00:00Z");
    assert.deepStrictEqual(tracker.changes(view), []);
  });

  it("sees type changes that JSON would hide (Set → array with the same items)", () => {
    const { view, tracker } = tracked();
    (view as unknown as { tags: unknown }).tags = ["new"];
    assert.deepStrictEqual(tracker.changes(view), ["tags"]);
  });

  it("reports deleted fields, new fields and fields set to undefined", () => {
    const { view, tracker } = tracked();
    delete (view as Partial<CartView>).count;
    (view as unknown as Record<string, unknown>).added = 1;
    view.note = undefined;
    assert.deepStrictEqual(tracker.changes(view).sort(), ["added", "count", "note"]);
    assert.deepStrictEqual(wireState(view, ["count", "note", "added"], tracker.policy), {
      count: null,
      note: null,
      added: 1,
    });
  });

  it("ignores private fields", () => {
    const { view, tracker } = tracked();
    view._db.connection = false;
    view.onClick();
    assert.deepStrictEqual(tracker.changes(view), ["count"]);
  });

  it("a non-serializable field is reported as changed and warned about once", () => {
    const { view, tracker, logger } = tracked();
    class ServiceClient {}
    (view as unknown as Record<string, unknown>).client = new ServiceClient();
    assert.deepStrictEqual(tracker.changes(view), ["client"]);
    tracker.changes(view);
    assert.equal(logger.warnings.length, 1);
  });

  it("throws in strict mode when a changed field is not serializable", () => {
    const view = new CartView();
    const tracker = new StateTracker({
      strict: true,
      logger: new CapturingLogger(),
      view: "CartView",
    });
    tracker.reset(view);
    (view as unknown as Record<string, unknown>).timer = setTimeout(() => {}, 0);
    assert.throws(
      () => tracker.changes(view),
      /non-serializable value: Timeout in CartView\.timer/,
    );
  });
});

describe("snapshot and restore", () => {
  it("restores a view's state exactly, with types intact", () => {
    const { view, tracker } = tracked();
    view.items.push({ sku: "z", qty: 9 });
    tracker.changes(view);
    const stored = JSON.parse(JSON.stringify(tracker.snapshot())) as ReturnType<
      typeof tracker.snapshot
    >;
    const fresh = new CartView();
    fresh.count = 99;
    restoreState(fresh, stored);
    assert.deepStrictEqual(
      snapshotState(fresh, tracker.policy),
      snapshotState(view, tracker.policy),
    );
    assert.ok(fresh.updated instanceof Date);
    assert.ok(fresh.prices.get("a") instanceof Decimal);
    assert.equal(fresh.count, 0);
    assert.deepStrictEqual(fresh._db, { connection: true }, "private fields are left alone");
  });

  it("never restores private or __proto__ keys from a tampered snapshot", () => {
    const view = new CartView();
    restoreState(view, JSON.parse('{"_db": "evil", "__proto__": {"x": 1}, "count": 3}'));
    assert.deepStrictEqual(view._db, { connection: true });
    assert.equal(view.count, 3);
    assert.equal((view as unknown as Record<string, unknown>).x, undefined);
  });
});
