/**
 * What counts as a view's state, and change detection after each handler run.
 *
 * Tracking starts at {@link StateTracker.reset}: each public field of the view becomes an
 * accessor whose value the tracker holds, and what handlers reach through the fields is watched
 * by write-tracking proxies (`watch.ts`). After a handler, {@link StateTracker.changes} looks
 * only at what was written or handed out since the last check, so its cost follows what the
 * handler touched, not the size of the state, and no copy of the state is kept beside it. It
 * still catches in-place mutation anywhere (`this.rows[5].qty++`, `push`, `Map.set`,
 * `Date.setTime`), reports an equal value assigned again as no change, and names the changed
 * top-level fields.
 *
 * Templates, snapshots and `assigns` read the raw values ({@link stateValue}), never proxies.
 * @module
 */
import {
  adoptSnapshot,
  matchesSnapshot,
  silentPolicy,
  toSnapshot,
  toSnapshotAt,
  toWire,
  type SerializationPolicy,
  type SnapshotValue,
} from "./codec.js";
import type { JsonObject } from "./serializable.js";
import type { DeltaOp } from "./delta.js";
import { applyAliases, linksAlong, MAX_PLACES, MAX_SHARED, type Alias } from "./aliases.js";
import {
  ABSENT,
  findSharedNodes,
  toRaw,
  Watch,
  type FieldDeltas,
  type SharedLink,
  type SharedNodes,
} from "./watch.js";

/** The tracker a view's fields belong to (a symbol key: never state). */
const TRACKER = Symbol.for("djust.stateTracker");

interface Tracked {
  [TRACKER]?: StateTracker;
}

function trackerOf(view: object): StateTracker | undefined {
  return (view as Tracked)[TRACKER];
}

/**
 * The names of `view`'s public state: own enumerable string keys that do not start with `_`
 * and do not hold a function (arrow-function properties are behaviour, not data).
 */
export function stateKeys(view: object): string[] {
  const keys: string[] = [];
  for (const key of Object.keys(view)) {
    if (key.startsWith("_")) continue;
    if (typeof stateValue(view, key) === "function") continue;
    keys.push(key);
  }
  return keys;
}

/** The raw value of `view`'s field `key` (never a tracking proxy): what templates read. */
export function stateValue(view: object, key: string): unknown {
  const tracker = trackerOf(view);
  if (tracker) {
    const i = tracker.indexOf(key);
    if (i >= 0) return tracker.valueAt(i);
  }
  return (view as Record<string, unknown>)[key];
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
 * The accessor of field `key` held at `index`: one pair of functions per (index, key) for the
 * whole process, so every instance of a class gets the same property layout.
 */
const accessors = new Map<string, PropertyDescriptor>();
const accessorOf = new WeakMap<object, { readonly index: number; readonly key: string }>();

function accessor(index: number, key: string): PropertyDescriptor {
  const id = `${index}\u0000${key}`;
  let descriptor = accessors.get(id);
  if (!descriptor) {
    const get = function (this: Tracked): unknown {
      const tracker = this[TRACKER];
      return tracker ? tracker.read(index, key) : undefined;
    };
    const set = function (this: Tracked, value: unknown): void {
      this[TRACKER]?.write(index, key, value);
    };
    accessorOf.set(get, { index, key });
    descriptor = { get, set, enumerable: true, configurable: true };
    accessors.set(id, descriptor);
  }
  return descriptor;
}

/**
 * Makes the fields `indexes` names accessors of `view` (each at its index). Turning a data
 * property into an accessor sends a V8 object to dictionary mode (a 256-byte property table
 * per counter view, and slower property access), while a property deleted when it is the last
 * one added, and then added back, keeps the object's fast layout, shared by every instance of
 * the class. So the own properties from the first such field on are taken off from the last
 * and put back in their order, the fields as accessors. Symbol-keyed properties are put back
 * after the others; one added among them (unknowable here) only costs the fast layout, as
 * defining the accessors in place would.
 */
function installAccessors(view: object, indexes: ReadonlyMap<string, number>): void {
  const names = Object.getOwnPropertyNames(view);
  const first = names.findIndex((name) => indexes.has(name));
  const tail: (string | symbol)[] =
    first < 0 ? [] : [...names.slice(first), ...Object.getOwnPropertySymbols(view)];
  const descriptors = tail.map((key) => Object.getOwnPropertyDescriptor(view, key));
  const target = view as Record<string | symbol, unknown>;
  // A non-extensible view could not take back what is deleted: its fields change in place.
  if (
    Object.isExtensible(view) &&
    descriptors.every((descriptor) => descriptor?.configurable === true)
  ) {
    for (let i = tail.length - 1; i >= 0; i--) delete target[tail[i] as string | symbol];
    tail.forEach((key, i) => {
      const index = typeof key === "string" ? indexes.get(key) : undefined;
      const descriptor = index === undefined ? descriptors[i] : accessor(index, key as string);
      Object.defineProperty(view, key, descriptor as PropertyDescriptor);
    });
  }
  // Fields not on the view yet (or kept in place by a property that cannot be removed).
  for (const [key, index] of indexes) {
    const descriptor = accessor(index, key);
    if (Object.getOwnPropertyDescriptor(view, key)?.get !== descriptor.get) {
      Object.defineProperty(view, key, descriptor);
    }
  }
}

/** Where `view`'s own property `key` lives now: in the tracker (its index) or on the view. */
function ownSlot(view: object, key: string): { index: number } | { value: unknown } | undefined {
  const descriptor = Object.getOwnPropertyDescriptor(view, key);
  if (!descriptor) return undefined;
  if (descriptor.get) {
    const ours = accessorOf.get(descriptor.get);
    if (ours && ours.key === key) return { index: ours.index };
    return { value: (view as Record<string, unknown>)[key] };
  }
  return { value: descriptor.value as unknown };
}

/** Options of a {@link StateTracker}. */
export interface TrackerOptions {
  /**
   * Also keep a full snapshot and compare it after every check, warning about (and reporting)
   * any change the write tracking did not see: a mutation made through a reference that does
   * not go through the view's fields. Costs what the old full comparison cost; for `debug`.
   */
  readonly verify?: boolean;
  /**
   * `"compare"`: no accessors or proxies; the baseline is an encoding of every field, compared
   * in full after the handler. Cheaper for a view that lives for one call (the HTTP API), whose
   * state is mounted just before and dropped just after.
   */
  readonly mode?: "watch" | "compare";
  /**
   * Also record, for every changed field, the edits that bring its last snapshot up to date
   * ({@link StateTracker.takeDeltas}), for incremental snapshot writes.
   */
  readonly deltas?: boolean;
  /** Also keep the objects each check found written or changed ({@link StateTracker.edited}). */
  readonly edited?: boolean;
}

/**
 * Tracks one view instance's public state between handler runs.
 *
 * It holds the fields' values (the view's own properties become accessors to them), the key
 * list shared by every instance of the class, and, only while a step has touched something,
 * the write log. An idle view costs one array of references beyond the state itself.
 */
export class StateTracker {
  #keys: readonly string[] = NO_KEYS;
  #values: unknown[] = [];
  #watch?: Watch;
  #view?: object;
  #shadow?: StateSnapshot;
  readonly #verify: boolean;
  readonly #compare: boolean;
  readonly #keepDeltas: boolean;
  /** The edits found since the last {@link takeDeltas}; `"lost"` after a failed check. */
  #deltas?: FieldDeltas | "lost";
  /**
   * The list {@link aliases} last gave for this tracked view, as JSON text; `undefined` until
   * then (after {@link reset}), when any list counts as a change.
   */
  #sharingText?: string;
  /** A check found writes or reads since {@link sharingChanged} last looked. */
  #stepped = false;
  /** A check failed (strict mode refused a value): the next one reports every field. */
  #recheck = false;
  readonly #keepEdited: boolean;
  #edited: ReadonlySet<object> = NO_OBJECTS;

  constructor(
    readonly policy: SerializationPolicy,
    options: TrackerOptions = {},
  ) {
    this.#verify = options.verify === true;
    this.#compare = options.mode === "compare";
    this.#keepDeltas = options.deltas === true && !this.#compare;
    this.#keepEdited = options.edited === true && !this.#compare;
  }

  /**
   * The objects the step before the last {@link changes} wrote or changed: edited in place,
   * an item put in or taken out, even an equal value put where one was (only with the `edited`
   * option; none when no write was seen).
   */
  get edited(): ReadonlySet<object> {
    return this.#edited;
  }

  #watchOf(): Watch {
    return (this.#watch ??= new Watch(this.#keepDeltas));
  }

  /** Each field's raw value, by name. */
  #current(): Map<string, unknown> {
    const current = new Map<string, unknown>();
    this.#keys.forEach((key, i) => current.set(key, this.#values[i]));
    return current;
  }

  /** The index of field `key`, or -1. */
  indexOf(key: string): number {
    return this.#keys.indexOf(key);
  }

  /** The raw value held at `index`. */
  valueAt(index: number): unknown {
    return this.#values[index];
  }

  /** A field read by view code: plain objects and arrays come back as tracking proxies. */
  read(index: number, key: string): unknown {
    const value = this.#values[index];
    if (typeof value !== "object" || value === null) return value;
    return this.#watchOf().handOutRoot(key, value);
  }

  /** A field written by view code. */
  write(index: number, key: string, value: unknown): void {
    const raw = toRaw(value);
    const before = this.#values[index];
    if (before === raw) return;
    const watch = this.#watchOf();
    watch.logRoot(key, before);
    this.#values[index] = raw;
    watch.linkRoot(key, raw);
  }

  /**
   * Starts tracking `view` with its current state as the baseline (after `mount` or a restore).
   * `restored`: what {@link restoreState} put on the view, when nothing changed it since; if
   * it holds every field, the sharing it made is all the state holds, and the walk of the
   * whole state that finds sharing otherwise is spared.
   */
  reset(view: object, restored?: Restored): void {
    if (this.#compare) {
      this.#view = view;
      this.#shadow = snapshotState(view, this.policy);
      return;
    }
    const keys: string[] = [];
    const values: unknown[] = [];
    for (const key of Object.keys(view)) {
      if (key.startsWith("_")) continue;
      const value = toRaw(stateValue(view, key));
      if (typeof value === "function") continue;
      keys.push(key);
      values.push(value);
    }
    this.#refuseUnserializable(keys, values);
    this.#bind(view, keys, values);
    // Proxies handed out earlier stay valid: the watch keeps them, only its log is cleared,
    // and the sharing it noted (the sharing found below is noted again).
    this.#watch?.clear();
    this.#watch?.restartShared();
    this.#deltas = undefined;
    this.#sharingText = undefined;
    this.#stepped = false;
    this.#recheck = false;
    // Objects reached along two paths (`this.selected = this.rows[0]` in mount), linked at
    // both.
    const shared =
      restored &&
      this.#keys.every(
        (key, i) => restored.fields.has(key) && restored.fields.get(key) === values[i],
      )
        ? sharingOf(restored)
        : findSharedNodes(this.#keys, values);
    if (shared.links.length > 0 || shared.wide.size > 0) this.#watchOf().linkShared(shared);
    if (this.#verify) this.#shadow = snapshotState(view, silentPolicy);
  }

  /**
   * Strict mode: throws (a TypeError naming the field) when `view`'s state holds a value that
   * is not serializable, as {@link reset} does. For a view that is rendered and never tracked
   * (a dead render), which strict mode must refuse as the live view of the same state.
   */
  refuseUnserializable(view: object): void {
    if (!this.policy.strict) return;
    const keys = stateKeys(view);
    this.#refuseUnserializable(
      keys,
      keys.map((key) => toRaw(stateValue(view, key))),
    );
  }

  #refuseUnserializable(keys: readonly string[], values: readonly unknown[]): void {
    // Strict mode refuses a non-serializable field when tracking starts, as it will refuse one
    // written later (by default the render's wire encoding warns about it).
    if (this.policy.strict) keys.forEach((key, i) => toSnapshot(values[i], key, this.policy));
  }

  /** Makes `keys` accessors of this tracker holding `values`. */
  #bind(view: object, keys: readonly string[], values: unknown[]): void {
    const previous = trackerOf(view);
    // Refused before anything changes: the tracker's own slot could not be added afterwards.
    if (previous !== this && !Object.isExtensible(view)) {
      throw new TypeError(
        `${this.policy.view}: a view must stay extensible to be tracked ` +
          `(Object.preventExtensions, seal or freeze was called on it)`,
      );
    }
    this.#view = view;
    this.#keys = internKeys(view, keys);
    // An exactly sized array (a pushed one reserves room for 17 entries).
    this.#values = values.slice();
    const unbound = new Map<string, number>();
    keys.forEach((key, i) => {
      const descriptor = Object.getOwnPropertyDescriptor(view, key);
      if (descriptor?.get && accessorOf.get(descriptor.get)?.index === i && previous === this) {
        return;
      }
      if (descriptor && !descriptor.configurable) return;
      unbound.set(key, i);
    });
    if (unbound.size > 0) installAccessors(view, unbound);
    if (previous !== this) {
      Object.defineProperty(view, TRACKER, {
        value: this,
        enumerable: false,
        writable: true,
        configurable: true,
      });
    }
  }

  /**
   * The fields that changed since the last call (or {@link reset}), including deleted ones, and
   * makes the current state the new baseline.
   * @throws TypeError in strict mode when a changed field holds a non-serializable value.
   */
  changes(view: object): string[] {
    if (this.#compare) return this.#verified(view, [], false);
    if (trackerOf(view) !== this) {
      // Not tracked yet: everything is new.
      this.reset(view);
      return [...this.#keys];
    }
    const step: FieldDeltas | undefined = this.#keepDeltas ? new Map() : undefined;
    let ok = false;
    try {
      let changed = this.#changed(view, step);
      if (this.#recheck) {
        // What the failed check found is lost with it: every field counts as changed (and
        // is stored whole), once no field holds a value strict mode refuses.
        this.#refuseUnserializable(this.#keys, this.#values);
        this.#recheck = false;
        changed = [...this.#keys];
      }
      if (step) this.#keep(step, changed);
      ok = true;
      return changed;
    } finally {
      if (!ok) {
        this.#recheck = true;
        if (step) this.#deltas = "lost";
      }
    }
  }

  #changed(view: object, step: FieldDeltas | undefined): string[] {
    const removed = this.#reconcile(view);
    const watch = this.#watch;
    let changed: string[] = [];
    this.#edited = NO_OBJECTS;
    if (watch?.pending) {
      this.#stepped = true;
      const edited = this.#keepEdited ? new Set<object>() : undefined;
      try {
        const found = watch.changedFields(
          this.#current(),
          (field, value, path = []) => {
            toSnapshotAt(value, field, path, this.policy);
          },
          step,
          edited,
        );
        if (edited) this.#edited = edited;
        changed = this.#keys.filter((key) => found.has(key));
        for (const key of removed) if (found.has(key)) changed.push(key);
      } finally {
        watch.clear();
      }
    }
    if (this.#verify) changed = this.#verified(view, changed);
    return changed;
  }

  /** Adds a check's edits to those not taken yet; a changed field without edits goes whole. */
  #keep(step: FieldDeltas, changed: readonly string[]): void {
    let kept = this.#deltas;
    if (kept === "lost" || changed.length === 0) return;
    if (kept === undefined) this.#deltas = kept = new Map();
    for (const field of changed) {
      const ops = step.get(field) ?? null;
      const before = kept.get(field);
      if (before === null) continue;
      if (ops === null || before === undefined) kept.set(field, ops);
      else for (const op of ops) before.push(op);
    }
  }

  /**
   * The edits that bring each changed field's snapshot from the last call up to date, in order
   * (only with the `deltas` option): a field changed since but absent, or mapped to `null`,
   * must be stored whole. Starts a new collection.
   */
  takeDeltas(): ReadonlyMap<string, readonly DeltaOp[] | null> {
    const deltas = this.#deltas;
    this.#deltas = undefined;
    return deltas === undefined || deltas === "lost" ? NO_DELTAS : deltas;
  }

  /**
   * Brings the key layout in line with the view's own properties: a field added, deleted, or
   * re-created as a plain property is recorded as a write. Returns the fields that are gone.
   */
  #reconcile(view: object): string[] {
    const keys = this.#keys;
    const own = Object.keys(view);
    let intact = true;
    let i = 0;
    // One entry per own public key, in order (functions included: they are skipped below).
    const slots: ({ index: number } | { value: unknown } | undefined)[] = [];
    for (const key of own) {
      if (key.startsWith("_")) continue;
      const slot = ownSlot(view, key);
      slots.push(slot);
      if (slot && "value" in slot && typeof slot.value === "function") continue;
      if (!slot || !("index" in slot) || slot.index !== i || keys[i] !== key) intact = false;
      i++;
    }
    if (i !== keys.length) intact = false;
    if (intact) return NO_REMOVED;
    const watch = this.#watchOf();
    const nextKeys: string[] = [];
    const nextValues: unknown[] = [];
    let s = 0;
    for (const key of own) {
      if (key.startsWith("_")) continue;
      const slot = slots[s++];
      if (!slot) continue;
      const index = keys.indexOf(key);
      let value: unknown;
      if ("index" in slot) {
        value = this.#values[slot.index];
      } else {
        value = toRaw(slot.value);
        if (typeof value === "function") continue;
        const before = index >= 0 ? this.#values[index] : ABSENT;
        if (before !== value) watch.logRoot(key, before);
      }
      nextKeys.push(key);
      nextValues.push(value);
      watch.linkRoot(key, value);
    }
    const removed: string[] = [];
    keys.forEach((key, i) => {
      if (nextKeys.includes(key)) return;
      watch.logRoot(key, this.#values[i]);
      removed.push(key);
    });
    this.#bind(view, nextKeys, nextValues);
    return removed;
  }

  /** The debug cross-check: a full comparison with the last snapshot. */
  #verified(view: object, changed: string[], warn = true): string[] {
    const shadow = this.#shadow ?? {};
    const keys = stateKeys(view);
    const missed: string[] = [];
    for (const key of keys) {
      if (changed.includes(key)) continue;
      const before = Object.hasOwn(shadow, key) ? shadow[key] : undefined;
      if (before !== undefined && matchesSnapshot(stateValue(view, key), before)) continue;
      missed.push(key);
    }
    for (const key of Object.keys(shadow)) {
      if (!keys.includes(key) && !changed.includes(key)) missed.push(key);
    }
    if (missed.length > 0 && warn) {
      this.policy.logger.warn(
        `${this.policy.view}: state changed without going through the view's fields ` +
          `(${missed.join(", ")}): mutate state through \`this.<field>\`, not through a ` +
          `reference kept elsewhere; only debug mode notices this.`,
        { view: this.policy.view, field: missed[0] },
      );
    }
    if (!warn) {
      // Compare mode: the changed fields are encoded with the view's policy (strict mode throws).
      const shadow = (this.#shadow ??= {});
      for (const key of missed) {
        if (keys.includes(key)) shadow[key] = toSnapshot(stateValue(view, key), key, this.policy);
        else delete shadow[key];
      }
      return missed;
    }
    this.#shadow = snapshotState(view, silentPolicy);
    return missed.length > 0 ? [...changed, ...missed] : changed;
  }

  /**
   * The places of `view`'s state that hold one object, for a snapshot to keep identity
   * ({@link Alias}); none, with a warning (once per view class), when it shares more than a
   * record keeps ({@link MAX_SHARED}). A view tracked with deltas lists what its watch saw
   * shared, a cost that follows the sharing; any other (a dead render's, whose snapshot is
   * written whole anyway) is walked once.
   */
  aliases(view: object): readonly Alias[] {
    if (this.#compare) return NO_ALIASES;
    let aliases: readonly Alias[] | undefined;
    const tracked = trackerOf(view) === this && this.#keepDeltas;
    if (tracked) {
      aliases = this.#watch ? this.#watch.aliases(this.#current()) : NO_ALIASES;
    } else {
      aliases = walkedAliases(view);
    }
    if (aliases === undefined) {
      warnTooShared(view, this.policy);
      aliases = NO_ALIASES;
    }
    if (tracked) this.#sharingText = JSON.stringify(aliases);
    return aliases;
  }

  /**
   * Whether the places of `view`'s state that hold one object changed since {@link aliases}
   * last listed them: a handler that only starts or ends sharing (`this.draft = this.rows[1]`
   * where `draft` held an equal copy) changes no field, but its snapshot must still be
   * written. Looks only after a check that saw the handler touch the state.
   */
  sharingChanged(view: object): boolean {
    if (!this.#stepped) return false;
    this.#stepped = false;
    const before = this.#sharingText;
    return JSON.stringify(this.aliases(view)) !== before;
  }

  /**
   * Finds anew which objects the state holds at two places or more (one walk of it), after
   * they were changed where its tracking could not see: a component's event that edited in
   * place an object the view gave it may have put one of the view's objects at a second place.
   */
  relinkShared(): void {
    if (this.#compare || this.#view === undefined) return;
    // Added to what the watch knows: it notes an object linked at a new place as shared.
    const shared = findSharedNodes(this.#keys, this.#values);
    if (shared.links.length > 0 || shared.wide.size > 0) this.#watchOf().linkShared(shared);
  }

  /** The state as of now, for a state backend. */
  snapshot(): StateSnapshot {
    return this.#view ? snapshotState(this.#view, this.policy) : {};
  }
}

const NO_REMOVED: string[] = [];
const NO_DELTAS: ReadonlyMap<string, readonly DeltaOp[] | null> = new Map();
const NO_ALIASES: readonly Alias[] = [];
const NO_OBJECTS: ReadonlySet<object> = new Set();

function read(view: object, key: string): unknown {
  return stateValue(view, key);
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

/** {@link StateTracker.aliases} of a view not tracked: one walk of its whole state. */
function walkedAliases(view: object): readonly Alias[] | undefined {
  const keys = stateKeys(view);
  const values = keys.map((key) => toRaw(stateValue(view, key)));
  if (!values.some((value) => typeof value === "object" && value !== null)) return NO_ALIASES;
  const shared = findSharedNodes(keys, values);
  if (shared.wide.size > 0) return undefined;
  if (shared.links.length === 0) return NO_ALIASES;
  const watch = new Watch(true);
  watch.linkShared(shared);
  return watch.aliases(new Map(keys.map((key, i) => [key, values[i]])));
}

/** The view classes whose state was found to share more than a snapshot keeps. */
const tooShared = new WeakSet<object>();

function warnTooShared(view: object, policy: SerializationPolicy): void {
  const proto: unknown = Object.getPrototypeOf(view);
  if (typeof proto !== "object" || proto === null || tooShared.has(proto)) return;
  tooShared.add(proto);
  policy.logger.warn(
    `${policy.view}: its state holds more than ${MAX_SHARED} objects at two places or more ` +
      `(a Map or an object indexing the rows of an array?), or one at more than ${MAX_PLACES}: ` +
      `a restore (the join after the page load, a reconnect) gives them back as equal copies, ` +
      `which then change separately. Keep keys (this.selectedId) rather than objects where ` +
      `they must stay one.`,
    { view: policy.view },
  );
}

/** What {@link restoreState} put on a view: its fields' values, and the pairs of places it made one object. */
export interface Restored {
  readonly fields: ReadonlyMap<string, unknown>;
  readonly aliases: readonly Alias[];
}

/**
 * Assigns every field of `snapshot` onto `view`, decoded to live values, with the places
 * `aliases` pairs holding one object again ({@link applyAliases}; a pair naming a field
 * `snapshot` lacks is skipped). The snapshot is handed over ({@link adoptSnapshot}): its
 * containers become the view's values, so the caller must not use it afterwards.
 */
export function restoreState(view: object, snapshot: StateSnapshot, aliases?: unknown): Restored {
  const fields = new Map<string, unknown>();
  for (const key of Object.keys(snapshot)) {
    if (key.startsWith("_") || key === "__proto__") continue;
    fields.set(key, adoptSnapshot(snapshot[key] as SnapshotValue));
  }
  const applied = aliases === undefined ? NO_ALIASES : applyAliases(aliases, fields);
  for (const [key, value] of fields) (view as Record<string, unknown>)[key] = value;
  return { fields, aliases: applied };
}

/**
 * The sharing of a state just restored: the objects along both places of each pair the
 * restore made one (decoded values share nothing else), and those one field reaches at two
 * places.
 */
function sharingOf(restored: Restored): SharedNodes {
  const links: SharedLink[] = [];
  const repeated = new Set<object>();
  // Each shared object's places, by field.
  const places = new Map<object, Map<string, Set<string>>>();
  for (const pair of restored.aliases) {
    for (const path of pair) {
      const along = linksAlong(restored.fields, path);
      if (along.length !== path.length) continue;
      links.push(...along);
      const node = along[along.length - 1]![0];
      let byField = places.get(node);
      if (!byField) places.set(node, (byField = new Map()));
      let paths = byField.get(path[0]);
      if (!paths) byField.set(path[0], (paths = new Set()));
      paths.add(JSON.stringify(path));
      if (paths.size > 1) repeated.add(node);
    }
  }
  return { links, wide: new Map(), repeated };
}
