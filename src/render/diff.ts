/**
 * Rendered trees on the wire: the full tree for a join reply ({@link renderedToWire}) and the minimal diff
 * between two renders ({@link diff}), both in the Phoenix LiveView 1.2 "rendered" format that the
 * official `phoenix_live_view` client merges (`Rendered.mergeDiff` in `rendered.js`).
 *
 * What the client accepts, and so what is emitted here:
 * - A node is an object: `s` = its statics (an array, or an integer index into a `p` table),
 *   `"0"`, `"1"`, … = its dynamic slots. A slot is a string, a nested node or a comprehension.
 * - A comprehension is `{ s, k: { "0": entry, "1": entry, …, kc: count } }`; an entry is an object
 *   holding only numeric slots, since every entry shares the comprehension's statics.
 * - Merging: an object carrying `s` replaces what the client had, an object without `s` is merged
 *   into it key by key. So statics are sent only when a slot's shape (fingerprint) changed.
 * - A comprehension diff is `{ k: { … , kc } }` where an entry is a diff merged into the entry at
 *   the same index, `old` (moved from index `old`, unchanged) or `[old, diff]` (moved and changed);
 *   moves need `km: true`, which makes the client read from a copy of the old entries. Entries at
 *   or past `kc` are dropped.
 * - `p` maps integer ids to statics shared by several nodes of one payload; the client resolves
 *   `s: id` against the nearest `p` above it, so one `p` at the top of a payload serves all.
 * - `r` (root flag, which makes the client inject `data-phx-id` and skip unchanged roots) is
 *   emitted only on a stateful component's root ({@link componentDiff}), whose single root
 *   element is checked when it renders: a top-level `r` means "reply" to the client, and the
 *   root optimisation elsewhere needs knowledge of single-root templates that neither front end
 *   tracks. A slot holding a component is its cid (an integer); the component layer puts the
 *   components' own trees in the top-level `c` map.
 * - An empty comprehension is sent as `""`, as Phoenix does: it has no entries to share statics
 *   with, and a later non-empty list is then sent in full.
 * - A loop over a stream carries `stream: [ref, inserts, deletes]` (`true` appended on a reset),
 *   inserts being `[domId, at, limit, updateOnly]`; its entries are the inserted items, always
 *   sent whole and indexed from 0, since the client patches them into the page and then forgets
 *   them. Its statics are sent even when it has no entries, for the items of later diffs. The
 *   tree kept for the next diff holds no stream items ({@link DiffResult.tree}).
 *
 * @module
 */
import { sameStatics } from "./fingerprint.js";
import {
  UNCHANGED,
  sameInputs,
  type Comprehension,
  type ComprehensionEdits,
  type ComprehensionEntry,
  type Dynamic,
  type Rendered,
  type Slot,
  type StreamPatch,
} from "./tree.js";

/** Any JSON value that can appear inside a {@link WireRendered}. */
export type WireValue = string | number | boolean | null | readonly WireValue[] | WireRendered;

/**
 * A rendered tree or diff in the Phoenix LiveView wire format: a JSON object whose keys are
 * `s`, `p`, `k`, `kc`, `km` and numeric slot indexes (see the module comment). Callers may add the
 * top-level keys `t` (title), `e` (events) and `r` (reply) before sending a diff.
 */
export interface WireRendered {
  [key: string]: WireValue;
}

/** Options of {@link renderedToWire} and {@link diff}. */
export interface WireOptions {
  /**
   * Send statics used by several nodes of one payload once, in a top-level `p` table, when that
   * makes the payload smaller (typically a nested template repeated in every row of a loop).
   * Default `true`; `false` always inlines statics, which is easier to read in tests and logs.
   */
  readonly shareStatics?: boolean;
}

/** The result of {@link diff}. */
export interface DiffResult {
  /** What to send to the client, or `null` when the client already shows `tree`. */
  readonly diff: WireRendered | null;
  /**
   * `next` with every UNCHANGED slot filled in and the items of its streams dropped; pass it as
   * `previous` to the next `diff`.
   */
  readonly tree: Rendered;
}

/**
 * Serialises a fully evaluated tree for a join reply's `rendered` (or any full re-render).
 *
 * @throws Error when the tree contains an {@link UNCHANGED} slot: there is no value to send.
 */
export function renderedToWire(tree: Rendered, options?: WireOptions): WireRendered {
  const ctx = new WireContext(options?.shareStatics ?? true);
  const out = fullRendered(tree, ctx);
  ctx.finish(out);
  return out;
}

/**
 * Computes what the client must merge into the tree it got for `previous` to show `next`.
 *
 * `previous` must be the fully evaluated tree the client has, i.e. the `tree` returned by the
 * previous call (or the tree given to {@link renderedToWire}). `next` may contain {@link UNCHANGED} slots;
 * each takes the value of the same slot in the previous node of the same shape. With no
 * `previous` the result is the full tree, as from {@link renderedToWire}.
 *
 * Comprehension entries are matched by {@link ComprehensionEntry.key} when every entry of both
 * lists has one and the keys are unique, else by index; matched entries send only what changed,
 * moved ones are sent as moves, so reordering a keyed list costs a few integers.
 *
 * @throws Error when an UNCHANGED slot has no previous value of the same shape to stand for.
 */
export function diff(
  previous: Rendered | undefined,
  next: Rendered,
  options?: WireOptions,
): DiffResult {
  const ctx = new WireContext(options?.shareStatics ?? true);
  if (previous === undefined) {
    const out = fullRendered(next, ctx);
    ctx.finish(out);
    return { diff: out, tree: prunedRendered(next) };
  }
  const result = diffRendered(previous, next, ctx);
  if (result.wire !== undefined) ctx.finish(result.wire);
  return { diff: result.wire ?? null, tree: result.tree };
}

/**
 * A stateful component's entry in the diff's `c` map (Phoenix LiveView 1.2): its tree diffed
 * against `previous`, the tree the client has for this cid. A component the client does not
 * have yet (`previous` undefined) is sent whole with `r: 1` (the root flag that makes the client
 * stamp `data-phx-component` on its root element) — or, given `base`, as a diff against the tree
 * of another component of the same template: `s` is then that component's cid, positive for one
 * sent in the same `c` map, negative for one the client already had, and the client copies its
 * statics and values before merging the rest (`cachedFindComponent` in `rendered.js`). The
 * root's statics are never moved into a `p` table: an integer `s` on a component's root is a
 * cid to the client.
 */
export function componentDiff(
  previous: Rendered | undefined,
  next: Rendered,
  base?: { readonly ref: number; readonly tree: Rendered },
  options?: WireOptions,
): DiffResult {
  // No `p` table beside a base: the client copies the base's own table into the new tree, and
  // a second one would replace it under the copied nodes that still point into it.
  const share = (options?.shareStatics ?? true) && (previous !== undefined || base === undefined);
  const ctx = new WireContext(share);
  let out: WireRendered | undefined;
  let tree: Rendered;
  const from = previous ?? base?.tree;
  if (from !== undefined && sameStatics(from, next)) {
    const step = diffRendered(from, next, ctx);
    out = step.wire;
    tree = step.tree;
    if (previous === undefined) (out ??= {}).s = (base as { ref: number }).ref;
  } else {
    out = fullRendered(next, ctx);
    tree = prunedRendered(next);
  }
  if (out === undefined) return { diff: null, tree };
  if (Array.isArray(out.s)) out.r = 1;
  ctx.finish(out, out);
  return { diff: out, tree };
}

// ---------------------------------------------------------------------------------------------
// Full serialisation

function fullRendered(node: Rendered, ctx: WireContext): WireRendered {
  const out: WireRendered = {};
  ctx.statics(out, node);
  const { dynamics } = node;
  for (let i = 0; i < dynamics.length; i++) {
    out[i] = fullDynamic(evaluated(dynamics[i]), ctx);
  }
  return out;
}

function fullDynamic(value: Dynamic, ctx: WireContext): WireValue {
  if (typeof value === "string") return value;
  if (value.type === "rendered") return fullRendered(value, ctx);
  if (value.type === "component") return value.cid;
  return fullComprehension(value, ctx);
}

function fullComprehension(node: Comprehension, ctx: WireContext): WireValue {
  if (node.entries.length === 0 && node.stream === undefined) return "";
  const out: WireRendered = {};
  ctx.statics(out, node);
  const keyed: WireRendered = {};
  const { entries } = node;
  for (let i = 0; i < entries.length; i++) {
    keyed[i] = fullEntry((entries[i] as ComprehensionEntry).dynamics, ctx);
  }
  keyed.kc = entries.length;
  out.k = keyed;
  if (node.stream !== undefined) out.stream = wireStream(node.stream);
  return out;
}

function wireStream(patch: StreamPatch): WireValue {
  const inserts = patch.inserts.map((i) => [i.domId, i.at, i.limit, i.updateOnly]);
  // The client tests the fourth element against `undefined`: a reset is `true` or absent.
  return patch.reset
    ? [patch.ref, inserts, patch.deletes, true]
    : [patch.ref, inserts, patch.deletes];
}

/** Whether a stream loop has anything for the client. */
function hasStreamWork(node: Comprehension, patch: StreamPatch): boolean {
  return node.entries.length > 0 || patch.deletes.length > 0 || patch.reset;
}

function fullEntry(dynamics: readonly Dynamic[], ctx: WireContext): WireRendered {
  const out: WireRendered = {};
  for (let i = 0; i < dynamics.length; i++) out[i] = fullDynamic(evaluated(dynamics[i]), ctx);
  return out;
}

function evaluated(slot: Slot | undefined): Dynamic {
  if (slot === UNCHANGED || slot === undefined) {
    throw new Error(
      "render diff: a slot is UNCHANGED but there is no previous value of the same shape to reuse",
    );
  }
  return slot;
}

// ---------------------------------------------------------------------------------------------
// Diffing. Each function returns the wire diff (undefined = nothing to send) and the resolved
// value to keep; the resolved value is the `next` object itself whenever nothing had to be filled
// in, so identity checks stay cheap on the following diff.

interface Step<W, T> {
  readonly wire: W | undefined;
  readonly value: T;
}

function diffRendered(
  prev: Rendered,
  next: Rendered,
  ctx: WireContext,
): { wire: WireRendered | undefined; tree: Rendered } {
  if (prev === next) return { wire: undefined, tree: prev };
  if (!sameStatics(prev, next))
    return { wire: fullRendered(next, ctx), tree: prunedRendered(next) };
  // Equal inputs, equal dynamics: keep the node the client has, unread.
  if (sameInputs(prev, next)) return { wire: undefined, tree: prev };
  let out: WireRendered | undefined;
  let resolved: Slot[] | undefined;
  const nextDynamics = next.dynamics;
  const prevDynamics = prev.dynamics;
  for (let i = 0; i < nextDynamics.length; i++) {
    const slot = nextDynamics[i] as Slot;
    const before = evaluated(prevDynamics[i]);
    let value: Dynamic;
    if (slot === UNCHANGED) {
      value = before;
    } else {
      const step = diffDynamic(before, slot, ctx);
      if (step.wire !== undefined) (out ??= {})[i] = step.wire;
      value = step.value;
    }
    if (value !== slot) (resolved ??= nextDynamics.slice())[i] = value;
  }
  const tree = resolved === undefined ? next : withDynamics(next, resolved);
  return { wire: out, tree };
}

function diffDynamic(prev: Dynamic, next: Dynamic, ctx: WireContext): Step<WireValue, Dynamic> {
  if (prev === next) return { wire: undefined, value: next };
  if (typeof next === "string") {
    // `prev === next` was handled above; "" also stands for an empty comprehension.
    const same = next === "" && isEmptyComprehension(prev);
    return { wire: same ? undefined : next, value: next };
  }
  if (next.type === "rendered") {
    if (typeof prev !== "string" && prev.type === "rendered" && sameStatics(prev, next)) {
      const step = diffRendered(prev, next, ctx);
      return { wire: step.wire, value: step.tree };
    }
    return { wire: fullRendered(next, ctx), value: prunedRendered(next) };
  }
  if (next.type === "component") {
    const same = typeof prev !== "string" && prev.type === "component" && prev.cid === next.cid;
    return { wire: same ? undefined : next.cid, value: next };
  }
  if (next.stream !== undefined) return diffStream(prev, next, next.stream, ctx);
  if (next.entries.length === 0) {
    return { wire: prev === "" || isEmptyComprehension(prev) ? undefined : "", value: next };
  }
  if (
    typeof prev !== "string" &&
    prev.type === "comprehension" &&
    prev.entries.length > 0 &&
    sameStatics(prev, next)
  ) {
    return diffComprehension(prev, next, ctx);
  }
  return { wire: fullComprehension(next, ctx), value: prunedComprehension(next) };
}

/**
 * A loop over a stream: the client still has its statics when the previous render of the slot
 * was the same loop (kept without items), so only the new items and the operations go.
 */
function diffStream(
  prev: Dynamic,
  next: Comprehension,
  patch: StreamPatch,
  ctx: WireContext,
): Step<WireValue, Dynamic> {
  const value = prunedComprehension(next);
  if (
    typeof prev === "string" ||
    prev.type !== "comprehension" ||
    prev.entries.length > 0 ||
    !sameStatics(prev, next)
  ) {
    return { wire: fullComprehension(next, ctx), value };
  }
  if (!hasStreamWork(next, patch)) return { wire: undefined, value };
  const keyed: WireRendered = {};
  const { entries } = next;
  for (let i = 0; i < entries.length; i++) {
    keyed[i] = fullEntry((entries[i] as ComprehensionEntry).dynamics, ctx);
  }
  keyed.kc = entries.length;
  return { wire: { k: keyed, stream: wireStream(patch) }, value };
}

function isEmptyComprehension(value: Dynamic): boolean {
  return typeof value !== "string" && value.type === "comprehension" && value.entries.length === 0;
}

function diffComprehension(
  prev: Comprehension,
  next: Comprehension,
  ctx: WireContext,
): Step<WireRendered, Comprehension> {
  const edits = next.edits;
  if (edits !== undefined) {
    if (edits.base === prev) return diffEdits(next, edits, ctx);
    // Edited in place from another comprehension than the one shown: if the array is the one
    // shown too, nothing says what the client lacks, so the loop goes whole.
    if (next.entries === prev.entries)
      return { wire: fullComprehension(next, ctx) as WireRendered, value: next };
  }
  // The common case (rows edited in place) keeps every key at its index: no maps needed. The
  // maps are built at the first entry whose key differs from the old one at its index; every
  // entry before it matches index i whichever way entries are matched.
  const { entries } = next;
  const prevEntries = prev.entries;
  let aligned = prevEntries.length === entries.length;
  let oldIndex = aligned ? undefined : keyIndex(prevEntries);
  let byKey = oldIndex !== undefined && hasUniqueKeys(entries);
  const keyed: WireRendered = {};
  let changed = false;
  let moved = false;
  let resolved: ComprehensionEntry[] | undefined;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as ComprehensionEntry;
    if (aligned) {
      // Same entry object at the same index: unchanged, whatever its key (see below).
      if (prevEntries[i] === entry) continue;
      const key = entry.key;
      if (key === undefined || key !== (prevEntries[i] as ComprehensionEntry).key) {
        aligned = false;
        oldIndex = keyIndex(prevEntries);
        byKey = oldIndex !== undefined && hasUniqueKeys(entries);
      }
    }
    const from = aligned
      ? i
      : byKey
        ? (oldIndex as Map<string, number>).get(entry.key as string)
        : i < prevEntries.length
          ? i
          : undefined;
    if (from === undefined) {
      keyed[i] = fullEntry(entry.dynamics, ctx);
      const kept = prunedEntry(entry);
      if (kept !== entry) (resolved ??= entries.slice())[i] = kept;
      changed = true;
      continue;
    }
    let before = prevEntries[from] as ComprehensionEntry;
    // An html`` row with the same inputs as the row the client has renders the same: keep the
    // previous row (the kept tree then changes only where the page did).
    if (before !== entry && before.key === entry.key && sameInputs(before, entry)) {
      (resolved ??= entries.slice())[i] = before;
      before = entry;
    }
    // Row reuse in the template compiler hands back the very same entry for an unchanged row;
    // skipping it here saves a step allocation per row of a large, mostly unchanged list.
    if (before === entry) {
      if (from !== i) {
        keyed[i] = from;
        moved = true;
        changed = true;
      }
      continue;
    }
    const step = diffEntry(before.dynamics, entry, ctx);
    if (step.value !== entry) (resolved ??= entries.slice())[i] = step.value;
    if (from !== i) {
      keyed[i] = step.wire === undefined ? from : [from, step.wire];
      moved = true;
      changed = true;
    } else if (step.wire !== undefined) {
      keyed[i] = step.wire;
      changed = true;
    }
  }
  const value = resolved === undefined ? next : withEntries(next, resolved);
  if (!changed && entries.length === prev.entries.length) return { wire: undefined, value };
  keyed.kc = entries.length;
  if (moved) keyed.km = true;
  return { wire: { k: keyed }, value };
}

/**
 * A comprehension that a loop made from `prev` by re-rendering the entries at `edits.at` in
 * place: only those are compared (with the entries `prev` had there), whatever the list's length.
 */
function diffEdits(
  next: Comprehension,
  edits: ComprehensionEdits,
  ctx: WireContext,
): Step<WireRendered, Comprehension> {
  const { entries } = next;
  const keyed: WireRendered = {};
  let changed = false;
  let resolved: ComprehensionEntry[] | undefined;
  for (let j = 0; j < edits.at.length; j++) {
    const i = edits.at[j] as number;
    const entry = entries[i] as ComprehensionEntry;
    const step = diffEntry((edits.was[j] as ComprehensionEntry).dynamics, entry, ctx);
    // The loop shares the array with its memo: a resolved entry goes into a copy.
    if (step.value !== entry) (resolved ??= entries.slice())[i] = step.value;
    if (step.wire !== undefined) {
      keyed[i] = step.wire;
      changed = true;
    }
  }
  const value = resolved === undefined ? next : { ...next, entries: resolved, edits: undefined };
  if (!changed) return { wire: undefined, value };
  keyed.kc = entries.length;
  return { wire: { k: keyed }, value };
}

function diffEntry(
  prev: readonly Dynamic[],
  next: ComprehensionEntry,
  ctx: WireContext,
): Step<WireRendered, ComprehensionEntry> {
  // Row reuse in the template compiler hands back the very same array for an unchanged row.
  if (prev === next.dynamics) return { wire: undefined, value: next };
  let out: WireRendered | undefined;
  let resolved: Dynamic[] | undefined;
  const { dynamics } = next;
  for (let i = 0; i < dynamics.length; i++) {
    const slot = evaluated(dynamics[i]);
    const step = diffDynamic(evaluated(prev[i]), slot, ctx);
    if (step.wire !== undefined) (out ??= {})[i] = step.wire;
    if (step.value !== slot) (resolved ??= dynamics.slice())[i] = step.value;
  }
  return { wire: out, value: resolved === undefined ? next : entryWith(next, resolved) };
}

// ---------------------------------------------------------------------------------------------
// Stream items are sent once and never kept: a tree sent in full is kept without them. Copy on
// write, so a tree without streams is kept as it is.

const NO_ENTRIES: readonly ComprehensionEntry[] = Object.freeze([]);

function prunedDynamic(value: Dynamic): Dynamic {
  if (typeof value === "string" || value.type === "component") return value;
  return value.type === "rendered" ? prunedRendered(value) : prunedComprehension(value);
}

function prunedRendered(node: Rendered): Rendered {
  // Inputs are primitives: no nested tree, so no stream.
  if (node.inputs !== undefined) return node;
  let out: Slot[] | undefined;
  const { dynamics } = node;
  for (let i = 0; i < dynamics.length; i++) {
    const slot = dynamics[i] as Slot;
    if (slot === UNCHANGED || typeof slot === "string") continue;
    const kept = prunedDynamic(slot);
    if (kept !== slot) (out ??= dynamics.slice())[i] = kept;
  }
  return out === undefined ? node : withDynamics(node, out);
}

function prunedComprehension(node: Comprehension): Comprehension {
  if (node.stream !== undefined) {
    return {
      type: "comprehension",
      statics: node.statics,
      fingerprint: node.fingerprint,
      entries: NO_ENTRIES,
      streamRef: node.stream.ref,
    };
  }
  let out: ComprehensionEntry[] | undefined;
  const { entries } = node;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as ComprehensionEntry;
    const kept = prunedEntry(entry);
    if (kept !== entry) (out ??= entries.slice())[i] = kept;
  }
  return out === undefined ? node : withEntries(node, out);
}

function prunedEntry(entry: ComprehensionEntry): ComprehensionEntry {
  if (entry.inputs !== undefined) return entry;
  let out: Dynamic[] | undefined;
  const { dynamics } = entry;
  for (let i = 0; i < dynamics.length; i++) {
    const slot = dynamics[i] as Dynamic;
    if (typeof slot === "string") continue;
    const kept = prunedDynamic(slot);
    if (kept !== slot) (out ??= dynamics.slice())[i] = kept;
  }
  return out === undefined ? entry : entryWith(entry, out);
}

// Copies with other dynamics or entries. Spelled out rather than spread: a node may be a class
// instance whose `dynamics` is a getter, and its `inputs` no longer describe the new dynamics.

function withDynamics(node: Rendered, dynamics: readonly Slot[]): Rendered {
  return { type: "rendered", statics: node.statics, fingerprint: node.fingerprint, dynamics };
}

function entryWith(entry: ComprehensionEntry, dynamics: readonly Dynamic[]): ComprehensionEntry {
  return entry.key === undefined ? { dynamics } : { key: entry.key, dynamics };
}

function withEntries(node: Comprehension, entries: readonly ComprehensionEntry[]): Comprehension {
  return { ...node, entries };
}

// Old index of every key, or undefined when the list cannot be matched by key (an entry without
// a key, or a duplicate key, which would make a move ambiguous).
function keyIndex(entries: readonly ComprehensionEntry[]): Map<string, number> | undefined {
  const index = new Map<string, number>();
  for (let i = 0; i < entries.length; i++) {
    const key = (entries[i] as ComprehensionEntry).key;
    if (key === undefined || index.has(key)) return undefined;
    index.set(key, i);
  }
  return index;
}

function hasUniqueKeys(entries: readonly ComprehensionEntry[]): boolean {
  return keyIndex(entries) !== undefined;
}

// ---------------------------------------------------------------------------------------------
// Statics sharing (`p`)

interface StaticsGroup {
  readonly statics: readonly string[];
  readonly fingerprint: number;
  readonly users: WireRendered[];
}

/** The statics of one payload's nodes, grouped by content. */
class StaticsGroups {
  readonly byIdentity = new Map<readonly string[], StaticsGroup>();
  readonly byFingerprint = new Map<number, StaticsGroup[]>();
  readonly all: StaticsGroup[] = [];
}

/**
 * Collects every node of one payload that carries statics. Each node gets its statics inline
 * right away (so `s` is the first key, which keeps payloads readable); {@link finish} then turns
 * the ones repeated often enough into references to a top-level `p` table.
 */
class WireContext {
  // Made at the first node sent with statics: most event diffs send none.
  private groups: StaticsGroups | undefined;

  constructor(private readonly share: boolean) {}

  statics(out: WireRendered, node: Rendered | Comprehension): void {
    out.s = node.statics;
    if (!this.share) return;
    const groups = (this.groups ??= new StaticsGroups());
    let group = groups.byIdentity.get(node.statics);
    if (group === undefined) {
      // Equal statics from different arrays (e.g. two compiled copies of one include) still
      // share one entry; the fingerprint narrows the search, sameStatics guards collisions.
      const bucket = groups.byFingerprint.get(node.fingerprint);
      group = bucket?.find((g) => sameStatics(g, node));
      if (group === undefined) {
        group = { statics: node.statics, fingerprint: node.fingerprint, users: [] };
        groups.all.push(group);
        if (bucket === undefined) groups.byFingerprint.set(node.fingerprint, [group]);
        else bucket.push(group);
      }
      groups.byIdentity.set(node.statics, group);
    }
    group.users.push(out);
  }

  /** `keep`: a node whose statics stay inline (a component's root). */
  finish(root: WireRendered, keep?: WireRendered): void {
    if (this.groups === undefined) return;
    let table: WireRendered | undefined;
    let next = 0;
    for (const group of this.groups.all) {
      const uses = group.users.length;
      if (uses < 2) continue;
      // Bytes of JSON: inline costs the statics once per use; shared costs them once plus the
      // `"id":` table key, a comma and the id at each use.
      const size = JSON.stringify(group.statics).length;
      const id = String(next);
      const sharedCost = size + id.length + 4 + uses * id.length;
      if (sharedCost >= uses * size) continue;
      (table ??= {})[id] = group.statics;
      for (const user of group.users) if (user !== keep) user.s = next;
      next++;
    }
    if (table !== undefined) root.p = table;
  }
}
