/**
 * Snapshots of a live view: the {@link StoredView} record (state, the private fields `mount`
 * set, stream names, topics, flash, title, URL) and its writes to the state backend, coalesced behind the
 * events: a crash loses at most the last moment; an orderly disconnect or shutdown saves at once.
 * @module
 */
import { errorText, type Logger } from "../logger.js";
import type { StateBackend, StoredView } from "../state/backends/types.js";
import type { SerializationPolicy } from "../state/codec.js";
import { snapshotState } from "../state/tracker.js";
import type { LiveView } from "../view/live-view.js";
import type { Flash } from "./flash.js";

/** How long changes wait before their snapshot is written. */
export const SAVE_DELAY_MS = 250;

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
  let state;
  try {
    state = snapshotState(source.view, { ...source.policy, strict: true, warned: undefined });
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    source.logger.warn(
      `${source.viewName} cannot be snapshotted and will be mounted again on reconnect: ${error.message}`,
      { view: source.viewName },
    );
    return null;
  }
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
 * Writes `record` as the snapshot `id`; a `null` record (not serializable) deletes the previous
 * snapshot instead, so a reconnect mounts afresh rather than restoring stale state.
 */
export async function writeSnapshot(
  store: SnapshotStore,
  id: string,
  record: StoredView | null,
): Promise<void> {
  if (!record) {
    await store.stateBackend.delete(id).catch(() => undefined);
    return;
  }
  await store.stateBackend.set(id, record, store.stateTtlSeconds);
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

/** Logs a failed snapshot write of `target`. */
export function logSaveFailure(target: Omit<Saving, "save">, error: unknown): void {
  target.env.logger.error("saving a view snapshot failed", {
    view: target.route.view.name,
    error: errorText(error),
  });
}
