import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
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

describe("tracking a view's fields", () => {
  it("keeps every own property, its value, order and attributes, the fields as accessors", () => {
    const own = Symbol("own");
    const view = new CartView() as CartView & { [own]?: number; late?: number };
    Object.defineProperty(view, "fixed", { value: 1, enumerable: false, configurable: true });
    view[own] = 7;
    view.late = 3;
    const names = Object.getOwnPropertyNames(view);
    const before = new Map(
      Reflect.ownKeys(view).map((key) => [key, Object.getOwnPropertyDescriptor(view, key)]),
    );
    const tracker = new StateTracker({
      strict: false,
      view: "CartView",
      logger: new CapturingLogger(),
    });
    tracker.reset(view);
    assert.deepStrictEqual(Object.getOwnPropertyNames(view), names);
    assert.deepStrictEqual(Object.getOwnPropertySymbols(view).slice(0, 1), [own]);
    for (const [key, descriptor] of before) {
      const now = Object.getOwnPropertyDescriptor(view, key);
      assert.ok(now, String(key));
      assert.equal(now.enumerable, descriptor?.enumerable, String(key));
      const field = typeof key === "string" && stateKeys(view).includes(key);
      // Fields become accessors to the values the tracker holds; the rest is put back as it was.
      if (field) {
        assert.equal(typeof now.get, "function", key);
        assert.strictEqual(tracker.valueAt(tracker.indexOf(key)), descriptor?.value, key);
      } else {
        assert.deepStrictEqual(now, descriptor, String(key));
      }
    }
    view.late = 4;
    view.count++;
    assert.deepStrictEqual(tracker.changes(view), ["count", "late"]);
    // A field that cannot be removed still becomes an accessor where it stands.
    const sealed = new CartView();
    Object.defineProperty(sealed, "pinned", { value: 0, enumerable: true, configurable: false });
    new StateTracker({ strict: false, view: "CartView", logger: new CapturingLogger() }).reset(
      sealed,
    );
    assert.equal(typeof Object.getOwnPropertyDescriptor(sealed, "count")?.get, "function");
    assert.equal(Object.getOwnPropertyDescriptor(sealed, "pinned")?.value, 0);
  });

  it("leaves V8's fast layout to a view whose fields are declared, shared by its instances", () => {
    // V8's own check, in a process allowed to call it: an object turned to dictionary mode
    // holds a property table of its own (256 bytes for a counter view) and reads slower.
    const module = (path: string) => JSON.stringify(new URL(path, import.meta.url).href);
    const script = `
      import { LiveView } from ${module("../../src/index.ts")};
      import { StateTracker } from ${module("../../src/state/tracker.ts")};
      import { runtimeOf } from ${module("../../src/view/runtime.ts")};
      class Counter extends LiveView { #db = 1; count = 0; _cache = []; rows = [1]; }
      const track = () => {
        const view = new Counter();
        runtimeOf(view);
        new StateTracker({ strict: false, view: "Counter" }).reset(view);
        return view;
      };
      const [a, b] = [track(), track()];
      console.log(JSON.stringify([%HasFastProperties(a), %HaveSameMap(a, b)]));`;
    const out = execFileSync(
      process.execPath,
      ["--allow-natives-syntax", "--import", "tsx", "--input-type=module", "-e", script],
      { encoding: "utf8" },
    );
    assert.deepStrictEqual(JSON.parse(out), [true, true]);
  });

  it("refuses a non-extensible view before changing it, and keeps a tracked one's values", () => {
    const sealed = Object.preventExtensions(new CartView());
    const fresh = new StateTracker({
      strict: false,
      view: "CartView",
      logger: new CapturingLogger(),
    });
    assert.throws(() => fresh.reset(sealed), {
      name: "TypeError",
      message:
        "CartView: a view must stay extensible to be tracked " +
        "(Object.preventExtensions, seal or freeze was called on it)",
    });
    assert.deepStrictEqual(Object.keys(sealed), Object.keys(new CartView()));
    assert.deepStrictEqual(sealed.items, [{ sku: "a", qty: 1 }]);
    assert.equal(sealed.note, "hi");
    // Made non-extensible once tracked: a field deleted shifts the others, which are bound
    // again where they stand (taking them off to put them back in order could not add them).
    const { view, tracker } = tracked();
    delete (view as Partial<CartView>).tags;
    Object.preventExtensions(view);
    tracker.reset(view);
    assert.deepStrictEqual(Object.keys(view), [
      "items",
      "prices",
      "updated",
      "note",
      "count",
      "_db",
      "onClick",
    ]);
    assert.equal(view.note, "hi");
    assert.deepStrictEqual(view.items, [{ sku: "a", qty: 1 }]);
    view.count = 5;
    assert.deepStrictEqual(tracker.changes(view), ["count"]);
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
