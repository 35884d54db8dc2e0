/**
 * Where snapshots of live views are kept between the dead render and the join, and across
 * disconnects, deploys and nodes (DESIGN §3, §5, §7).
 * @module
 */
import type { StateSnapshot } from "../tracker.js";
import type { Alias } from "../aliases.js";

/** Everything needed to bring a view back without re-mounting it. */
export interface StoredView {
  /** Format version of this record. */
  readonly v: 1;
  /** Class name of the view, checked on restore so a token cannot restore another view's state. */
  readonly view: string;
  /**
   * Public state in snapshot encoding; in a stored record also each LiveComponent, as
   * `_c:<cid>` → `{ component, id, state }` (a `_` key is never a view's public field), so
   * that an incremental write stores the components that changed as it stores the fields.
   */
  readonly state: StateSnapshot;
  /**
   * Places of `state` that held one object (`this.selected = this.rows[3]`), which a restore
   * makes one object again. Absent when there were none.
   */
  readonly aliases?: readonly Alias[];
  /**
   * `_`-fields to which `mount` gave a value (DESIGN §10, restore rule): when there are any and
   * the class has no `setup`, restoring re-runs `mount` before applying `state`.
   */
  readonly privateFields: readonly string[];
  /**
   * Names of the view's streams (never their items). When there are any, restoring re-runs
   * `mount`, where the view fills its streams, before applying `state`: the page's stream is
   * sent again in the join reply rather than emptied by it.
   */
  readonly streams?: readonly string[];
  /**
   * The fields of the `assignAsync` loaders running when saved (a connected view's): a restore
   * after which none runs again for one of them, while it still shows `loading`, fails it as
   * `"interrupted"`. Absent when none ran.
   */
  readonly loading?: readonly string[];
  /** Pub/sub topics the view subscribed to, re-subscribed on restore. */
  readonly topics: readonly string[];
  /** The view's URL when saved; a rejoin at another URL runs `handleParams` after restoring. */
  readonly url?: string;
  /** The page title (`pageTitle`) when the view set one. */
  readonly title?: string;
  /**
   * The client events (`pushEvent` name and payload) the dead render's `mount` pushed: the page
   * load has no connection to send them on, so the first join's reply carries them.
   */
  readonly events?: readonly (readonly [string, unknown])[];
  /**
   * Upload name → ref of the uploads `mount` allowed: a restore runs `mount` again (upload
   * options may hold functions, which no snapshot carries) and gives the uploads these refs,
   * so the page's file inputs keep their ids.
   */
  readonly uploads?: Readonly<Record<string, string>>;
  /**
   * The view's LiveComponents (their class names, ids, cids and states) and the next cid: a
   * restored view gets each back when its render places it again. A stored record lists none
   * (they are fields of its `state`) and keeps `next`; the join reads them back into `list`.
   */
  readonly components?: {
    readonly next: number;
    readonly list: readonly {
      readonly cid: number;
      readonly component: string;
      readonly id: string | number;
      readonly state: StateSnapshot;
    }[];
  };
  /** Flash messages not yet cleared. */
  readonly flash: Readonly<Record<string, string>>;
  /** Epoch milliseconds of the save. */
  readonly savedAt: number;
}

/**
 * An incremental write of a stored record: what an event changed, proportional to the change.
 * Reading the record afterwards gives the full {@link StoredView}: each field's last full
 * encoding with its deltas applied in order (`applyDeltas`).
 */
export interface StoredPatch {
  /** The record's parts other than the state, replacing the stored ones (its `state` is unused). */
  readonly record: StoredView;
  /** Fields stored whole (JSON text of the snapshot encoding): they replace the stored field and its deltas. */
  readonly fields: ReadonlyMap<string, string>;
  /** Fields appended to (JSON text of a list of `DeltaOp`): kept after the field's earlier deltas. */
  readonly deltas: ReadonlyMap<string, string>;
  /** Fields that are no longer state. */
  readonly removed: readonly string[];
}

/** A key/value store for {@link StoredView} records with expiry. */
export interface StateBackend {
  get(key: string): Promise<StoredView | null>;
  /** Stores `value`, replacing any previous record, for `ttlSeconds`. */
  set(key: string, value: StoredView, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Updates the record `key` incrementally ({@link StoredPatch}), and the lifetime starts
   * again. Resolves `false` and writes nothing when no record is stored (the caller then writes
   * a full one with {@link set}). Optional: without it every snapshot is written in full.
   */
  patch?(key: string, patch: StoredPatch, ttlSeconds: number): Promise<boolean>;
  /**
   * Starts the lifetime of the record `key` again, for `ttlSeconds`, without rewriting it (an
   * open view whose state has not changed for a while). Resolves `false` when no record is
   * stored. Optional: without it such a record is written again in full.
   */
  touch?(key: string, ttlSeconds: number): Promise<boolean>;
  /** Releases connections; called by `app.close()`. */
  close?(): Promise<void>;
}

/** Whether `value` looks like a {@link StoredView} (records come from outside the process). */
export function isStoredView(value: unknown): value is StoredView {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Partial<StoredView>;
  return (
    v.v === 1 &&
    typeof v.view === "string" &&
    typeof v.state === "object" &&
    v.state !== null &&
    Array.isArray(v.privateFields) &&
    Array.isArray(v.topics) &&
    typeof v.flash === "object" &&
    typeof v.savedAt === "number"
  );
}
