/**
 * Code generated at compile time from a template's field names: the loop memo's row comparators
 * ({@link fieldCheck}), where the runtime allows compiling code from strings.
 * @module
 */

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
