/**
 * Snapshots of a live view: the {@link StoredView} record (state, the private fields `mount`
 * set, stream names, topics, flash, title, the dead render's client events, URL) and its
 * writes to the state backend, either before each reply (`durability: "reply"`: an
 * acknowledged event is never lost) or coalesced behind the events (`"behind"`: a crash loses
 * at most the last {@link SAVE_DELAY_MS}); an orderly disconnect or shutdown saves at once. A
 * write after the first is incremental when the backend can patch: a changed field is stored
 * as the edits the event made to it (a delta, proportional to the change), or whole when it
 * was replaced or its deltas have grown to its own size (compaction); fields that did not
 * change are not written.
 * @module
 */
import { ServiceUnavailable } from "../errors.js";
import { errorText, type Logger } from "../logger.js";
import type { StateBackend, StoredView } from "../state/backends/types.js";
import {
  sameJson,
  setKey,
  toSnapshot,
  TYPE_TAG,
  type SerializationPolicy,
} from "../state/codec.js";
import type { DeltaOp, FieldEdits } from "../state/delta.js";
import type { JsonValue } from "../state/serializable.js";
import type { Alias } from "../state/aliases.js";
import { snapshotState, stateKeys, stateValue, type StateSnapshot } from "../state/tracker.js";
import type { LiveView } from "../view/live-view.js";
import type { ComponentChange, StoredComponent, ViewComponents } from "./components.js";
import type { Flash } from "./flash.js";

/** How long changes wait before their snapshot is written (`durability: "behind"`). */
export const SAVE_DELAY_MS = 250;

/** Fields whose snapshot is not stored yet: all of them, or by name with their edits. */
export type Unsaved = FieldEdits | "all";

/**
 * What the store holds of each field beyond its last whole encoding: the deltas' number and
 * bytes, and the bytes of that encoding (0 when it was written as part of a full record).
 */
export type DeltaLog = Map<string, { count: number; bytes: number; base: number }>;

/**
 * Most deltas a field keeps in the store before it is stored whole again, for a field whose
 * whole encoding is small; a larger field may keep one per {@link BASE_BYTES_PER_DELTA} bytes of
 * its encoding, so that storing it whole again costs each event a constant share (a field of
 * 100,000 rows is not re-encoded every 256 events), while a restore still reads deltas at most
 * about as large as the field.
 */
const MAX_DELTAS = 256;
const BASE_BYTES_PER_DELTA = 256;
/** A field's deltas may weigh as much as the field, and at least this much. */
const MIN_DELTA_BYTES = 16 * 1024;

/** What a snapshot is taken of. */
export interface SnapshotSource {
  readonly view: LiveView;
  /** The view class's name (the record's `view`). */
  readonly viewName: string;
  readonly policy: SerializationPolicy;
  readonly logger: Logger;
  /** The private fields `mount` set (the restore rule). */
  readonly privateFields: readonly string[];
  readonly topics: Iterable<string>;
  /** The fields of its running `assignAsync` loaders ({@link StoredView.loading}). */
  readonly loading: readonly string[];
  /** Names of the view's streams. */
  readonly streams: readonly string[];
  readonly flash: Flash;
  readonly title: string | undefined;
  /** Client events pushed during the dead render, for the join (see {@link StoredView.events}). */
  readonly events?: readonly (readonly [string, unknown])[] | undefined;
  /** The view's current URL. */
  readonly href: string;
  /** Upload name → ref of the uploads the view allowed. */
  readonly uploads?: Readonly<Record<string, string>>;
  /** The places of the state that hold one object ({@link StoredView.aliases}), asked at each write. */
  aliases(): readonly Alias[];
  /** The view's LiveComponents, if it placed any. */
  readonly components?: ViewComponents | undefined;
}

/**
 * The policy a snapshot encodes with: strict (a value it cannot encode losslessly refuses the
 * write) and with warnings of its own.
 */
function snapshotPolicy(policy: SerializationPolicy): SerializationPolicy {
  return { ...policy, strict: true, warned: undefined };
}

/** The record a snapshot stores, or `null` when the state cannot be snapshotted losslessly. */
export function snapshotOf(source: SnapshotSource): StoredView | null {
  return encoded(source, () => {
    const policy = snapshotPolicy(source.policy);
    const state = snapshotState(source.view, policy);
    for (const component of source.components?.stored(policy).list ?? []) {
      state[componentField(component.cid)] = fieldOf(component);
    }
    return recordOf(source, state, source.aliases());
  });
}

/**
 * Where a record keeps component `cid`: a key of its state beside the view's fields (a `_`
 * key is never a public field), so that a write stores the components that changed, as it
 * stores the fields that changed, and not every component of the view.
 */
export function componentField(cid: number): string {
  return `${COMPONENT_FIELD}${cid}`;
}

const COMPONENT_FIELD = "_c:";

/** The cid whose field `key` is, `undefined` when it is none ({@link componentField}). */
function cidOf(key: string): number | undefined {
  if (!key.startsWith(COMPONENT_FIELD)) return undefined;
  const cid = Number(key.slice(COMPONENT_FIELD.length));
  // Written as componentField writes it (not `_c:01`, `_c:1e0`).
  return validCid(cid) && componentField(cid) === key ? cid : undefined;
}

/**
 * A cid, with room for the cids after it: near 2^53 every new component would get the same
 * one (a view that places 2^31 components in its life does not exist).
 */
function validCid(cid: unknown): cid is number {
  return typeof cid === "number" && Number.isInteger(cid) && cid >= 1 && cid < MAX_CID;
}

const MAX_CID = 2 ** 31;

/** What a component's field holds: the component but its cid (the field's name). */
function fieldOf(component: StoredComponent): StateSnapshot[string] {
  const { component: name, id, state, aliases } = component;
  return aliases
    ? { component: name, id, state, aliases: asJson(aliases) }
    : { component: name, id, state };
}

/** An alias list as the JSON it is (paths of strings, numbers and one-number entry steps). */
function asJson(aliases: readonly Alias[]): JsonValue[] {
  return aliases as unknown as JsonValue[];
}

/** Where a component's field ({@link fieldOf}) holds its state. */
const STATE_PATH = ["state"] as const;

/**
 * The edits that bring a component's stored field up to date with `change` (the component and
 * its fields changed since), as edits of that field ({@link fieldOf}): a field's own edits
 * under its state, a field replaced set whole, a field gone deleted. `null`: store the field
 * whole, when `change` is, or a changed value cannot be snapshotted losslessly (the write of
 * the whole field then reports it), or the state has a `$type` key (a stored state holding one
 * reads as a tagged value, which edits cannot go into).
 */
export function componentEdits(
  change: ComponentChange,
  policy: SerializationPolicy,
): DeltaOp[] | null {
  if (change === null) return null;
  const { component, fields, aliases } = change;
  const keys = stateKeys(component);
  if (fields.has(TYPE_TAG) || keys.includes(TYPE_TAG)) return null;
  const strict = snapshotPolicy(policy);
  // The list of places holding one object, when it changed: it is written whole.
  const edits: DeltaOp[] = aliases ? [["s", [], "aliases", asJson(aliases)]] : [];
  for (const [field, ops] of fields) {
    if (ops !== null) {
      for (const [kind, path, ...rest] of ops) {
        edits.push([kind, [...STATE_PATH, field, ...path], ...rest] as unknown as DeltaOp);
      }
    } else if (!keys.includes(field)) {
      edits.push(["d", STATE_PATH, field]);
    } else {
      try {
        edits.push([
          "s",
          STATE_PATH,
          field,
          toSnapshot(stateValue(component, field), field, strict),
        ]);
      } catch (error) {
        if (error instanceof TypeError) return null;
        throw error;
      }
    }
  }
  return edits;
}

/**
 * The record as the view is restored from it: its components (kept as fields of its state,
 * see {@link componentField}) back in `components`. A field that is not a component's
 * encoding (another deploy's, or tampered with) is left out: the render mounts that
 * component afresh. Components a record lists in its meta part (written before they were
 * fields) come back too, marked to be stored again as fields.
 */
export function restorable(record: StoredView | null): StoredView | null {
  if (!record) return null;
  const stored = record.components;
  const listed = Array.isArray(stored?.list)
    ? stored.list.filter((c) => validCid(c.cid) && isStoredComponent(c))
    : [];
  const keys = Object.keys(record.state);
  if (listed.length === 0 && !keys.some((key) => key.startsWith(COMPONENT_FIELD))) return record;
  // A new object, not a copy with keys deleted: a view may keep hundreds of components.
  const state: StateSnapshot = {};
  const list: StoredComponent[] = [...listed];
  let next = validCid(stored?.next) ? stored.next : 1;
  for (const { cid } of listed) next = Math.max(next, cid + 1);
  for (const key of keys) {
    const value = record.state[key];
    if (!key.startsWith(COMPONENT_FIELD)) {
      setKey(state, key, value as StateSnapshot[string]);
      continue;
    }
    const cid = cidOf(key);
    if (cid === undefined || !isStoredComponent(value)) continue;
    // The list is checked where it is applied (a malformed one is ignored).
    const { aliases } = value;
    list.push({
      cid,
      component: value.component,
      id: value.id,
      state: value.state,
      ...(aliases !== undefined && { aliases }),
    });
    next = Math.max(next, cid + 1);
  }
  return {
    ...record,
    state,
    components: { next, list, ...(listed.length > 0 && { listed: true }) },
  };
}

function isStoredComponent(value: unknown): value is Omit<StoredComponent, "cid"> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const { component, id, state } = value as Partial<Record<keyof StoredComponent, unknown>>;
  return (
    typeof component === "string" &&
    (typeof id === "string" || (typeof id === "number" && Number.isFinite(id))) &&
    typeof state === "object" &&
    state !== null &&
    !Array.isArray(state)
  );
}

/** Parts of a record beside the state and components, compared by {@link extrasMatch}. */
const RECORD_EXTRAS = [
  "privateFields",
  "streams",
  "loading",
  "topics",
  "flash",
  "title",
  "events",
  "uploads",
  "url",
] as const;

/**
 * Whether `stored` holds what a snapshot of `source` would beside its state and components
 * (the URL, flash, topics…: strings, lists and records of strings): a restored view whose state
 * did not change need not be written.
 */
export function extrasMatch(stored: StoredView, source: SnapshotSource): boolean {
  const record = recordOf({ ...source, components: undefined }, {}, []);
  return RECORD_EXTRAS.every((key) => sameJson(record[key], stored[key]));
}

/** What `encode` returns, or `null` (logged) when the state is not losslessly serializable. */
function encoded<T>(source: SnapshotSource, encode: () => T): T | null {
  try {
    return encode();
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    source.logger.warn(
      `${source.viewName} cannot be snapshotted and will be mounted again on reconnect: ${error.message}`,
      { view: source.viewName },
    );
    return null;
  }
}

/**
 * The record around `state` (which holds the components, for a whole record); its
 * `components` keep the next cid only.
 */
function recordOf(
  source: SnapshotSource,
  state: StateSnapshot,
  aliases: readonly Alias[],
): StoredView {
  const components = source.components;
  return {
    v: 1,
    view: source.viewName,
    state,
    ...(aliases.length > 0 && { aliases }),
    ...(components && { components: { next: components.next, list: [] } }),
    privateFields: source.privateFields,
    ...(source.streams.length > 0 && { streams: source.streams }),
    ...(source.loading.length > 0 && { loading: source.loading }),
    topics: [...source.topics],
    flash: { ...source.flash },
    ...(source.title !== undefined && { title: source.title }),
    ...(source.events !== undefined && source.events.length > 0 && { events: source.events }),
    ...(source.uploads !== undefined && { uploads: source.uploads }),
    url: source.href,
    savedAt: Date.now(),
  };
}

/** Where a view's snapshot goes. */
export interface SnapshotStore {
  readonly stateBackend: StateBackend;
  /** Lifetime of stored snapshots. */
  readonly stateTtlSeconds: number;
}

/**
 * Writes the snapshot `id` of `source`: only the `unsaved` fields when the backend can patch
 * and holds the record (as deltas where `log` allows, else whole), else in full. State that is
 * not serializable deletes the previous snapshot instead, so a reconnect mounts afresh rather
 * than restoring stale state. `log` is kept up to date with what the store holds.
 */
export async function writeSnapshot(
  store: SnapshotStore,
  id: string,
  source: SnapshotSource,
  unsaved: Unsaved,
  log: DeltaLog,
): Promise<void> {
  const backend = store.stateBackend;
  if (unsaved !== "all" && backend.patch) {
    const patch = encoded(source, () => patchOf(source, unsaved, log));
    if (!patch) {
      log.clear();
      return backend.delete(id);
    }
    if (await backend.patch(id, patch, store.stateTtlSeconds)) return;
  }
  log.clear();
  const record = snapshotOf(source);
  if (!record) return backend.delete(id);
  await backend.set(id, record, store.stateTtlSeconds);
  for (const field of Object.keys(record.state)) log.set(field, { count: 0, bytes: 0, base: 0 });
}

/** The incremental write of `unsaved`; notes in `log` what it will leave in the store. */
function patchOf(source: SnapshotSource, unsaved: FieldEdits, log: DeltaLog) {
  const policy = snapshotPolicy(source.policy);
  const current = new Set(stateKeys(source.view));
  const fields = new Map<string, string>();
  const deltas = new Map<string, string>();
  const removed: string[] = [];
  for (const [field, ops] of unsaved) {
    const cid = cidOf(field);
    if (cid === undefined ? !current.has(field) : source.components?.has(cid) !== true) {
      removed.push(field);
      log.delete(field);
      continue;
    }
    const kept = log.get(field);
    if (ops !== null && kept) {
      const text = JSON.stringify(ops);
      const bytes = kept.bytes + text.length;
      const most = Math.max(MAX_DELTAS, kept.base / BASE_BYTES_PER_DELTA);
      if (kept.count < most && bytes <= Math.max(kept.base, MIN_DELTA_BYTES)) {
        deltas.set(field, text);
        kept.count++;
        kept.bytes = bytes;
        continue;
      }
    }
    const text = JSON.stringify(
      cid === undefined
        ? toSnapshot(stateValue(source.view, field), field, policy)
        : fieldOf(source.components?.storedComponent(cid, policy) as StoredComponent),
    );
    fields.set(field, text);
    log.set(field, { count: 0, bytes: 0, base: text.length });
  }
  return { record: recordOf(source, {}, source.aliases()), fields, deltas, removed };
}

/** A view whose snapshot can be saved later. */
export interface Saving {
  /** Writes the snapshot now. */
  save(): Promise<void>;
  readonly env: { readonly logger: Logger };
  readonly route: { readonly view: { readonly name: string } };
}

/**
 * Calls `target.save()` after {@link SAVE_DELAY_MS} (failures are logged); the timer does not
 * keep the process alive. The caller keeps the timer to cancel it (a save now, a close).
 */
export function saveLater(target: Saving): ReturnType<typeof setTimeout> {
  const timer = setTimeout(() => {
    target.save().catch((error: unknown) => logSaveFailure(target, error));
  }, SAVE_DELAY_MS);
  timer.unref?.();
  return timer;
}

/**
 * The apps whose store is down (a save failed with `ServiceUnavailable` and none has succeeded
 * since), with the failed saves counted: an outage is logged once, not once per open view and
 * heartbeat (every view retries at each of its connection's heartbeats).
 */
const outages = new WeakMap<Saving["env"], { failed: number }>();

/**
 * Logs a failed snapshot write of `target`, with the cause of a Redis outage (the
 * `ServiceUnavailable` says only that the store did not answer). During an outage only its
 * first failure is logged; {@link noteSaved} tells when it ended.
 */
export function logSaveFailure(target: Omit<Saving, "save">, error: unknown): void {
  const env = target.env;
  const down = error instanceof ServiceUnavailable;
  if (down) {
    const outage = outages.get(env);
    if (outage) {
      outage.failed++;
      return;
    }
    outages.set(env, { failed: 1 });
  }
  const view = target.route.view.name;
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
  const text = cause instanceof Error ? cause.message || cause.name : String(cause);
  const more = down ? "; further failures are not logged until a snapshot is saved again" : "";
  env.logger.error(`saving a snapshot of ${view} failed: ${text}${more}`, {
    view,
    error: errorText(error),
  });
}

/** A snapshot was saved: ends (and logs the end of) an outage of the store, if there was one. */
export function noteSaved(env: Saving["env"]): void {
  const outage = outages.get(env);
  if (!outage) return;
  outages.delete(env);
  env.logger.info(
    `snapshots are saved again after ${outage.failed} failed ${outage.failed === 1 ? "save" : "saves"}; ` +
      "an open view whose save failed is saved with its next change, or at a heartbeat once " +
      "half its snapshot's lifetime has passed",
  );
}
