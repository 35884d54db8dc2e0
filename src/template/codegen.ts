/**
 * Code generated at compile time from a template's field names and slot counts: the loop memo's
 * row comparators ({@link fieldCheck}) and the evaluators of a fragment's slots
 * ({@link slotsEvaluator}), where the runtime allows compiling code from strings.
 * @module
 */

import type { Frame } from "./values.js";

/** Whether a row's fields still hold its snapshot's values (see {@link fieldCheck}). */
export type FieldCheck = (item: Record<string, unknown>, snap: readonly unknown[]) => boolean;

let codegenAllowed: boolean | undefined;

// Edge runtimes and hosts with a strict CSP refuse to compile code from strings.
function canGenerateCode(): boolean {
  if (codegenAllowed === undefined) {
    try {
      codegenAllowed = (new Function("return true") as () => unknown)() === true;
    } catch {
      codegenAllowed = false;
    }
  }
  return codegenAllowed;
}

/**
 * The row-memo check of a loop whose body reads `fields` of its row: `item[f] === snap[j]` for
 * each field.
 *
 * Written as a loop, `item[f]` is one keyed load site shared by every field of every loop, which
 * V8 handles megamorphically; in profiles of a one-row change in a 1,000-row table that load was
 * over half of the re-render. So where the runtime allows it, each loop gets a generated
 * comparator with one property read per field, each its own (monomorphic) site, about twice as
 * fast. Only the field names, quoted by `JSON.stringify`, and array indexes go into its source:
 * no template text, so nothing a template says can run as code. Where code generation is not
 * allowed, the loop is used. `generate` exists for tests.
 *
 * @internal
 */
export function fieldCheck(fields: readonly string[], generate = canGenerateCode()): FieldCheck {
  if (generate && fields.length > 0) {
    const test = fields.map((f, j) => `o[${JSON.stringify(f)}] === s[${j}]`).join(" && ");
    try {
      return new Function("o", "s", `"use strict"; return ${test};`) as FieldCheck;
    } catch {
      // Refused after all (a policy that changed after the probe): the loop below is correct.
    }
  }
  return (item, snap) => {
    for (let j = 0; j < fields.length; j++) {
      if (item[fields[j] as string] !== snap[j]) return false;
    }
    return true;
  };
}

/**
 * Evaluates every slot of a fragment for a full render: `[run0(scope), run1(scope), …]`.
 *
 * A loop over the slots calls every slot of every template from one call site, which V8 cannot
 * inline and handles megamorphically; the full render of a table spent most of its time in such
 * calls. The generated evaluator has one call site per slot, each always calling the same
 * function, so V8 can inline the slot's code into it, and builds the array as a literal. Only
 * array indexes go into its source: no template text. Where code generation is not allowed, a
 * loop is used. `generate` exists for tests.
 *
 * @internal
 */
export function slotsEvaluator<S, D>(
  runs: readonly ((scope: S, changed: undefined) => D)[],
  generate = canGenerateCode(),
): (scope: S) => D[] {
  const n = runs.length;
  if (generate && n > 0) {
    const bind = runs.map((_, i) => `r${i} = r[${i}]`).join(", ");
    const calls = runs.map((_, i) => `r${i}(s, undefined)`).join(", ");
    try {
      return new Function(
        "r",
        `"use strict"; const ${bind}; return function evaluate(s) { return [${calls}]; };`,
      )(runs) as (scope: S) => D[];
    } catch {
      // Refused after all: the loop below is correct.
    }
  }
  return (scope) => {
    const out = new Array<D>(n);
    for (let i = 0; i < n; i++)
      out[i] = (runs[i] as (scope: S, changed: undefined) => D)(scope, undefined);
    return out;
  };
}

/** The lookup helpers a {@link fieldReader} falls back on (values.ts; passed in, not imported). */
export interface FieldHelpers {
  readonly lookupLocal: (frame: Frame | null, name: string) => unknown;
  readonly getMember: (owner: unknown, key: string) => unknown;
  readonly callIfCallable: (value: unknown, owner: unknown) => unknown;
}

// The reader of `root.key` with `root` a local name. The frame holding `root` is usually made by
// the same binder on every evaluation (a loop's row frame), so where the name was found in the
// innermost frame is remembered by that frame's name list (fixed per binder, never mutated); a
// plain object's own field is read directly, anything else goes through getMember.
const FIELD_READER = `"use strict";
let names;
let index = 0;
return function read(scope) {
  const frame = scope.frame;
  if (frame === null) return undefined;
  let owner;
  if (frame.names === names) owner = frame.values[index];
  else {
    const i = frame.names.indexOf(root);
    if (i < 0) owner = h.lookupLocal(frame.parent, root);
    else {
      names = frame.names;
      index = i;
      owner = frame.values[i];
    }
  }
  if (owner === undefined || owner === null) return undefined;
  if (typeof owner === "object" && Object.getPrototypeOf(owner) === Object.prototype) {
    const direct = owner[key];
    if (direct !== undefined && typeof direct !== "function") return direct;
  }
  const value = h.getMember(owner, key);
  return typeof value === "function" ? h.callIfCallable(value, owner) : value;
};`;

/**
 * The evaluator of `root.key` where `root` is a local name (`row.field` in a loop).
 *
 * Written as one closure, its `owner[key]` is one keyed load site shared by every field of every
 * template, which V8 handles megamorphically; that load and the frame search were a sixth of a
 * full render of a table. So where the runtime allows it, each reference gets its own compiled
 * copy of the same code (a fixed source: the names are passed in as values, never written into
 * it), whose loads stay monomorphic. Where code generation is not allowed, one closure runs the
 * same steps. `generate` exists for tests.
 *
 * @internal
 */
export function fieldReader(
  root: string,
  key: string,
  h: FieldHelpers,
  generate = canGenerateCode(),
): (scope: { readonly frame: Frame | null }) => unknown {
  type Reader = (scope: { readonly frame: Frame | null }) => unknown;
  if (generate) {
    try {
      return (
        new Function("root", "key", "h", FIELD_READER) as (
          r: string,
          k: string,
          h: FieldHelpers,
        ) => Reader
      )(root, key, h);
    } catch {
      // Refused after all: the closure below is correct.
    }
  }
  return (scope) => {
    const owner = h.lookupLocal(scope.frame, root);
    if (owner === undefined || owner === null) return undefined;
    return h.callIfCallable(h.getMember(owner, key), owner);
  };
}
