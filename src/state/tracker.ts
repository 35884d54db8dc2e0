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

/** Tracks one view instance's public state between handler runs. */
export class StateTracker {
  #encoded = new Map<string, SnapshotValue>();

  constructor(readonly policy: SerializationPolicy) {}

  /** Records the current state as the baseline (after `mount` or a restore). */
  reset(view: object): void {
    this.#encoded = new Map();
    for (const key of stateKeys(view)) {
      this.#encoded.set(key, toSnapshot(read(view, key), key, this.policy));
    }
  }

  /**
   * The fields that changed since the last call (or {@link reset}), including deleted ones, and
   * makes the current state the new baseline.
   * @throws TypeError in strict mode when a changed field holds a non-serializable value.
   */
  changes(view: object): string[] {
    const changed: string[] = [];
    const seen = new Set<string>();
    for (const key of stateKeys(view)) {
      seen.add(key);
      const value = read(view, key);
      const previous = this.#encoded.get(key);
      if (previous !== undefined && matchesSnapshot(value, previous)) continue;
      this.#encoded.set(key, toSnapshot(value, key, this.policy, previous));
      changed.push(key);
    }
    for (const key of this.#encoded.keys()) {
      if (!seen.has(key)) {
        this.#encoded.delete(key);
        changed.push(key);
      }
    }
    return changed;
  }

  /** The state as of the last check, for a state backend. */
  snapshot(): StateSnapshot {
    return Object.fromEntries(this.#encoded);
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
