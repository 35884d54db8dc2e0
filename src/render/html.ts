/**
 * Full HTML rendering of a Rendered tree (dead render, tests, the oracle of the diff tests).
 * @module
 */
import * as tree from "./tree.js";
import type { Comprehension, ComprehensionEntry, Rendered, Slot } from "./tree.js";

// A module-local copy: when this file is transpiled to CommonJS (tsx, bundlers) each use of an
// imported binding is a getter call, which showed up in render profiles.
const UNCHANGED: typeof tree.UNCHANGED = tree.UNCHANGED;

/** The HTML of the component with cid `cid` (the component layer renders it). */
export type ComponentHtml = (cid: number) => string;

/**
 * The children a page shows for the stream `ref`, printed where the kept tree has that
 * stream's loop (see {@link Comprehension.streamRef}): the tree itself holds no stream item.
 * `components` renders the components its rows place.
 */
export type StreamHtml = (ref: string, components: ComponentHtml | undefined) => string;

/**
 * Concatenates statics and dynamics into HTML. The tree must be fully evaluated: a slot left
 * {@link UNCHANGED} has no value to print, so it is an error here (merge with the previous
 * tree first, which `diff` does).
 */
export function renderToString(
  tree: Rendered,
  components?: ComponentHtml,
  streams?: StreamHtml,
): string {
  // String `+=` builds V8 ropes, several times faster here than collecting parts and joining.
  return interleave(tree.statics, tree.dynamics, components, streams);
}

/** The HTML of one entry of `loop`, as its place in the page shows it. */
export function entryHtml(
  loop: Comprehension,
  entry: ComprehensionEntry,
  components?: ComponentHtml,
): string {
  return interleave(loop.statics, entry.dynamics, components, undefined);
}

function interleave(
  statics: readonly string[],
  dynamics: readonly Slot[],
  components: ComponentHtml | undefined,
  streams: StreamHtml | undefined,
): string {
  let html = statics[0] ?? "";
  for (let i = 0; i < dynamics.length; i++) {
    html += slotHtml(dynamics[i] as Slot, components, streams);
    html += statics[i + 1] ?? "";
  }
  return html;
}

function slotHtml(
  slot: Slot,
  components: ComponentHtml | undefined,
  streams: StreamHtml | undefined,
): string {
  if (slot === UNCHANGED) throw new Error("renderToString: tree has an unevaluated slot");
  if (typeof slot === "string") return slot;
  if (slot.type === "rendered") {
    return interleave(slot.statics, slot.dynamics, components, streams);
  }
  if (slot.type === "component") {
    if (!components) throw new Error(`renderToString: component ${slot.cid} has no renderer`);
    return components(slot.cid);
  }
  if (streams && slot.streamRef !== undefined) return streams(slot.streamRef, components);
  let html = "";
  for (const entry of slot.entries) {
    html += interleave(slot.statics, entry.dynamics, components, streams);
  }
  return html;
}
