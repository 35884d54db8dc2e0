/**
 * The loop memo: a compiled `{% for %}`'s record of its last renders, row by row, so that a
 * re-render reuses the entry of every row whose item still holds the same primitive values in
 * the fields the body reads, and re-renders only the others. Also the entry keys that let the
 * diff match rows by `id`/`key`.
 * @module
 */
import type {
  Comprehension,
  ComprehensionEdits,
  ComprehensionEntry,
  RowEdits,
} from "../render/tree.js";
import { fieldCheck, type FieldCheck } from "./codegen.js";
import * as runtime from "./values.js";
import type { Scope } from "./values.js";

// A module-local copy of an imported render-time helper (see evaluator.ts for why).
const { isPlainObject } = runtime;

// `forloop.parentloop` of a top-level loop (Django gives an empty dict).
const EMPTY_PARENTLOOP: unknown = Object.freeze({});

// What an item's entry key is made from: its `id`, else its `key`.
function rawKey(item: unknown): unknown {
  if (typeof item !== "object" || item === null || Array.isArray(item)) return undefined;
  const rec = item as { id?: unknown; key?: unknown };
  return "id" in rec ? rec.id : rec.key;
}

function keyText(raw: unknown): string | undefined {
  if (typeof raw === "string") return raw;
  if (typeof raw === "number" || typeof raw === "bigint") return String(raw);
  return undefined;
}

/** Entry keys of one render, with the raw values they were made from. */
export interface LoopKeys {
  /** Only when every item has a distinct key: the diff cannot match entries otherwise. */
  readonly keys: readonly string[] | undefined;
  readonly raw: readonly unknown[] | undefined;
}

const NO_KEYS: LoopKeys = { keys: undefined, raw: undefined };

/** The entry keys of a render of `items` (see {@link LoopKeys.keys}). */
export function entryKeys(items: readonly unknown[]): LoopKeys {
  const n = items.length;
  const keys = new Array<string>(n);
  const raw = new Array<unknown>(n);
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const r = rawKey(items[i]);
    const key = keyText(r);
    if (key === undefined || seen.has(key)) return NO_KEYS;
    seen.add(key);
    keys[i] = key;
    raw[i] = r;
  }
  return { keys, raw };
}

/**
 * A loop's last render, row by row. Its arrays belong to the memo (the Comprehension handed out
 * gets a copy), so a re-render of the same list with the same keys updates them in place.
 */
interface LoopMemo extends LoopKeys {
  readonly count: number;
  /** Shared with `output` when `shared` (see {@link RowEdits}); copied before other updates. */
  entries: ComprehensionEntry[];
  /**
   * Per row, the item's snapshot when its entry was rendered (see {@link snapshot}), or
   * `undefined` when the entry may not be reused.
   */
  readonly snaps: (readonly unknown[] | undefined)[];
  /**
   * Per row, an item known to be a plain object holding the values of its snapshot (or
   * {@link UNSEEN}): finding the same object again skips the prototype check. This keeps the
   * rows of one list alive until the loop's next render.
   */
  readonly items: unknown[];
  /** The Comprehension of exactly `entries`, returned again when no row changed. */
  output: Output | undefined;
  /** Key → index, built only when some row moved. */
  byKey: Map<string, number> | undefined;
  /**
   * Rows whose snapshot is `undefined` (neither values nor {@link DEEP}): rows that may change
   * without a write the view's tracking sees, so edits cannot stand for them.
   */
  loose: number;
  /** The view render that last ran this memo (a view's own memos only). */
  run: RowEdits | undefined;
  /** Whether `output.entries` is `entries` itself (made by {@link inPlace}). */
  shared: boolean;
  /** What the last in-place update replaced, to take it back if its render was never shown. */
  undo: Undo | undefined;
}

/** A loop's output; `edits` is dropped once the next output is made from it. */
interface Output extends Comprehension {
  edits?: ComprehensionEdits;
}

/** Rows an in-place update replaced: index, and the entry, snapshot and item it had. */
interface Undo {
  readonly at: number[];
  readonly entries: ComprehensionEntry[];
  readonly snaps: (readonly unknown[] | undefined)[];
  readonly items: unknown[];
}

// The values of the fields a row reads (`fields`), or of all its own enumerable fields as
// `[key, value, ...]` (`fields` undefined), when they are all primitives: the entry rendered
// from the item is then a pure function of this snapshot and its loop position.
function snapshot(
  item: Record<string, unknown>,
  fields: readonly string[] | undefined,
): unknown[] | undefined {
  const out: unknown[] = [];
  if (fields !== undefined) {
    for (let j = 0; j < fields.length; j++) {
      const v = item[fields[j] as string];
      if ((typeof v === "object" && v !== null) || typeof v === "function") return undefined;
      out.push(v);
    }
    return out;
  }
  for (const k in item) {
    const v = item[k];
    if ((typeof v === "object" && v !== null) || typeof v === "function") return undefined;
    out.push(k, v);
  }
  return out;
}

/**
 * The snapshot of a row that has none (a field it reads holds an object) but whose fields it
 * reads hold only plain data (primitives, plain objects and arrays, all the way down): it is never
 * reused by comparison, but a view's write tracking sees every change to it, so under
 * {@link RowEdits} a row they do not name stands.
 */
const DEEP: readonly unknown[] = Object.freeze([]);

// Most values looked at to tell that a row holds plain data only.
const DEEP_BUDGET = 256;

function isPlainData(value: unknown, budget: { left: number }): boolean {
  if (--budget.left < 0) return false;
  if (typeof value === "function") return false;
  if (typeof value !== "object" || value === null) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isPlainData(value[i], budget)) return false;
    return true;
  }
  if (!isPlainObject(value)) return false;
  for (const k in value)
    if (!isPlainData((value as Record<string, unknown>)[k], budget)) return false;
  return true;
}

function hasPlainData(
  item: Record<string, unknown>,
  fields: readonly string[] | undefined,
): boolean {
  const budget = { left: DEEP_BUDGET };
  if (fields !== undefined) return fields.every((f) => isPlainData(item[f], budget));
  for (const k in item) if (!isPlainData(item[k], budget)) return false;
  return true;
}

// The check of a loop whose body uses its row whole: same own enumerable fields, same values.
function sameWhole(item: Record<string, unknown>, snap: readonly unknown[]): boolean {
  let j = 0;
  for (const k in item) {
    if (j >= snap.length || snap[j] !== k || snap[j + 1] !== item[k]) return false;
    j += 2;
  }
  return j === snap.length;
}

function keyIndex(memo: LoopMemo): Map<string, number> {
  if (memo.byKey === undefined) {
    memo.byKey = new Map();
    const keys = memo.keys;
    if (keys !== undefined)
      for (let i = 0; i < keys.length; i++) memo.byKey.set(keys[i] as string, i);
  }
  return memo.byKey;
}

// Stands for "no item remembered" in LoopMemo.items; never an element of a user's list.
const UNSEEN: unknown = Object.freeze({});

// Outcomes of refreshing a loop memo in place.
const SAME = 0;
const CHANGED = 1;
const MOVED = 2;

// When the data was replaced wholesale, comparing rows is wasted work: stop after this many
// misses in a row unless something already hit.
const MAX_LEADING_MISSES = 16;

/** Evaluates row `i` of `n` of a loop (the frame's `values` are the loop's own bindings). */
export type RenderRow = (
  inner: Scope,
  values: unknown[],
  parentloop: unknown,
  item: unknown,
  key: string | undefined,
  i: number,
  n: number,
) => ComprehensionEntry;

/** The memo of one compiled loop (see {@link loopMemoizer}). */
export interface LoopMemoizer {
  /**
   * Renders the rows of `items` (what the loop's iterable, `list`, evaluated to; at least one),
   * reusing the entries of rows that did not change.
   */
  render(
    list: unknown,
    items: readonly unknown[],
    inner: Scope,
    values: unknown[],
    edits?: RowEdits,
  ): Comprehension;
  /** Drops the last render's memo: the list came out empty. */
  forget(): void;
}

/**
 * The memo of a loop whose body renders rows with `renderRow` into `statics`, reads `readFields`
 * of its row (`undefined`: uses the row whole) and, when `positional`, its loop position. A loop
 * over the top-level name `listName` as it is (`reversed` or not) follows a view's
 * {@link RowEdits}.
 */
export function loopMemoizer(
  renderRow: RenderRow,
  readFields: readonly string[] | undefined,
  positional: boolean,
  statics: readonly string[],
  fingerprint: number,
  listName?: string,
  reversed = false,
): LoopMemoizer {
  const sameRow: FieldCheck = readFields === undefined ? sameWhole : fieldCheck(readFields);
  // The last render's memo, plus one per iterated array: a view that mutates its list in place
  // keeps its own memo even when other views render the same compiled template in between.
  let memo: LoopMemo | undefined;
  const memoByList = new WeakMap<object, LoopMemo>();
  // A row's snapshot: its values (compared on the next render), DEEP, or undefined.
  const rowSnap = (item: unknown): readonly unknown[] | undefined => {
    if (!isPlainObject(item)) return undefined;
    return snapshot(item, readFields) ?? (hasPlainData(item, readFields) ? DEEP : undefined);
  };

  // A live view's own memos, by view then list: only these follow its RowEdits, and no other
  // view's render updates them.
  const memoByView = new WeakMap<object, WeakMap<object, LoopMemo>>();

  // Row `i` was rendered from `item`: its snapshot, keeping the count of rows without one.
  const setSnap = (target: LoopMemo, i: number, item: unknown): void => {
    const snap = rowSnap(item);
    target.loose += (snap === undefined ? 1 : 0) - (target.snaps[i] === undefined ? 1 : 0);
    target.snaps[i] = snap;
  };

  // Puts back the rows the last in-place update replaced (its render was never shown, so the
  // tree the client has still holds the shared array with the old rows in it).
  const takeBack = (target: LoopMemo, undo: Undo): void => {
    for (let j = undo.at.length - 1; j >= 0; j--) {
      const i = undo.at[j] as number;
      const snap = undo.snaps[j];
      target.loose += (snap === undefined ? 1 : 0) - (target.snaps[i] === undefined ? 1 : 0);
      target.entries[i] = undo.entries[j] as ComprehensionEntry;
      target.snaps[i] = snap;
      target.items[i] = undo.items[j];
    }
    target.output = undefined;
  };

  /**
   * Work proportional to the change: when the view says which items of the list its step edited
   * in place since this memo's last run, and that run's tree is the one the client has, renders
   * those rows only, into the memo's own array, which the new output shares with the last one
   * (`edits` tells the diff where they differ). `undefined` when that does not apply; the memo
   * is then ready for the standard path (its array no longer shared).
   */
  const inPlace = (
    own: LoopMemo,
    items: readonly unknown[],
    inner: Scope,
    values: unknown[],
    edits: RowEdits,
  ): Comprehension | undefined => {
    const run = own.run;
    const undo = own.undo;
    own.undo = undefined;
    own.run = undefined;
    // A render that ran this memo and was never shown, and did not say it failed: its in-place
    // rows are taken back now (not when it is this very render, which ran the loop already).
    if (undo !== undefined && run !== undefined && !run.shown && run.serial < edits.serial) {
      takeBack(own, undo);
    }
    const result = applyEdits(own, run, items, inner, values, edits);
    if (result !== undefined) {
      own.run = edits;
      return result;
    }
    if (own.shared) {
      own.entries = own.entries.slice();
      own.shared = false;
    }
    return undefined;
  };

  const applyEdits = (
    own: LoopMemo,
    run: RowEdits | undefined,
    items: readonly unknown[],
    inner: Scope,
    values: unknown[],
    edits: RowEdits,
  ): Comprehension | undefined => {
    const n = items.length;
    const base = own.output;
    if (
      listName === undefined ||
      run === undefined ||
      !run.shown ||
      run.serial >= edits.serial ||
      base === undefined ||
      own.loose > 0 ||
      own.count !== n
    )
      return undefined;
    const hint = edits.rows(listName);
    if (hint === undefined || run.serial < hint.since) return undefined;
    const { keys, raw, entries, snaps } = own;
    const rowItems = own.items;
    // Positions in `items`, checked before anything changes: an edit that changes a row's key
    // (or gives one to a list without keys) is the standard path's (keys decide the matching).
    const at: number[] = [];
    for (const r of hint.rows) {
      if (!(r >= 0 && r < n)) return undefined;
      const i = reversed ? n - 1 - r : r;
      if (raw !== undefined ? rawKey(items[i]) !== raw[i] : keyText(rawKey(items[i])) !== undefined)
        return undefined;
      at.push(i);
    }
    at.sort((a, b) => a - b);
    const undo: Undo = { at: [], entries: [], snaps: [], items: [] };
    try {
      for (let j = 0; j < at.length; j++) {
        const i = at[j] as number;
        if (j > 0 && at[j - 1] === i) continue;
        const item = items[i];
        const snap = snaps[i] as readonly unknown[];
        if (
          snap !== DEEP &&
          (item === rowItems[i] || isPlainObject(item)) &&
          sameRow(item as Record<string, unknown>, snap)
        ) {
          continue;
        }
        undo.at.push(i);
        undo.entries.push(entries[i] as ComprehensionEntry);
        undo.snaps.push(snap);
        undo.items.push(rowItems[i]);
        entries[i] = renderRow(inner, values, EMPTY_PARENTLOOP, item, keys?.[i], i, n);
        setSnap(own, i, item);
        rowItems[i] = item;
      }
    } catch (error) {
      takeBack(own, undo);
      own.output = base;
      throw error;
    }
    if (undo.at.length === 0) return base;
    // The previous output's edits were for its own diff, done by now: dropping them keeps the
    // chain of outputs from growing.
    base.edits = undefined;
    const output: Output = {
      type: "comprehension",
      statics,
      fingerprint,
      entries,
      edits: { base, at: undo.at, was: undo.entries },
    };
    own.output = output;
    own.shared = true;
    own.undo = undo;
    edits.onFailure(() => {
      if (own.undo !== undo) return;
      takeBack(own, undo);
      own.undo = undefined;
    });
    return output;
  };

  // Re-renders, in place, the rows of `target` (a memo with as many rows as `items`) whose items
  // changed. With `raw`, also checks that every item still has that raw key at its index and
  // stops at the first that does not (MOVED): rows before it are then up to date.
  const refresh = (
    target: LoopMemo,
    items: readonly unknown[],
    raw: readonly unknown[] | undefined,
    track: boolean,
    inner: Scope,
    values: unknown[],
  ): typeof SAME | typeof CHANGED | typeof MOVED => {
    const { entries, snaps, keys } = target;
    const rowItems = target.items;
    const n = items.length;
    let misses = 0;
    let result: typeof SAME | typeof CHANGED = SAME;
    for (let i = 0; i < n; i++) {
      const item = items[i];
      if (raw !== undefined && rawKey(item) !== raw[i]) return MOVED;
      const snap = misses <= MAX_LEADING_MISSES ? snaps[i] : undefined;
      // The item the snapshot was taken from was plain; the same object still is (short of
      // `Object.setPrototypeOf`), and the identity check is cheaper than the prototype check.
      const same = item === rowItems[i];
      if (snap !== undefined && snap !== DEEP && (same || isPlainObject(item))) {
        if (sameRow(item as Record<string, unknown>, snap)) {
          // Remembered for the next render only in the list's own memo: storing a whole list of
          // new objects into an old array on every render (reloaded rows) costs more than it saves.
          if (!same && track) rowItems[i] = item;
          misses = -Infinity;
          continue;
        }
        misses++;
      }
      // Dropped before the row is rendered: if rendering throws, the rows updated so far must
      // not be answered with the output of the render before them.
      target.output = undefined;
      entries[i] = renderRow(inner, values, EMPTY_PARENTLOOP, item, keys?.[i], i, n);
      setSnap(target, i, item);
      rowItems[i] = item;
      result = CHANGED;
    }
    return result;
  };

  // Renders every row of `items`, reusing entries of `previous` (matched by key, or by index
  // for unkeyed lists) whose items did not change.
  const rebuild = (
    previous: LoopMemo | undefined,
    items: readonly unknown[],
    loopKeys: LoopKeys,
    inner: Scope,
    values: unknown[],
  ): LoopMemo => {
    const n = items.length;
    const keys = loopKeys.keys;
    const entries = new Array<ComprehensionEntry>(n);
    const snaps = new Array<readonly unknown[] | undefined>(n);
    let from = previous;
    let misses = 0;
    let loose = 0;
    for (let i = 0; i < n; i++) {
      const item = items[i];
      const key = keys?.[i];
      const plain = isPlainObject(item);
      if (from !== undefined && plain) {
        let p: number | undefined;
        if (key === undefined) p = from.keys === undefined && i < from.count ? i : undefined;
        else p = from.keys?.[i] === key ? i : keyIndex(from).get(key);
        if (p !== undefined && positional && (p !== i || from.count !== n)) p = undefined;
        const snap = p === undefined ? undefined : from.snaps[p];
        if (snap !== undefined && snap !== DEEP && sameRow(item, snap)) {
          entries[i] = from.entries[p as number] as ComprehensionEntry;
          snaps[i] = snap;
          misses = -Infinity;
          continue;
        }
        if (++misses > MAX_LEADING_MISSES) from = undefined;
      }
      entries[i] = renderRow(inner, values, EMPTY_PARENTLOOP, item, key, i, n);
      snaps[i] = plain ? rowSnap(item) : undefined;
      if (snaps[i] === undefined) loose++;
    }
    return {
      ...loopKeys,
      count: n,
      entries,
      snaps,
      items: items.slice(),
      output: undefined,
      byKey: undefined,
      loose,
      run: undefined,
      shared: false,
      undo: undefined,
    };
  };

  return {
    render: (list, items, inner, values, edits) => {
      const n = items.length;
      const listObject = typeof list === "object" && list !== null ? list : undefined;
      let memos = memoByList;
      if (edits !== undefined && listObject !== undefined) {
        let mine = memoByView.get(edits.owner);
        if (mine === undefined) memoByView.set(edits.owner, (mine = new WeakMap()));
        memos = mine;
      }
      const own = listObject === undefined ? undefined : memos.get(listObject);
      if (own !== undefined && edits !== undefined) {
        const output = inPlace(own, items, inner, values, edits);
        if (output !== undefined) {
          memo = own;
          return output;
        }
      }
      const previous =
        own ?? (memos !== memoByList ? memoByList.get(listObject as object) : undefined) ?? memo;
      let next: LoopMemo;
      let keys: LoopKeys | undefined;
      // Same rows at the same places (same raw keys, checked as it goes, or both unkeyed):
      // update in place, on a copy when the memo was another list's.
      if (
        previous !== undefined &&
        previous.count === n &&
        (previous.raw !== undefined || (keys = entryKeys(items)).keys === undefined)
      ) {
        // Another list's memo (perhaps another view's) is only read: its array may be shared
        // with an output that view shows.
        next =
          previous === own
            ? previous
            : {
                ...previous,
                entries: previous.entries.slice(),
                snaps: previous.snaps.slice(),
                items: new Array<unknown>(n).fill(UNSEEN),
                // A shared output's array changes with its memo; a copied one never changes.
                output: previous.shared ? undefined : previous.output,
                run: undefined,
                shared: false,
                undo: undefined,
              };
        const result = refresh(next, items, previous.raw, previous === own, inner, values);
        if (result === SAME && next.output !== undefined) {
          next.run = edits;
          memo = next;
          if (listObject !== undefined) memos.set(listObject, next);
          return next.output;
        }
        if (result === MOVED) next = rebuild(next, items, entryKeys(items), inner, values);
      } else next = rebuild(previous, items, keys ?? entryKeys(items), inner, values);
      next.output = { type: "comprehension", statics, fingerprint, entries: next.entries.slice() };
      next.run = edits;
      memo = next;
      if (listObject !== undefined) memos.set(listObject, next);
      return next.output;
    },
    forget: () => {
      memo = undefined;
    },
  };
}
