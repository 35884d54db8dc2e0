/**
 * What counts as a view's state, and change detection after each handler run.
 *
 * The tracker keeps the snapshot encoding of every public field from the last check. After a
 * handler, each field is compared with it by {@link matchesSnapshot}, which walks the live value
 * without allocating, so in-place mutation (`this.items.push(x)`) is caught, and an equal
 * value assigned again is not a change. Only changed fields are re-encoded.
 * @module
 */
import {
  fromSnapshot,
  matchesSnapshot,
  toSnapshot,
  toWire,
  type SerializationPolicy,
  type SnapshotValue,
} from "./codec.js";
import type { JsonObject } from "./serializable.js";

/**
 * The names of `view`'s public state: own enumerable string keys that do not start with `_`
 * and do not hold a function (arrow-function properties are behaviour, not data).
 */
export function stateKeys(view: object): string[] {
  const keys: string[] = [];
  for (const key of Object.keys(view)) {
    if (key.startsWith("_")) continue;
    if (typeof (view as Record<string, unknown>)[key] === "function") continue;
    keys.push(key);
  }
  return keys;
}

/** A view's public state in snapshot encoding, by field. */
export type StateSnapshot = Record<string, SnapshotValue>;

/** The key lists handed out by {@link internKeys}, one per prototype. */
const sharedKeys = new WeakMap<object, readonly string[]>();

/**
 * Every instance of a view class normally has the same state keys in the same order; handing
 * out one array per class instead of one per instance keeps an idle view's tracker small.
 */
function internKeys(view: object, keys: readonly string[]): readonly string[] {
  const proto: unknown = Object.getPrototypeOf(view);
  if (typeof proto !== "object" || proto === null) return keys;
  const shared = sharedKeys.get(proto);
  if (shared && sameKeys(shared, keys)) return shared;
  // An exact-size copy: `keys` was built by push and has spare capacity.
  const exact = keys.slice();
  sharedKeys.set(proto, exact);
  return exact;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const NO_KEYS: readonly string[] = [];

/**
 * Tracks one view instance's public state between handler runs.
 *
 * The baseline is two parallel arrays rather than a `Map`: the key array is shared by every
 * instance of the class (see {@link internKeys}) and a small array costs a fraction of a `Map`'s
 * hash table, which matters because every connected view holds a tracker for its whole life.
 */
export class StateTracker {
  #keys: readonly string[] = NO_KEYS;
  #values: SnapshotValue[] = [];

  constructor(readonly policy: SerializationPolicy) {}

  /** Records the current state as the baseline (after `mount` or a restore). */
  reset(view: object): void {
    const keys = stateKeys(view);
    // `map` sizes the array exactly; growing it by `push` would reserve room for 17 entries.
    this.#values = keys.map((key) => toSnapshot(read(view, key), key, this.policy));
    this.#keys = internKeys(view, keys);
  }

  /**
   * The fields that changed since the last call (or {@link reset}), including deleted ones, and
   * makes the current state the new baseline.
   * @throws TypeError in strict mode when a changed field holds a non-serializable value.
   */
  changes(view: object): string[] {
    const keys = stateKeys(view);
    let removed: string[] | undefined;
    if (!sameKeys(keys, this.#keys)) removed = this.#relayout(view, keys);
    const values = this.#values;
    const changed: string[] = [];
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const value = read(view, key);
      const previous = values[i];
      if (previous !== undefined && matchesSnapshot(value, previous)) continue;
      values[i] = toSnapshot(value, key, this.policy, previous);
      changed.push(key);
    }
    if (removed) changed.push(...removed);
    return changed;
  }

  /**
   * Re-aligns the baseline with a new key layout (a field added, deleted or re-created out of
   * order) and returns the fields that are gone. New fields get no baseline value, so the loop
   * in {@link changes} reports them.
   */
  #relayout(view: object, keys: readonly string[]): string[] {
    const previous = new Map<string, SnapshotValue>();
    this.#keys.forEach((key, i) => previous.set(key, this.#values[i] as SnapshotValue));
    const values: SnapshotValue[] = new Array<SnapshotValue>(keys.length);
    keys.forEach((key, i) => {
      const value = previous.get(key);
      if (value !== undefined) values[i] = value;
      previous.delete(key);
    });
    this.#keys = internKeys(view, keys);
    this.#values = values;
    return [...previous.keys()];
  }

  /** The state as of the last check, for a state backend. */
  snapshot(): StateSnapshot {
    // fromEntries defines own properties, so even a field named `__proto__` stays data.
    return Object.fromEntries(this.#keys.map((key, i) => [key, this.#values[i]])) as StateSnapshot;
  }
}

function read(view: object, key: string): unknown {
  return (view as Record<string, unknown>)[key];
}

/** Wire JSON of the given fields (`null` for a field that is gone or `undefined`). */
export function wireState(
  view: object,
  fields: Iterable<string>,
  policy: SerializationPolicy,
): JsonObject {
  const out: JsonObject = {};
  for (const field of fields) {
    const value = read(view, field);
    out[field] = value === undefined ? null : toWire(value, field, policy);
  }
  return out;
}

/** Encodes every public field of `view` as a snapshot. */
export function snapshotState(view: object, policy: SerializationPolicy): StateSnapshot {
  const out: StateSnapshot = {};
  for (const key of stateKeys(view)) out[key] = toSnapshot(read(view, key), key, policy);
  return out;
}

/** Assigns every field of `snapshot` onto `view`, decoded to live values. */
export function restoreState(view: object, snapshot: StateSnapshot): void {
  for (const key of Object.keys(snapshot)) {
    if (key.startsWith("_") || key === "__proto__") continue;
    (view as Record<string, unknown>)[key] = fromSnapshot(snapshot[key] as SnapshotValue);
  }
}
