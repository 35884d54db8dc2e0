/**
 * Records as a state backend stores them, for the tests of the backends and of restores.
 * @module
 */
import type { StoredView } from "../../src/state/backends/types.js";

/** A stored record of view `V` holding `state`; `parts` replace or add the other parts. */
export function storedView(
  state: StoredView["state"],
  parts: Partial<Omit<StoredView, "state">> = {},
): StoredView {
  return { v: 1, view: "V", state, privateFields: [], topics: [], flash: {}, savedAt: 1, ...parts };
}
