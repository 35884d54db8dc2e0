/**
 * Change tracking: which names a compiled piece of template reads. A slot's dependency set holds
 * the free names it reads (locals of enclosing `for`/`with` included); binders remove their own
 * names and add the dependencies of what they bind, so the root's set is exactly the top-level
 * assigns read, and a render given the changed names can skip every slot whose set misses them.
 * Inside a loop, {@link RowReads} also records which fields of the row the body reads, for the
 * loop memo.
 * @module
 */

export const NO_DEPS: ReadonlySet<string> = new Set();

/**
 * Pseudo-dependency of a slot that may read any name: `{% include %}`/`{% extends %}` of a
 * template named by a variable, which is only known (and compiled) at render time. A slot holding
 * it is evaluated on every change-tracked render, and loops around it do not reuse rows.
 */
export const ANY = "*";

// Pseudo-dependency of `forloop.parentloop.…`: not an identifier, so it never clashes with a name.
export const PARENTLOOP = "forloop.parentloop";

/** Which fields of a loop variable its body reads; `whole` when it uses the row as a value. */
export interface RowReads {
  readonly target: string;
  readonly fields: Set<string>;
  whole: boolean;
  readonly outer: RowReads | undefined;
}

/**
 * The names the variable reference `path` depends on. Also records, in `rowReads`, the fields it
 * reads of enclosing loops' rows.
 */
export function readsOf(path: readonly string[], rowReads: RowReads | undefined): Set<string> {
  const root = path[0] as string;
  const deps = new Set([root]);
  for (let rr = rowReads; rr !== undefined; rr = rr.outer) {
    if (rr.target !== root) continue;
    const field = path[1];
    // The dict helpers and the bare row depend on every field.
    if (field === undefined || field === "items" || field === "keys" || field === "values")
      rr.whole = true;
    else rr.fields.add(field);
  }
  if (root === "forloop" && path[1] === "parentloop") deps.add(PARENTLOOP);
  return deps;
}

export function intersects(deps: ReadonlySet<string>, changed: ReadonlySet<string>): boolean {
  if (changed.size > 0 && deps.has(ANY)) return true;
  if (deps.size <= changed.size) {
    for (const d of deps) if (changed.has(d)) return true;
    return false;
  }
  for (const c of changed) if (deps.has(c)) return true;
  return false;
}

export function union(...sets: Iterable<string>[]): Set<string> {
  const out = new Set<string>();
  for (const s of sets) for (const name of s) out.add(name);
  return out;
}

export function without(set: Iterable<string>, names: Iterable<string>): Set<string> {
  const out = new Set(set);
  for (const n of names) out.delete(n);
  return out;
}
