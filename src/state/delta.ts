/**
 * Deltas of a state field: the edits that bring a field's stored snapshot encoding up to date
 * after an event, so that what is written after an event is proportional to what changed (a
 * one-row change of a 1,000-row table stores one row's edit, not the table).
 *
 * The write tracking (`watch.ts`) knows which containers a handler wrote and where they sit in
 * the field; it turns each write into an edit of the container at that path, with the new value
 * in snapshot encoding. State backends keep a field's edits in order after its last full
 * encoding and apply them when the record is read ({@link applyDeltas}), so a restore gets
 * exactly the state the view had.
 *
 * An edit addresses the container (plain object or array) at `path` inside the field; a path
 * goes into a map's or set's encoding by the index of an entry (`[i]`, the `i`-th value in the
 * order the encoding lists them), and a path ending in `[]` addresses the list of entries of a
 * map or set itself (a map's `[key, value]` pairs, a set's members), which `s` and `p` edit as
 * an array's items (a handler's `set`, `delete`, `add` or `clear`):
 * - `["s", path, key, value]` sets `key` to `value` (snapshot encoding);
 * - `["d", path, key]` deletes `key`;
 * - `["l", path, length]` sets the array's length;
 * - `["p", path, start, deleteCount, items]` splices the array.
 * @module
 */
import type { JsonObject, JsonValue } from "./serializable.js";
import { TYPE_TAG, type SnapshotValue } from "./codec.js";

/**
 * Keys from the field down to a container: array indices, object keys, map and set entries,
 * and last, a map's or set's list of entries.
 */
export type DeltaPath = readonly (string | number | EntryKey | EntryList)[];

/** The `i`-th entry of a map or set, as a path step into it: `[i]`. */
export type EntryKey = readonly [number];

/** The last step of a path to a map's or set's list of entries: `[]`. */
export type EntryList = readonly [];

/** One edit of a container inside a field's snapshot encoding. */
export type DeltaOp =
  | readonly ["s", DeltaPath, string | number, SnapshotValue]
  | readonly ["d", DeltaPath, string | number]
  | readonly ["l", DeltaPath, number]
  | readonly ["p", DeltaPath, number, number, readonly SnapshotValue[]];

/** A stored delta that does not apply to its field (the record is unusable). */
export class DeltaError extends Error {
  override readonly name = "DeltaError";
}

/**
 * The field's encoding `base` with the edits of `deltas` applied in order (each a JSON text of
 * a {@link DeltaOp} array, as stored). `base` is changed in place where possible.
 * @throws DeltaError when an edit is malformed or addresses something that is not there.
 */
export function applyDeltas(base: SnapshotValue, deltas: Iterable<string>): SnapshotValue {
  let value = base;
  for (const text of deltas) {
    let ops: unknown;
    try {
      ops = JSON.parse(text);
    } catch {
      throw new DeltaError("delta: not JSON");
    }
    if (!Array.isArray(ops)) throw new DeltaError("delta: not a list of edits");
    for (const op of ops) value = applyOp(value, op);
  }
  return value;
}

/** Applies one edit (from outside the process: every part is checked). */
function applyOp(root: SnapshotValue, op: unknown): SnapshotValue {
  if (!Array.isArray(op) || !Array.isArray(op[1])) throw new DeltaError("delta: malformed edit");
  return edit(root, op[1] as unknown[], 0, op as unknown[]);
}

/** The plain object an object encoding holds, whether tagged (`$type: "Object"`) or not. */
function containerOf(value: SnapshotValue): JsonValue[] | JsonObject {
  if (Array.isArray(value)) return value;
  if (typeof value !== "object" || value === null) {
    throw new DeltaError("delta: path leads into a primitive");
  }
  if (!Object.hasOwn(value, TYPE_TAG)) return value;
  const inner = value.value;
  if (value.$type !== "Object" || typeof inner !== "object" || inner === null) {
    throw new DeltaError("delta: path leads into a tagged value");
  }
  if (Array.isArray(inner)) throw new DeltaError("delta: malformed Object tag");
  return inner;
}

function isIndex(key: unknown, below: number): key is number {
  return typeof key === "number" && Number.isInteger(key) && key >= 0 && key < below;
}

/** `value` with the edit applied at `path[at…]`; the same object unless its tag changes. */
function edit(value: SnapshotValue, path: unknown[], at: number, op: unknown[]): SnapshotValue {
  if (at < path.length && Array.isArray(path[at])) {
    if ((path[at] as unknown[]).length > 0) return editEntry(value, path, at, op);
    if (at !== path.length - 1) throw new DeltaError("delta: path goes on past a list of entries");
    editEntries(value, op);
    return value;
  }
  const box = containerOf(value);
  if (at < path.length) {
    const key = path[at];
    let child: SnapshotValue;
    if (Array.isArray(box)) {
      if (!isIndex(key, box.length)) throw new DeltaError("delta: no such index");
      child = box[key] as SnapshotValue;
    } else {
      if (typeof key !== "string" || !Object.hasOwn(box, key)) {
        throw new DeltaError("delta: no such key");
      }
      child = box[key] as SnapshotValue;
    }
    const next = edit(child, path, at + 1, op);
    if (next !== child) setOwn(box, key as string | number, next);
    return value;
  }
  if (Array.isArray(box)) {
    editArray(box, op);
    return value;
  }
  editObject(box, op);
  // An object with a `$type` key of its own is encoded tagged; keep the tag in line.
  const tagged = box !== value;
  const hasType = Object.hasOwn(box, TYPE_TAG);
  if (tagged && !hasType) return box;
  if (!tagged && hasType) return { $type: "Object", value: box };
  return value;
}

/** Goes on into the value of entry `path[at]` of the map or set encoded as `value`. */
function editEntry(
  value: SnapshotValue,
  path: unknown[],
  at: number,
  op: unknown[],
): SnapshotValue {
  const step = path[at] as unknown[];
  const { tag, entries } = entriesOf(value);
  const i = step[0];
  if (step.length !== 1 || !isIndex(i, entries.length))
    throw new DeltaError("delta: no such entry");
  // A map lists `[key, value]` pairs; a set its members.
  const holder: JsonValue[] = tag === "Map" ? (entries[i] as JsonValue[]) : entries;
  const slot = tag === "Map" ? 1 : i;
  if (!Array.isArray(holder) || holder.length <= slot) throw new DeltaError("delta: no such entry");
  const child = holder[slot] as SnapshotValue;
  const next = edit(child, path, at + 1, op);
  if (next !== child) setOwn(holder, slot, next);
  return value;
}

/** The tag (`Map` or `Set`) and list of entries of the map or set encoded as `value`. */
function entriesOf(value: SnapshotValue): { tag: "Map" | "Set"; entries: JsonValue[] } {
  const tag = typeof value === "object" && value !== null && !Array.isArray(value) && value.$type;
  const entries = tag === "Map" || tag === "Set" ? (value as JsonObject).value : undefined;
  if (!Array.isArray(entries)) throw new DeltaError("delta: entry of something not a map or set");
  return { tag: tag as "Map" | "Set", entries };
}

/**
 * Edits the list of entries of the map or set encoded as `value` as an array; what goes into a
 * map's list must be `[key, value]` pairs of a string key (the only maps encoded as maps).
 */
function editEntries(value: SnapshotValue, op: unknown[]): void {
  const { tag, entries } = entriesOf(value);
  // No holes in a list of entries: no `d`, and no `l` (which could lengthen it).
  if (op[0] !== "s" && op[0] !== "p") {
    throw new DeltaError("delta: a list of entries takes splices and sets");
  }
  if (op[0] === "s" && !isIndex(op[2], entries.length))
    throw new DeltaError("delta: no such entry");
  const added = op[0] === "s" ? [op[3]] : op[0] === "p" && Array.isArray(op[4]) ? op[4] : [];
  if (tag === "Map" && !added.every(isMapEntry)) throw new DeltaError("delta: malformed map entry");
  editArray(entries, op);
}

function isMapEntry(entry: unknown): boolean {
  return Array.isArray(entry) && entry.length === 2 && typeof entry[0] === "string";
}

function editArray(box: JsonValue[], op: unknown[]): void {
  switch (op[0]) {
    case "s":
      if (!isIndex(op[2], box.length + 1)) throw new DeltaError("delta: no such index");
      box[op[2]] = (op[3] ?? null) as JsonValue;
      return;
    case "d":
      if (!isIndex(op[2], box.length)) throw new DeltaError("delta: no such index");
      delete box[op[2]];
      return;
    case "l":
      if (!isIndex(op[2], 2 ** 32)) throw new DeltaError("delta: bad length");
      box.length = op[2];
      return;
    case "p": {
      const items = op[4];
      if (!isIndex(op[2], box.length + 1) || !isIndex(op[3], box.length - op[2] + 1)) {
        throw new DeltaError("delta: bad splice");
      }
      if (!Array.isArray(items)) throw new DeltaError("delta: bad splice");
      splice(box, op[2], op[3], items as JsonValue[]);
      return;
    }
    default:
      throw new DeltaError("delta: unknown edit");
  }
}

/**
 * `box.splice(start, deleteCount, ...items)` for any number of items: spread into a call, some
 * 125,000 of them overflow the stack.
 */
function splice(box: JsonValue[], start: number, deleteCount: number, items: JsonValue[]): void {
  if (items.length <= SPREAD_ITEMS) {
    box.splice(start, deleteCount, ...items);
    return;
  }
  const tail = box.splice(start + deleteCount);
  box.length = start;
  for (const item of items) box.push(item);
  for (const item of tail) box.push(item);
}

/** Items a splice takes as arguments; more go in one by one. */
const SPREAD_ITEMS = 1024;

function editObject(box: JsonObject, op: unknown[]): void {
  const key = op[2];
  if (typeof key !== "string") throw new DeltaError("delta: object keys are strings");
  switch (op[0]) {
    case "s":
      setOwn(box, key, (op[3] ?? null) as JsonValue);
      return;
    case "d":
      delete box[key];
      return;
    default:
      throw new DeltaError("delta: unknown edit");
  }
}

/** Sets `key` as an own data property: a `"__proto__"` key stays data, never a prototype. */
function setOwn(box: JsonValue[] | JsonObject, key: string | number, value: JsonValue): void {
  Object.defineProperty(box, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * The items of an array field that `ops` (one step's edits of the field) change in place: the
 * indexes of items set whole or edited inside. `undefined` when an edit changes the array itself
 * (length, splice, delete, a key that is not an index) or `ops` is `null` (the field was
 * replaced or its edits are unknown).
 */
export function editedItems(ops: readonly DeltaOp[] | null | undefined): number[] | undefined {
  if (ops === null || ops === undefined) return undefined;
  const rows: number[] = [];
  for (const op of ops) {
    const first = op[1][0];
    if (op[1].length > 0) {
      if (typeof first !== "number") return undefined;
      rows.push(first);
    } else if (op[0] === "s" && typeof op[2] === "number") rows.push(op[2]);
    else return undefined;
  }
  return rows;
}

/**
 * Adds to `into` the objects of the live value `root` that `ops` (its field's edits of one step)
 * went through, edited or put in place, from `root` down, with all a value written whole or
 * spliced in holds (it may have been edited, then moved); `false` when that is not known: the
 * field was replaced or its edits are unknown (`null`), a path goes into a map or set, or to
 * nothing, or an array was spliced twice (the first splice's items are no longer where it put
 * them). The write tracking addresses each edit by where its container is once the step is
 * over, so the paths lead through `root` as it is now.
 */
export function editedContainers(
  root: unknown,
  ops: readonly DeltaOp[] | null | undefined,
  into: Set<object>,
): boolean {
  if (ops === null || ops === undefined) return false;
  const container = (value: unknown): value is Record<string | number, unknown> =>
    typeof value === "object" && value !== null && !(value instanceof Map || value instanceof Set);
  const spliced = new Set<string>();
  for (const op of ops) {
    const path = op[1];
    let at: unknown = root;
    for (let i = 0; ; i++) {
      if (!container(at)) return false;
      into.add(at);
      if (i === path.length) break;
      const step = path[i];
      if (typeof step !== "string" && typeof step !== "number") return false;
      at = at[step];
    }
    if (op[0] === "s") {
      // Written whole: it may be one edited in place (a `Date`'s `setTime`), or moved here.
      addAll(at[op[2]], into);
    } else if (op[0] === "p") {
      const where = JSON.stringify(path);
      if (spliced.has(where)) return false;
      spliced.add(where);
      if (!Array.isArray(at)) return false;
      for (const item of at.slice(op[2], op[2] + op[4].length)) addAll(item, into);
    }
  }
  return true;
}

/** Adds `value` and every object it holds to `into`. */
function addAll(value: unknown, into: Set<object>): void {
  eachObjectIn(value, (object) => {
    into.add(object);
    return true;
  });
}

/**
 * Calls `visit` with `value`, if an object, and with every object it holds (map and set entries
 * too), each once, until `visit` returns `false`.
 */
export function eachObjectIn(value: unknown, visit: (object: object) => boolean): void {
  const seen = new Set<object>();
  const walk = (at: unknown): boolean => {
    if (typeof at !== "object" || at === null || seen.has(at)) return true;
    seen.add(at);
    if (!visit(at)) return false;
    for (const item of heldBy(at)) if (!walk(item)) return false;
    return true;
  };
  walk(value);
}

/** What `object` holds: a map's values, a set's members, an object's or array's values. */
export function heldBy(object: object): Iterable<unknown> {
  return object instanceof Map
    ? object.values()
    : object instanceof Set
      ? object
      : Object.values(object);
}

/**
 * Fields whose stored encoding is behind, each with the edits that bring it up to date in order
 * (`null`: store the field whole).
 */
export type FieldEdits = Map<string, DeltaOp[] | null>;

/** Most edits held for one field before it is stored whole instead. */
const MAX_PENDING_EDITS = 1024;

/** Adds a step's change of `field` (its edits, or `null`: whole) to `edits`. */
export function addEdits(edits: FieldEdits, field: string, ops: readonly DeltaOp[] | null): void {
  const before = edits.get(field);
  if (before === null) return;
  if (ops === null || (before?.length ?? 0) + ops.length > MAX_PENDING_EDITS) {
    edits.set(field, null);
  } else if (before === undefined) {
    edits.set(field, [...ops]);
  } else {
    for (const op of ops) before.push(op);
  }
}

/**
 * Adds a step's changes to `edits`: the fields it changed, with the edits the tracker found
 * for them in `deltas` (a changed field without any goes whole), and the edits of fields it
 * did not name.
 */
export function addStep(
  edits: FieldEdits,
  fields: readonly string[],
  deltas: ReadonlyMap<string, readonly DeltaOp[] | null>,
): void {
  for (const field of fields) addEdits(edits, field, deltas.get(field) ?? null);
  for (const [field, ops] of deltas) if (!fields.includes(field)) addEdits(edits, field, ops);
}
