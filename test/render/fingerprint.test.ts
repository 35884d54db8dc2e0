import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { fingerprintOf, sameStatics } from "../../src/render/fingerprint.js";
import { propertyRuns } from "../support/property-runs.js";

describe("fingerprintOf", () => {
  it("depends on content only, not on array identity", () => {
    assert.equal(fingerprintOf(["<p>", "</p>"]), fingerprintOf(["<p>", "</p>"]));
  });

  it("is a known 32-bit value, so it is stable across processes", () => {
    const value = fingerprintOf(["<p>", "</p>"]);
    assert.ok(Number.isInteger(value) && value >= 0 && value <= 0xffffffff);
    assert.equal(fingerprintOf([]), fingerprintOf([]));
    // Pinned: FNV-1a (32-bit) over [count, len, chars…] as computed independently in Python.
    assert.equal(value, 1811825845);
  });

  it("separates strings so that splitting differently changes the hash", () => {
    const shapes = [
      ["ab", ""],
      ["a", "b"],
      ["", "ab"],
      ["ab"],
      ["a", "", "b"],
      ["", "", ""],
      [""],
      [],
    ];
    const prints = new Set(shapes.map((s) => fingerprintOf(s)));
    assert.equal(prints.size, shapes.length);
  });

  it("caches per array identity", () => {
    const statics = ["x", "y"];
    const first = fingerprintOf(statics);
    statics[0] = "changed";
    assert.equal(fingerprintOf(statics), first, "the cached value is returned for the same array");
    assert.notEqual(fingerprintOf(["changed", "y"]), first);
  });

  it("has no collisions on random distinct small shapes (sanity)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 6 }), { maxLength: 4 }),
        fc.array(fc.string({ maxLength: 6 }), { maxLength: 4 }),
        (a, b) => {
          if (JSON.stringify(a) === JSON.stringify(b)) return fingerprintOf(a) === fingerprintOf(b);
          return fingerprintOf(a) !== fingerprintOf(b);
        },
      ),
      propertyRuns(100),
    );
  });
});

describe("sameStatics", () => {
  it("compares by identity, then by fingerprint and content", () => {
    const a = ["<p>", "</p>"];
    const nodeOf = (statics: string[], fingerprint = fingerprintOf(statics)) => ({
      statics,
      fingerprint,
    });
    assert.ok(sameStatics(nodeOf(a), nodeOf(a)));
    assert.ok(sameStatics(nodeOf(a), nodeOf(["<p>", "</p>"])));
    assert.ok(!sameStatics(nodeOf(a), nodeOf(["<p>", "</i>"])));
    // A forced fingerprint collision is caught by the content check.
    assert.ok(!sameStatics(nodeOf(a), nodeOf(["<i>", "</i>"], fingerprintOf(a))));
  });
});
