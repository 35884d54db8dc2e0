/**
 * Identity across snapshots: the places of a view's state that hold one object.
 *
 * A snapshot stores values, so an object a view holds at two places (`this.selected =
 * this.rows[3]` in `mount`) would come back from it as two equal copies, which then change
 * separately. Beside the state, a record therefore lists such places in pairs ({@link Alias}),
 * and a restore puts the first place's object at the second one, after checking that both
 * hold equal values. The write tracking (`watch.ts`) knows which objects are shared and where
 * they sit, so listing them costs what the sharing holds, not what the state holds.
 * @module
 */
import {
  isPlainObject,
  matchesSnapshot,
  silentPolicy,
  toSnapshot,
  type SnapshotValue,
} from "./codec.js";
import type { EntryKey } from "./delta.js";

/**
 * A place in a view's state: the field, then the keys down to it (an array's index, a plain
 * object's key, `[i]` for the `i`-th value of a map or set).
 */
export type StatePath = readonly [field: string, ...steps: (string | number | EntryKey)[]];

/** Two places that hold one object: a restore gives the second the first one's object. */
export type Alias = readonly [StatePath, StatePath];

/**
 * Most objects a record keeps shared. A state that shares more (a `Map` indexing the rows of
 * an array shares every row) keeps none: all its sharing comes back as equal copies, as a rule
 * a developer can count on rather than some objects shared and others not.
 */
export const MAX_SHARED = 64;

/** Most places of one shared object a record names; one held at more keeps no sharing either. */
export const MAX_PLACES = 16;

/** Most pairs a record lists (each shared object's first place with each other one). */
export const MAX_ALIASES = MAX_SHARED * (MAX_PLACES - 1);

/** Most steps of a path (the encoding's own depth limit). */
const MAX_STEPS = 64;

/**
 * Gives the second place of each pair in `aliases` the first place's object, in the state
 * `values` holds (field → live value, as just restored; a field's own value is replaced in the
 * map). A pair is skipped, and the rest still applied, when either place is missing or not an
 * object, or when they do not hold equal values: a record is read from outside the process,
 * and a list that no longer fits its state must not change it. Shorter second places go first
 * (a shared container before the objects inside it). A malformed list is ignored whole.
 * Returns the pairs whose places hold one object now.
 */
export function applyAliases(aliases: unknown, values: Map<string, unknown>): Alias[] {
  const applied: Alias[] = [];
  if (!isAliasList(aliases)) return applied;
  const ordered = [...aliases].sort((a, b) => a[1].length - b[1].length);
  // Each object is encoded once and each place's object compared once, so that a list naming
  // one large object again and again costs what the state holds, not that times the list.
  const encodings = new Map<object, SnapshotValue | null>();
  const compared = new Set<object>();
  for (const [from, to] of ordered) {
    const object = resolve(values, from, from.length);
    if (!isObject(object)) continue;
    const field = to[0];
    const last = to[to.length - 1] as StatePath[number];
    let parent: object | undefined;
    if (to.length > 1) {
      const above = resolve(values, to, to.length - 1);
      if (!isObject(above)) continue;
      parent = above;
    }
    const held = parent === undefined ? values.get(field) : step(parent, last);
    if (held === object) applied.push([from, to]);
    if (!isObject(held) || held === object) continue;
    // A set cannot hold the object twice, and a member made equal to another would be lost.
    if (parent instanceof Set && parent.has(object)) continue;
    if (compared.has(held)) continue;
    compared.add(held);
    if (!equal(encodingOf(object, encodings), held)) continue;
    if (parent === undefined) values.set(field, object);
    else put(parent, last, object);
    applied.push([from, to]);
  }
  return applied;
}

/**
 * The links from each object along `path` to the container holding it (`null` and the field
 * for the field's value; a map's or set's values at key `0`), as the write tracking makes them
 * for an object it finds at two places: a state just restored holds no sharing but the pairs
 * {@link applyAliases} made, and linking their paths spares a walk of the whole state.
 */
export function linksAlong(
  values: ReadonlyMap<string, unknown>,
  path: StatePath,
): (readonly [node: object, parent: object | null, key: string | number])[] {
  const links: (readonly [object, object | null, string | number])[] = [];
  const value = values.get(path[0]);
  if (!isObject(value)) return links;
  links.push([value, null, path[0]]);
  let at = value;
  for (let i = 1; i < path.length; i++) {
    const key = path[i] as StatePath[number];
    const next = step(at, key);
    if (!isObject(next)) break;
    links.push([next, at, typeof key === "object" ? 0 : key]);
    at = next;
  }
  return links;
}

/** Whether `value` is an object (not `null`). */
export function isObject(value: unknown): value is object {
  return typeof value === "object" && value !== null;
}

/** Whether `value` is a list of {@link Alias} within the limits (from a stored record). */
function isAliasList(value: unknown): value is readonly Alias[] {
  return (
    Array.isArray(value) &&
    value.length <= MAX_ALIASES &&
    value.every(
      (pair) => Array.isArray(pair) && pair.length === 2 && isPath(pair[0]) && isPath(pair[1]),
    )
  );
}

function isPath(value: unknown): value is StatePath {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_STEPS + 1) return false;
  if (typeof value[0] !== "string") return false;
  for (let i = 1; i < value.length; i++) {
    const s: unknown = value[i];
    if (typeof s === "string") continue;
    if (isIndex(s)) continue;
    if (Array.isArray(s) && s.length === 1 && isIndex(s[0])) continue;
    return false;
  }
  return true;
}

function isIndex(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** What `path`'s first `length` entries lead to in `values`; `undefined` when nothing. */
function resolve(values: ReadonlyMap<string, unknown>, path: StatePath, length: number): unknown {
  let at = values.get(path[0]);
  for (let i = 1; i < length; i++) {
    if (!isObject(at)) return undefined;
    at = step(at, path[i] as StatePath[number]);
  }
  return at;
}

/** What `container` holds under one path step, `undefined` when the step does not fit it. */
function step(container: object, key: StatePath[number]): unknown {
  if (typeof key === "object") {
    if (!(container instanceof Map || container instanceof Set)) return undefined;
    let i = 0;
    for (const value of container.values()) if (i++ === key[0]) return value;
    return undefined;
  }
  if (Array.isArray(container)) {
    return typeof key === "number" && key < container.length
      ? (container[key] as unknown)
      : undefined;
  }
  if (typeof key !== "string" || !isPlainObject(container) || !Object.hasOwn(container, key)) {
    return undefined;
  }
  return (container as Record<string, unknown>)[key];
}

/** Puts `value` where `key` is in `container` (a place {@link step} found). */
function put(container: object, key: StatePath[number], value: object): void {
  if (typeof key !== "object") {
    (container as Record<string | number, unknown>)[key] = value;
    return;
  }
  if (container instanceof Map) {
    let i = 0;
    for (const k of container.keys()) {
      if (i++ !== key[0]) continue;
      container.set(k, value);
      return;
    }
    return;
  }
  // A set keeps its order: its members are put back with the one replaced.
  const set = container as Set<unknown>;
  const members = [...set];
  members[key[0]] = value;
  set.clear();
  for (const member of members) set.add(member);
}

/** `object`'s encoding, `null` when it has none, once per restore. */
function encodingOf(
  object: object,
  encodings: Map<object, SnapshotValue | null>,
): SnapshotValue | null {
  let encoding = encodings.get(object);
  if (encoding === undefined) {
    try {
      encoding = toSnapshot(object, "", silentPolicy);
    } catch {
      encoding = null;
    }
    encodings.set(object, encoding);
  }
  return encoding;
}

/** Whether `held` encodes as `encoding` (an object that does not encode is equal to none). */
function equal(encoding: SnapshotValue | null, held: object): boolean {
  return encoding !== null && matchesSnapshot(held, encoding);
}
