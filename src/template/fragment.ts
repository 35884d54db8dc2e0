/**
 * Compiled fragments: the statics and slots of one Rendered node or loop body, how they are
 * built while compiling a node list, and how a fragment renders, skipping the slots a
 * change-tracked render did not touch.
 * @module
 */
import { fingerprintOf } from "../render/fingerprint.js";
import {
  UNCHANGED as IMPORTED_UNCHANGED,
  type Dynamic,
  type Rendered,
  type Slot,
} from "../render/tree.js";
import type { Scope } from "./values.js";
import { intersects } from "./tracking.js";
import { slotsEvaluator } from "./codegen.js";

// A module-local copy of an imported render-time value (see evaluator.ts for why).
const UNCHANGED: typeof IMPORTED_UNCHANGED = IMPORTED_UNCHANGED;

/** The names that changed since the last render, or `undefined` for a full render. */
export type Changed = ReadonlySet<string> | undefined;

/** A compiled dynamic slot. */
export interface SlotImpl {
  readonly deps: ReadonlySet<string>;
  /** Output may differ between two evaluations with equal inputs (`cycle` state, `now`). */
  readonly impure?: boolean;
  /** Evaluates the slot; called detached (`this` is not the slot). */
  readonly run: (scope: Scope, changed: Changed) => Dynamic;
}

/** A compiled sequence of nodes: the statics/slots of one Rendered node or loop body. */
export interface Fragment {
  readonly statics: readonly string[];
  readonly fingerprint: number;
  readonly slots: readonly SlotImpl[];
  /** Free names read anywhere in the fragment. */
  readonly deps: ReadonlySet<string>;
  /** Some slot in it is impure (see {@link SlotImpl.impure}). */
  readonly impure: boolean;
  /** The one tree a fragment without slots renders to, shared by all its renders. */
  readonly constant: Rendered | undefined;
  /** Evaluates every slot (a full render): the dynamics of one render of the fragment. */
  readonly evaluate: (scope: Scope) => Dynamic[];
}

/** Renders a fragment; slots whose dependencies miss `changed` become {@link UNCHANGED}. */
export function renderFragment(fragment: Fragment, scope: Scope, changed: Changed): Rendered {
  if (fragment.constant !== undefined) return fragment.constant;
  let dynamics: Slot[];
  if (changed === undefined) dynamics = fragment.evaluate(scope);
  else {
    const slots = fragment.slots;
    dynamics = new Array<Slot>(slots.length);
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i] as SlotImpl;
      dynamics[i] = intersects(slot.deps, changed) ? slot.run(scope, changed) : UNCHANGED;
    }
  }
  return {
    type: "rendered",
    statics: fragment.statics,
    fingerprint: fragment.fingerprint,
    dynamics,
  };
}

/** Collects the statics and slots of a node list as it is compiled. */
export class FragmentBuilder {
  readonly statics: string[] = [""];
  readonly slots: SlotImpl[] = [];
  readonly deps = new Set<string>();
  impure = false;

  text(text: string): void {
    this.statics[this.statics.length - 1] += text;
  }

  slot(slot: SlotImpl): void {
    this.slots.push(slot);
    this.statics.push("");
    for (const d of slot.deps) this.deps.add(d);
    if (slot.impure === true) this.impure = true;
  }

  build(): Fragment {
    const statics = this.statics;
    const fingerprint = fingerprintOf(statics);
    return {
      statics,
      fingerprint,
      slots: this.slots,
      deps: this.deps,
      impure: this.impure,
      evaluate: slotsEvaluator(this.slots.map((slot) => slot.run)),
      constant:
        this.slots.length === 0
          ? Object.freeze({ type: "rendered", statics, fingerprint, dynamics: Object.freeze([]) })
          : undefined,
    };
  }
}
