/**
 * Snapshots of a live view: the {@link StoredView} record (state, the private fields `mount`
 * set, stream names, topics, flash, title, URL) and its writes to the state backend, either before each
 * reply (`durability: "reply"`: an acknowledged event is never lost) or coalesced behind the
 * events (`"behind"`: a crash loses at most the last {@link SAVE_DELAY_MS}); an orderly
 * disconnect or shutdown saves at once. A write after the first is incremental when the
 * backend can patch: only the top-level fields that changed are encoded and stored.
 * @module
 */
import { errorText, type Logger } from "../logger.js";
import type { StateBackend, StoredView } from "../state/backends/types.js";
import type { SerializationPolicy } from "../state/codec.js";
import { snapshotFields, snapshotState, type StateSnapshot } from "../state/tracker.js";
import type { LiveView } from "../view/live-view.js";
import type { Flash } from "./flash.js";

/** How long changes wait before their snapshot is written (`durability: "behind"`). */
export const SAVE_DELAY_MS = 250;

/**
 * When a connected view's changes are stored: `"reply"` before the reply (or push) of the step
 * that made them leaves the server, so a node dying right after cannot lose an acknowledged
 * event; `"behind"` coalesced, {@link SAVE_DELAY_MS} after the first change, so a node dying
 * loses the changes of that last moment (the browser rolls back to the last write).
 */
export type Durability = "reply" | "behind";

/** Fields whose snapshot is not stored yet: some by name, or all of them. */
export type Unsaved = Set<string> | "all";

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
  /** Names of the view's streams. */
  readonly streams: readonly string[];
  readonly flash: Flash;
  readonly title: string | undefined;
  /** The view's current URL. */
  readonly href: string;
  /** Upload name → ref of the uploads the view allowed. */
  readonly uploads?: Readonly<Record<string, string>>;
}

/** The record a snapshot stores, or `null` when the state cannot be snapshotted losslessly. */
export function snapshotOf(source: SnapshotSource): StoredView | null {
  const state = encoded(source, () =>
    snapshotState(source.view, { ...source.policy, strict: true, warned: undefined }),
  );
  return state && recordOf(source, state);
}

/**
 * The record of an incremental write: its `state` holds only `fields` (those still state),
 * `removed` the ones deleted since; `null` when one of them cannot be snapshotted losslessly.
 */
export function deltaOf(
  source: SnapshotSource,
  fields: Iterable<string>,
): { record: StoredView; removed: string[] } | null {
  const delta = encoded(source, () =>
    snapshotFields(source.view, fields, { ...source.policy, strict: true, warned: undefined }),
  );
  return delta && { record: recordOf(source, delta.state), removed: delta.removed };
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

function recordOf(source: SnapshotSource, state: StateSnapshot): StoredView {
  return {
    v: 1,
    view: source.viewName,
    state,
    privateFields: source.privateFields,
    ...(source.streams.length > 0 && { streams: source.streams }),
    topics: [...source.topics],
    flash: { ...source.flash },
    ...(source.title !== undefined && { title: source.title }),
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
 * and holds the record, else in full. State that is not serializable deletes the previous
 * snapshot instead, so a reconnect mounts afresh rather than restoring stale state.
 */
export async function writeSnapshot(
  store: SnapshotStore,
  id: string,
  source: SnapshotSource,
  unsaved: Unsaved,
): Promise<void> {
  const backend = store.stateBackend;
  if (unsaved !== "all" && backend.patch) {
    const delta = deltaOf(source, unsaved);
    if (!delta) return backend.delete(id);
    if (await backend.patch(id, delta.record, delta.removed, store.stateTtlSeconds)) return;
  }
  const record = snapshotOf(source);
  if (!record) return backend.delete(id);
  await backend.set(id, record, store.stateTtlSeconds);
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
 * Logs a failed snapshot write of `target`, with the cause of a Redis outage (the
 * `ServiceUnavailable` says only that the store did not answer).
 */
export function logSaveFailure(target: Omit<Saving, "save">, error: unknown): void {
  const view = target.route.view.name;
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
  const text = cause instanceof Error ? cause.message || cause.name : String(cause);
  target.env.logger.error(`saving a snapshot of ${view} failed: ${text}`, {
    view,
    error: errorText(error),
  });
}
