/**
 * Full HTML rendering of a Rendered tree (dead render, tests, the oracle of the diff tests).
 * @module
 */
import { UNCHANGED, type Dynamic, type Rendered, type Slot } from "./tree.js";

/**
 * Concatenates statics and dynamics into HTML. The tree must be fully evaluated: a slot left
 * {@link UNCHANGED} has no value to print, so it is an error here (merge with the previous
 * tree first, which `diff` does).
 */
export function renderToString(tree: Rendered): string {
  const out: string[] = [];
  appendRendered(tree, out);
  return out.join("");
}

function appendRendered(tree: Rendered, out: string[]): void {
  appendInterleaved(tree.statics, tree.dynamics, out);
}

function appendInterleaved(statics: readonly string[], dynamics: readonly Slot[], out: string[]) {
  out.push(statics[0] ?? "");
  for (let i = 0; i < dynamics.length; i++) {
    appendDynamic(dynamics[i] as Slot, out);
    out.push(statics[i + 1] ?? "");
  }
}

function appendDynamic(slot: Slot, out: string[]): void {
  if (slot === UNCHANGED) throw new Error("renderToString: tree has an unevaluated slot");
  if (typeof slot === "string") {
    out.push(slot);
    return;
  }
  const node: Exclude<Dynamic, string> = slot;
  if (node.type === "rendered") {
    appendRendered(node, out);
    return;
  }
  for (const entry of node.entries) appendInterleaved(node.statics, entry.dynamics, out);
}
