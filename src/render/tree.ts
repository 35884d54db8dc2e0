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

/**
 * What a dynamic slot holds after evaluation: already-escaped HTML text, a nested tree, or a
 * stateful component placed there (rendered on its own, referenced by its cid).
 */
export type Dynamic = string | Rendered | Comprehension | ComponentRef;

/**
 * A stateful component in a slot: the parent's tree holds only its cid (an integer on the
 * wire, as Phoenix LiveView sends it); the component's own tree goes in the diff's `c` map.
 * Made only by the component layer (`liveComponent`), so no template value can forge one.
 */
export class ComponentRef {
  readonly type = "component" as const;
  constructor(readonly cid: number) {}
}

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
  /** See {@link Inputs}. */
  readonly inputs?: Inputs;
}

/**
 * The primitive values a node's or entry's dynamics were escaped from, one per slot, when its
 * producer keeps them (html`` does, for a call whose values are all primitives; its dynamics are
 * then escaped only when read). Escaping a primitive depends on nothing else, so two nodes of the
 * same statics whose inputs are pairwise `===` have equal dynamics: the diff compares inputs (see
 * {@link sameInputs}) and never reads, so never escapes, the dynamics of an unchanged row.
 */
export type Inputs = readonly (string | number | bigint | boolean | symbol | null | undefined)[];

/**
 * Whether `a` and `b` are known to have equal dynamics from their {@link Inputs} alone (both have
 * inputs, pairwise `===`). The caller checks that they share statics. `false` means "unknown".
 */
export function sameInputs(
  a: { readonly inputs?: Inputs | undefined },
  b: { readonly inputs?: Inputs | undefined },
): boolean {
  const x = a.inputs;
  const y = b.inputs;
  if (x === undefined || y === undefined || x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** The output of a loop: one shared statics list, one dynamics list per entry. */
export interface Comprehension {
  readonly type: "comprehension";
  readonly statics: readonly string[];
  readonly fingerprint: number;
  readonly entries: readonly ComprehensionEntry[];
  /**
   * Set when the loop ran over a stream: `entries` are the items inserted since the last render
   * and this is what the client does with them. The diff sends such a loop's entries in full
   * every time (the client forgets them once patched into the page) and keeps none of them.
   */
  readonly stream?: StreamPatch;
  /**
   * Set on the itemless copy of a stream loop that the diff keeps for the next render: the
   * stream ({@link StreamPatch.ref}) whose children the page shows in its place, for what
   * models that page (the test client).
   */
  readonly streamRef?: string;
  /**
   * Set by a loop that re-rendered a few rows of its previous output in place: this
   * comprehension is `base` with the entries at `at` replaced (see {@link ComprehensionEdits}).
   */
  readonly edits?: ComprehensionEdits;
}

/**
 * How a comprehension differs from the one it was made from, so that the diff against that one
 * looks at the edited entries only. The two share their `entries` array (the loop updated it in
 * place), so `was` keeps the entries `base` had at `at`.
 */
export interface ComprehensionEdits {
  readonly base: Comprehension;
  /** Indexes of the entries that were re-rendered, ascending. */
  readonly at: readonly number[];
  /** The entries `base` had at those indexes. */
  readonly was: readonly ComprehensionEntry[];
}

/**
 * What a live view tells its template about a render besides the changed names: which items of
 * its list fields the step edited in place (known from write tracking), so that a loop over such
 * a field re-renders only those rows. One object per render of one view.
 */
export interface RowEdits {
  /** The view (the same object for all its renders): loops keep their row memos per view. */
  readonly owner: object;
  /** This render's number; every render of the view gets a higher one. */
  readonly serial: number;
  /** Set once the view adopted this render's tree (it is what the client was sent). */
  readonly shown: boolean;
  /**
   * Registers what to take back if this render fails: a loop that changed rows in place in an
   * array the shown tree shares puts them back, so that tree stays what the client has.
   */
  onFailure(takeBack: () => void): void;
  /**
   * For the top-level name `name`: `rows`, the indexes of the items of its array that the step
   * edited in place (none when `name` did not change), and `since`, the number of the latest
   * earlier render in which `name` changed (or every name was rendered). `undefined` when `name`
   * changed in a way these do not describe (replaced, resized, reordered, unknown).
   */
  rows(name: string): { readonly since: number; readonly rows: readonly number[] } | undefined;
}

/**
 * One render's operations on a stream, as the client applies them to the children of its
 * `dj-update="stream"` container (Phoenix LiveView's `stream` entry of a comprehension).
 */
export interface StreamPatch {
  /** Identifies the stream's children in the page (`data-phx-stream`); unique per view. */
  readonly ref: string;
  /** One per item in the loop's entries, in the same order. */
  readonly inserts: readonly StreamInsert[];
  /** DOM ids of children to remove. */
  readonly deletes: readonly string[];
  /** Remove every child of the stream before inserting. */
  readonly reset: boolean;
}

/** Where and how one item goes into a stream container. */
export interface StreamInsert {
  readonly domId: string;
  /** Index among the container's children; `-1` appends, `0` prepends. */
  readonly at: number;
  /** Children to keep after the insert: positive keeps the first n, negative the last n. */
  readonly limit: number | null;
  /** Only update the child when it is already on the page; never add it. */
  readonly updateOnly: boolean | null;
}

/** One loop iteration. `key` identifies the entry across renders when the loop is keyed. */
export interface ComprehensionEntry {
  readonly key?: string;
  /** Always fully evaluated (never {@link UNCHANGED}) inside an entry. */
  readonly dynamics: readonly Dynamic[];
  /** See {@link Inputs}. */
  readonly inputs?: Inputs;
}

/**
 * A compiled template. `render(context)` evaluates every slot; `render(context, changed)`
 * evaluates only the slots that read one of the `changed` top-level assigns and marks the
 * others {@link UNCHANGED}; with `edits`, a loop over a list edited in place re-renders only the
 * edited rows.
 */
export interface Template {
  /** Template name (file path relative to its template dir, or a label for inline sources). */
  readonly name: string;
  /** Every top-level assign name the template may read. */
  readonly dependencies: ReadonlySet<string>;
  render(context: RenderContext, changed?: ReadonlySet<string>, edits?: RowEdits): Rendered;
}

/** Values visible to a template: the view's public state plus `getContextData()` additions. */
export type RenderContext = Readonly<Record<string, unknown>>;

/**
 * Marks what a template loop iterates as a stream: a method giving the stream's operations since
 * its last render, `[domId, item]` per inserted item (the view's streams implement it).
 */
export const STREAM_SOURCE: unique symbol = Symbol("djust.streamSource");

/** A stream as a template loop reads it (see {@link STREAM_SOURCE}). */
export interface StreamSource {
  [STREAM_SOURCE](): {
    readonly entries: readonly (readonly [string, unknown])[];
    readonly patch: StreamPatch;
  };
}

/** Whether `value` is a {@link StreamSource}. */
export function isStreamSource(value: unknown): value is StreamSource {
  return typeof value === "object" && value !== null && STREAM_SOURCE in value;
}

/** Marks the rows of a stream loop written with html`` (`this.streams.songs.map(…)`). */
export const STREAM_ROWS: unique symbol = Symbol("djust.streamRows");

/** The rows html`` turns into a stream loop, with the stream's operations. */
export interface StreamRows {
  readonly [STREAM_ROWS]: StreamPatch;
  readonly rows: readonly unknown[];
}
