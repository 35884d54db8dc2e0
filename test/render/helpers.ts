/**
 * Builders for hand-written Rendered trees, and the round-trip check every diff test ends with.
 * @module
 */
import assert from "node:assert/strict";
import {
  diff,
  renderedToWire,
  type WireOptions,
  type WireRendered,
} from "../../src/render/diff.js";
import { fingerprintOf } from "../../src/render/fingerprint.js";
import { renderToString } from "../../src/render/html.js";
import type {
  Comprehension,
  ComprehensionEntry,
  Dynamic,
  Rendered,
  Slot,
} from "../../src/render/tree.js";
import { ClientTree } from "../support/phoenix-client.js";

// Statics arrays are interned by content so that equal shapes share identity, like a call site.
const interned = new Map<string, readonly string[]>();
function intern(statics: readonly string[]): readonly string[] {
  const id = JSON.stringify(statics);
  let found = interned.get(id);
  if (found === undefined) {
    found = Object.freeze([...statics]);
    interned.set(id, found);
  }
  return found;
}

/** A Rendered node; `statics.length` must be `dynamics.length + 1`. */
export function node(statics: readonly string[], ...dynamics: Slot[]): Rendered {
  assert.equal(statics.length, dynamics.length + 1, "statics/dynamics length mismatch");
  const s = intern(statics);
  return { type: "rendered", statics: s, fingerprint: fingerprintOf(s), dynamics };
}

/** A comprehension; each row is `[key, ...dynamics]` with `key` undefined for unkeyed rows. */
export function comp(
  statics: readonly string[],
  rows: ReadonlyArray<readonly [string | undefined, ...Dynamic[]]>,
): Comprehension {
  const s = intern(statics);
  const entries: ComprehensionEntry[] = rows.map(([key, ...dynamics]) => {
    assert.equal(s.length, dynamics.length + 1, "statics/entry length mismatch");
    return key === undefined ? { dynamics } : { key, dynamics };
  });
  return { type: "comprehension", statics: s, fingerprint: fingerprintOf(s), entries };
}

/**
 * Feeds `steps` through renderedToWire/diff into the real client and checks after each step that the
 * client's HTML is our full render. Returns the payloads sent (null when nothing was sent).
 */
export function roundTrip(
  steps: readonly Rendered[],
  options?: WireOptions,
): Array<WireRendered | null> {
  const [first, ...rest] = steps;
  assert.ok(first, "roundTrip needs at least one tree");
  const join = renderedToWire(first, options);
  const client = new ClientTree("phx-test", join);
  assert.equal(client.html(), renderToString(first), "join render differs");
  const payloads: Array<WireRendered | null> = [join];
  let tree = first;
  for (const [i, next] of rest.entries()) {
    const result = diff(tree, next, options);
    if (result.diff !== null) client.merge(result.diff);
    tree = result.tree;
    assert.equal(
      client.html(),
      renderToString(tree),
      `step ${i + 1}: client HTML differs after ${JSON.stringify(result.diff)}`,
    );
    payloads.push(result.diff);
  }
  return payloads;
}
