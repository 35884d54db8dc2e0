/**
 * Full HTML rendering of a Rendered tree (dead render, tests, the oracle of the diff tests).
 * @module
 */
import * as tree from "./tree.js";
import type { Rendered, Slot } from "./tree.js";

// A module-local copy: when this file is transpiled to CommonJS (tsx, bundlers) each use of an
// imported binding is a getter call, which showed up in render profiles.
const UNCHANGED: typeof tree.UNCHANGED = tree.UNCHANGED;

/**
 * Concatenates statics and dynamics into HTML. The tree must be fully evaluated: a slot left
 * {@link UNCHANGED} has no value to print, so it is an error here (merge with the previous
 * tree first, which `diff` does).
 */
export function renderToString(tree: Rendered): string {
  // String `+=` builds V8 ropes, several times faster here than collecting parts and joining.
  return interleave(tree.statics, tree.dynamics);
}

function interleave(statics: readonly string[], dynamics: readonly Slot[]): string {
  let html = statics[0] ?? "";
  for (let i = 0; i < dynamics.length; i++) {
    html += slotHtml(dynamics[i] as Slot);
    html += statics[i + 1] ?? "";
  }
  return html;
}

function slotHtml(slot: Slot): string {
  if (slot === UNCHANGED) throw new Error("renderToString: tree has an unevaluated slot");
  if (typeof slot === "string") return slot;
  if (slot.type === "rendered") return interleave(slot.statics, slot.dynamics);
  let html = "";
  for (const entry of slot.entries) html += interleave(slot.statics, entry.dynamics);
  return html;
}
