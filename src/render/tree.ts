/**
 * The Rendered tree: the one output of both template front ends (Django-style files and
 * html`` tagged templates), and the input of {@link "./diff"} and full HTML rendering.
 *
 * A {@link Rendered} node is a list of static strings interleaved with dynamic slots
 * (`statics.length === dynamics.length + 1`). Nodes with the same static shape share a
 * fingerprint, so the diff sends statics only when a slot's shape changed.
 *
 * @module
 */

/**
 * Marks a dynamic slot that a change-tracked re-render did not evaluate because none of the
 * assigns it reads changed. The diff treats it as "same as before" and sends nothing for it.
 */
export const UNCHANGED: unique symbol = Symbol("djust.unchanged");
/** Type of {@link UNCHANGED}. */
export type Unchanged = typeof UNCHANGED;

/** What a dynamic slot holds after evaluation: already-escaped HTML text, or a nested tree. */
export type Dynamic = string | Rendered | Comprehension;

/** A dynamic slot as produced by a render: a value, or {@link UNCHANGED} when skipped. */
export type Slot = Dynamic | Unchanged;

/** A static/dynamic tree for one template or one `html` tagged-template call site. */
export interface Rendered {
  readonly type: "rendered";
  /** Literal HTML between the slots; one more entry than `dynamics`. */
  readonly statics: readonly string[];
  /** Identifies the static shape; equal statics ⇒ equal fingerprint. */
  readonly fingerprint: number;
  readonly dynamics: readonly Slot[];
}

/** The output of a loop: one shared statics list, one dynamics list per entry. */
export interface Comprehension {
  readonly type: "comprehension";
  readonly statics: readonly string[];
  readonly fingerprint: number;
  readonly entries: readonly ComprehensionEntry[];
}

/** One loop iteration. `key` identifies the entry across renders when the loop is keyed. */
export interface ComprehensionEntry {
  readonly key?: string;
  /** Always fully evaluated (never {@link UNCHANGED}) inside an entry. */
  readonly dynamics: readonly Dynamic[];
}

/**
 * A compiled template. `render(context)` evaluates every slot; `render(context, changed)`
 * evaluates only the slots that read one of the `changed` top-level assigns and marks the
 * others {@link UNCHANGED}.
 */
export interface Template {
  /** Template name (file path relative to its template dir, or a label for inline sources). */
  readonly name: string;
  /** Every top-level assign name the template may read. */
  readonly dependencies: ReadonlySet<string>;
  render(context: RenderContext, changed?: ReadonlySet<string>): Rendered;
}

/** Values visible to a template: the view's public state plus `getContextData()` additions. */
export type RenderContext = Readonly<Record<string, unknown>>;
