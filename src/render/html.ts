/**
 * Full HTML rendering of a Rendered tree (dead render, tests, the oracle of the diff tests).
 * @module
 */
import * as tree from "./tree.js";
import type { Rendered, Slot } from "./tree.js";

// A module-local copy: when this file is transpiled to CommonJS (tsx, bundlers) each use of an
// imported binding is a getter call, which showed up in render profiles.
const UNCHANGED: typeof tree.UNCHANGED = tree.UNCHANGED;

/** The HTML of the component with cid `cid` (the component layer renders it). */
export type ComponentHtml = (cid: number) => string;

/**
 * Concatenates statics and dynamics into HTML. The tree must be fully evaluated: a slot left
 * {@link UNCHANGED} has no value to print, so it is an error here (merge with the previous
 * tree first, which `diff` does).
 */
export function renderToString(tree: Rendered, components?: ComponentHtml): string {
  // String `+=` builds V8 ropes, several times faster here than collecting parts and joining.
  return interleave(tree.statics, tree.dynamics, components);
}

function interleave(
  statics: readonly string[],
  dynamics: readonly Slot[],
  components: ComponentHtml | undefined,
): string {
  let html = statics[0] ?? "";
  for (let i = 0; i < dynamics.length; i++) {
    html += slotHtml(dynamics[i] as Slot, components);
    html += statics[i + 1] ?? "";
  }
  return html;
}

function slotHtml(slot: Slot, components: ComponentHtml | undefined): string {
  if (slot === UNCHANGED) throw new Error("renderToString: tree has an unevaluated slot");
  if (typeof slot === "string") return slot;
  if (slot.type === "rendered") return interleave(slot.statics, slot.dynamics, components);
  if (slot.type === "component") {
    if (!components) throw new Error(`renderToString: component ${slot.cid} has no renderer`);
    return components(slot.cid);
  }
  let html = "";
  for (const entry of slot.entries) html += interleave(slot.statics, entry.dynamics, components);
  return html;
}
