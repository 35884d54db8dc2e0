/**
 * The `html` tagged template: the code front end of the Rendered tree.
 *
 * ```ts
 * render({ todos, user }) {
 *   return html`<h1>Hi ${user.name}</h1>
 *     <ul>${todos.map((t) => keyed(t.id, html`<li class=${t.done ? "done" : ""}>${t.title}</li>`))}</ul>`;
 * }
 * ```
 *
 * Interpolated values, by kind:
 * - `string`, `number`, `bigint`, `true`, other objects: converted with `String()` and
 *   HTML-escaped (see {@link toHtml}).
 * - `null`, `undefined`, `false`: the empty string, so `${cond && html`…`}` works.
 * - A function: refused (TypeError), since its text would be its source code.
 * - {@link SafeString} (`markSafe`): inserted as is.
 * - A tree from `html` (or one passed through {@link trustRendered}): a nested tree, diffed slot
 *   by slot.
 * - An array: a list of trees from one call site becomes a comprehension (statics sent once,
 *   rows diffed by index, or by key when the rows are {@link keyed}); an array of plain values
 *   becomes their escaped texts concatenated; an array mixing trees of several call sites (or
 *   trees and plain values) becomes a comprehension of one-slot rows, so it still diffs row by
 *   row. Arrays nest.
 * - A stream's rows (`this.streams.songs.map((domId, song) => html`<tr id=${domId}>…`)`): the
 *   loop of a `dj-update="stream"` container, sending only the items inserted since the last
 *   render and the stream's operations.
 *
 * Nothing but a SafeString or a trusted tree is ever inserted unescaped: an object that merely
 * looks like a tree (say, JSON sent by a client) is refused rather than trusted.
 *
 * @module
 */
import { fingerprintOf, sameStatics } from "../render/fingerprint.js";
import {
  ComponentRef,
  STREAM_ROWS,
  UNCHANGED,
  type Comprehension,
  type ComprehensionEntry,
  type Dynamic,
  type Inputs,
  type Rendered,
  type StreamPatch,
} from "../render/tree.js";
import { SafeString, escapeHtml, toHtml } from "./safe.js";

/** A static shape, and whether the trees made with it keep their values as {@link Inputs}. */
interface Shape {
  readonly statics: readonly string[];
  readonly fingerprint: number;
  readonly lazy: boolean;
}

/** A call site's two shapes: the same statics, for calls of primitives and for the others. */
interface CallSite {
  readonly lazy: Shape;
  readonly evaluated: Shape;
}

// One entry per call site: the engine hands every evaluation of a tagged template the same
// frozen strings array, so statics and fingerprint are computed once. The last call site is
// remembered besides, since a list's rows come from one site called over and over.
const callSites = new WeakMap<TemplateStringsArray, CallSite>();
let lastStrings: TemplateStringsArray | undefined;
let lastSite: CallSite | undefined;
// Trees and lists from other producers that may be inserted unescaped ({@link trustRendered}),
// and the lists made here. A brand rather than a shape check, because a shape can be forged by
// any JSON a client sends. Trees made by `html` are instances of a class no caller can reach
// without going through `html`; a set membership per tree (a WeakSet keeps an ephemeron per
// entry until a full collection) was most of the cost of rendering a long list.
const trusted = new WeakSet<object>();

// Statics of the one-slot rows used for lists that mix call sites.
const ROW_STATICS: readonly string[] = Object.freeze(["", ""]);
const ROW_FINGERPRINT = fingerprintOf(ROW_STATICS);

/**
 * A tree made by `html`. A call whose values are all primitives keeps them as its {@link Inputs}
 * and escapes them only when `dynamics` is read; the diff compares the inputs of a row with the
 * previous render's, so an unchanged row is never escaped nor diffed slot by slot, and the
 * previous row is kept. Not cached: a kept row holds its values, not their HTML.
 *
 * Two fields, the rest on the prototype: a view keeps the rows of its last render, so the size of
 * a row is memory per connected view.
 */
class HtmlTree implements Rendered, ComprehensionEntry {
  constructor(
    private readonly shape: Shape,
    /** The inputs when the shape is lazy, else the dynamics. */
    private readonly values: readonly unknown[],
  ) {}

  get type(): "rendered" {
    return "rendered";
  }

  get statics(): readonly string[] {
    return this.shape.statics;
  }

  get fingerprint(): number {
    return this.shape.fingerprint;
  }

  /** The row's key in a list ({@link keyed}). */
  get key(): string | undefined {
    return undefined;
  }

  get inputs(): Inputs | undefined {
    return this.shape.lazy ? (this.values as Inputs) : undefined;
  }

  get dynamics(): readonly Dynamic[] {
    const { values } = this;
    if (!this.shape.lazy) return values as readonly Dynamic[];
    const out = new Array<Dynamic>(values.length);
    for (let i = 0; i < values.length; i++) out[i] = primitiveHtml(values[i] as Inputs[number]);
    return out;
  }

  /** The same tree with a key. */
  withKey(key: string): HtmlTree {
    return new KeyedHtmlTree(this.shape, this.values, key);
  }
}

/** A tree given a key by {@link keyed}. */
class KeyedHtmlTree extends HtmlTree {
  constructor(
    shape: Shape,
    values: readonly unknown[],
    private readonly keyString: string,
  ) {
    super(shape, values);
  }

  override get key(): string {
    return this.keyString;
  }
}

/**
 * Builds a {@link Rendered} tree from a tagged template. The call site's strings are the statics
 * (and their fingerprint), the interpolated values the dynamics; see the module comment for how
 * each kind of value is inserted.
 *
 * @throws TypeError when a value is a function, or looks like a tree but was not made by `html`
 *   or trusted with {@link trustRendered}; Error when a list holds two rows with the same key.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Rendered {
  const site = strings === lastStrings ? (lastSite as CallSite) : callSiteOf(strings);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value === "object" ? value !== null : typeof value === "function") {
      const dynamics = new Array<Dynamic>(values.length);
      for (let j = 0; j < values.length; j++) dynamics[j] = toDynamic(values[j]);
      return new HtmlTree(site.evaluated, dynamics);
    }
  }
  return new HtmlTree(site.lazy, values);
}

/**
 * Gives a tree a key for when it is a row of a list, so that the diff recognises the row after
 * inserts, removals and reorders and sends a move instead of re-sending rows. Keys are compared as
 * strings (`1` and `"1"` are the same key) and must be unique within one list. Returns a copy; the
 * tree given is not modified.
 *
 * Also available as `html.keyed`.
 *
 * @throws TypeError when `tree` was not made by `html` or trusted with {@link trustRendered}.
 */
export function keyed(key: string | number, tree: Rendered): Rendered {
  if (tree instanceof HtmlTree) return tree.withKey(String(key));
  if (!isTrustedRendered(tree)) {
    throw new TypeError("keyed(): the tree was not made by html`` (wrap others in trustRendered)");
  }
  const shape = { statics: tree.statics, fingerprint: tree.fingerprint, lazy: false };
  return new KeyedHtmlTree(shape, tree.dynamics, String(key));
}

html.keyed = keyed;

/**
 * Declares a tree from another producer (a compiled template's `render`, a hand-built tree) safe
 * to insert into `html` unescaped. Only pass trees whose statics came from your own code, never
 * objects built from request data. Returns the same tree.
 */
export function trustRendered<T extends Rendered | Comprehension>(tree: T): T {
  trusted.add(tree);
  return tree;
}

/** Whether `value` is a tree `html` inserts as a tree (made by `html` or {@link trustRendered}). */
export function isTrustedTree(value: unknown): value is Rendered | Comprehension {
  return (
    value instanceof HtmlTree || (typeof value === "object" && value !== null && trusted.has(value))
  );
}

function callSiteOf(strings: TemplateStringsArray): CallSite {
  let site = callSites.get(strings);
  if (site === undefined) {
    // A cooked string is undefined after an invalid escape such as `\u{`; the raw text is the only
    // thing left to print, and keeping the original array otherwise keeps identity checks fast.
    const cooked = strings.every((s) => typeof s === "string")
      ? strings
      : Object.freeze(strings.map((s, i) => s ?? strings.raw[i] ?? ""));
    const statics = quoteUnquotedValues(cooked);
    const fingerprint = fingerprintOf(statics);
    site = {
      lazy: { statics, fingerprint, lazy: true },
      evaluated: { statics, fingerprint, lazy: false },
    };
    callSites.set(strings, site);
  }
  lastStrings = strings;
  lastSite = site;
  return site;
}

const SPACE = /[\t\n\f\r ]/;
const TAG_START = /[A-Za-z/]/;

/** Where the HTML tokenizer is, for {@link quoteUnquotedValues}. */
type Mode = "text" | "comment" | "tag" | "eq" | "unquoted" | "double" | "single";

/**
 * The statics with quotes added around every unquoted attribute value that holds an
 * interpolation (DESIGN §12): `<div data-x=${v}>` renders as `<div data-x="…">`, so a value
 * like `x onmouseover=alert(1)` (escaped, its quotes included) stays one attribute value.
 * The statics are returned unchanged when no value needs quoting.
 */
export function quoteUnquotedValues(statics: readonly string[]): readonly string[] {
  let mode: Mode = "text";
  // Positions [static index, offset] where a quote goes, in order.
  const quotes: [number, number][] = [];
  let start: [number, number] = [0, 0];
  let holdsSlot = false;
  for (let i = 0; i < statics.length; i++) {
    const text = statics[i] as string;
    for (let j = 0; j < text.length; j++) {
      const c = text[j] as string;
      switch (mode) {
        case "text":
          if (c !== "<") break;
          if (text.startsWith("<!--", j)) {
            mode = "comment";
            j += 3;
          } else if (TAG_START.test(text[j + 1] ?? "")) mode = "tag";
          break;
        case "comment":
          if (text.startsWith("-->", j)) {
            mode = "text";
            j += 2;
          }
          break;
        case "tag":
          if (c === ">") mode = "text";
          else if (c === "=") mode = "eq";
          break;
        case "eq":
          if (c === '"') mode = "double";
          else if (c === "'") mode = "single";
          else if (c === ">") mode = "text";
          else if (!SPACE.test(c)) {
            mode = "unquoted";
            start = [i, j];
            holdsSlot = false;
          }
          break;
        case "unquoted":
          if (SPACE.test(c) || c === ">") {
            if (holdsSlot) quotes.push(start, [i, j]);
            mode = c === ">" ? "text" : "tag";
          }
          break;
        case "double":
          if (c === '"') mode = "tag";
          break;
        case "single":
          if (c === "'") mode = "tag";
          break;
      }
    }
    if (i === statics.length - 1) break;
    // An interpolation follows this static.
    if (mode === "eq") {
      mode = "unquoted";
      start = [i, text.length];
      holdsSlot = true;
    } else if (mode === "unquoted") holdsSlot = true;
  }
  if (mode === "unquoted" && holdsSlot) {
    const last = statics.length - 1;
    quotes.push(start, [last, (statics[last] as string).length]);
  }
  if (quotes.length === 0) return statics;
  const out = [...statics];
  // From the end, so earlier offsets in the same static stay valid.
  for (let k = quotes.length - 1; k >= 0; k--) {
    const [i, j] = quotes[k] as [number, number];
    const text = out[i] as string;
    out[i] = `${text.slice(0, j)}"${text.slice(j)}`;
  }
  return Object.freeze(out);
}

/** The HTML of a primitive value, as {@link toDynamic} gives it. */
function primitiveHtml(value: Inputs[number]): string {
  if (value === null || value === undefined || value === false) return "";
  if (typeof value === "string") return escapeHtml(value);
  // Digits, signs, `.`, `e`, `Infinity`, `NaN`, `true`: nothing to escape.
  if (typeof value === "number" || typeof value === "bigint" || value === true) return `${value}`;
  return escapeHtml(String(value));
}

function toDynamic(value: unknown): Dynamic {
  if (value === null || value === undefined || value === false) return "";
  if (typeof value === "string") return escapeHtml(value);
  if (typeof value === "function") {
    // Printing a function would send its source code to the browser; it is always a mistake.
    throw new TypeError("html``: a function was interpolated (call it, or pass its result)");
  }
  if (typeof value !== "object") return toHtml(value);
  if (value instanceof SafeString) return value.value;
  if (Array.isArray(value)) return listToDynamic(value);
  if (value instanceof HtmlTree || trusted.has(value)) return value as Rendered | Comprehension;
  if (value instanceof ComponentRef) return value;
  if (STREAM_ROWS in value) {
    const rows = value as { [STREAM_ROWS]: StreamPatch; rows: readonly unknown[] };
    return streamLoop(rows.rows, rows[STREAM_ROWS]);
  }
  const type = (value as { type?: unknown }).type;
  if (type === "rendered" || type === "comprehension") {
    throw new TypeError(
      "html``: refusing to insert a tree that was not made by html`` " +
        "(wrap trees from other producers in trustRendered())",
    );
  }
  return toHtml(value);
}

function listToDynamic(items: readonly unknown[]): Dynamic {
  if (items.length === 0) return "";
  const first = items[0];
  if (isTrustedRendered(first)) {
    // A list of rows from one call site (the common `.map(…)`): html`` rows are entries as they
    // are (with their key and inputs); a copy of the list, since the caller may change its array.
    const entries = new Array<ComprehensionEntry>(items.length);
    let keys = false;
    let i = 0;
    for (; i < items.length; i++) {
      const item = items[i];
      if (item instanceof HtmlTree) {
        if (!sameStatics(item, first) || (item.inputs === undefined && hasUnchanged(item))) break;
        entries[i] = item;
        if (item.key !== undefined) keys = true;
      } else if (isRowOf(item, first)) {
        entries[i] = { dynamics: (item as Rendered).dynamics as readonly Dynamic[] };
      } else break;
    }
    if (i === items.length) {
      if (keys) checkUniqueKeys(entries);
      return comprehension(first.statics, first.fingerprint, entries);
    }
  }
  const dynamics = items.map(toDynamic);
  if (dynamics.every((d) => typeof d === "string")) return dynamics.join("");
  const entries = dynamics.map((dynamic, i) => entryOf(items[i], [dynamic]));
  checkUniqueKeys(entries);
  return comprehension(ROW_STATICS, ROW_FINGERPRINT, entries);
}

// The loop of a stream container. With no rows there are no statics to send yet: the loop of a
// later render, with rows, has another fingerprint and goes in full.
function streamLoop(rows: readonly unknown[], stream: StreamPatch): Comprehension {
  const list = rows.length === 0 ? undefined : listToDynamic(rows);
  const node: Comprehension =
    list !== undefined && typeof list !== "string" && list.type === "comprehension"
      ? { ...list, stream }
      : {
          type: "comprehension",
          statics: ROW_STATICS,
          fingerprint: ROW_FINGERPRINT,
          entries: list === undefined ? [] : rows.map((row) => ({ dynamics: [toDynamic(row)] })),
          stream,
        };
  trusted.add(node);
  return node;
}

function isTrustedRendered(value: unknown): value is Rendered {
  return isTrustedTree(value) && value.type === "rendered";
}

// A row of a same-call-site comprehension: same statics, and every slot evaluated (an entry can
// hold no UNCHANGED; a tree with one is still fine inside a one-slot row).
function isRowOf(item: unknown, first: Rendered): boolean {
  return isTrustedRendered(item) && sameStatics(item, first) && !hasUnchanged(item);
}

function hasUnchanged(tree: Rendered): boolean {
  return tree.dynamics.includes(UNCHANGED);
}

function entryOf(item: unknown, dynamics: readonly Dynamic[]): ComprehensionEntry {
  const key = item instanceof HtmlTree ? item.key : undefined;
  return key === undefined ? { dynamics } : { key, dynamics };
}

function checkUniqueKeys(entries: readonly ComprehensionEntry[]): void {
  // Keys in increasing order (by length, then by code units: a strict total order) are distinct
  // without a set, at one comparison each; ids in order, the usual list, are such keys.
  let last: string | undefined;
  let ordered = true;
  for (const { key } of entries) {
    if (key === undefined) continue;
    if (
      last !== undefined &&
      !(last.length < key.length || (last.length === key.length && last < key))
    ) {
      ordered = false;
      break;
    }
    last = key;
  }
  if (ordered) return;
  const seen = new Set<string>();
  for (const { key } of entries) {
    if (key === undefined) continue;
    if (seen.has(key)) throw new Error(`html\`\`: duplicate key ${JSON.stringify(key)} in a list`);
    seen.add(key);
  }
}

function comprehension(
  statics: readonly string[],
  fingerprint: number,
  entries: ComprehensionEntry[],
): Comprehension {
  const node: Comprehension = { type: "comprehension", statics, fingerprint, entries };
  trusted.add(node);
  return node;
}
