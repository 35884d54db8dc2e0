/**
 * The one lifecycle of a view instance, shared by every transport — the dead render, the
 * WebSocket and long-poll joins, the HTTP API and `djust/testing`:
 *
 *   construct → attach runtime (request, pub/sub) → services → `setup` → on-mount hooks →
 *   `mount` | restore → access
 *
 * Synchronous unless a step returns a promise (an HTTP API call whose `setup`/`mount` are
 * synchronous allocates no promise here). What happens around it — rendering, URLs, topics of a
 * connected view, the API envelope — belongs to the transport.
 * @module
 */
import { isAuthenticated, requirePermissions, viewPermissions } from "../auth/user.js";
import type { DjustError } from "../errors.js";
import { PermissionDenied, Unauthenticated } from "../errors.js";
import { errorText, type Logger } from "../logger.js";
import { andThen, isThenable, type MaybePromise } from "../maybe-promise.js";
import type { StoredView } from "../state/backends/types.js";
import { restoreState, type Restored } from "../state/tracker.js";
import { traced, tracing } from "../telemetry.js";
import { loadingFields } from "../view/async-result.js";
import type { ViewPresenceHooks } from "../presence/types.js";
import type { LiveView, LiveViewClass } from "../view/live-view.js";
import {
  runtimeOf,
  withServices,
  type LiveRequest,
  type Params,
  type PubSubHooks,
  type ViewTasks,
} from "../view/runtime.js";

/**
 * Why a view may not be shown to a caller: it needs a login, a permission, or an on-mount hook
 * sent the caller elsewhere (`to`). `error` is what the HTTP API answers.
 */
export class AccessDenied extends Error {
  override readonly name = "AccessDenied";
  constructor(
    readonly reason: "login" | "permission" | "redirect",
    readonly error: DjustError,
    /** Where an on-mount hook redirects the caller (reason `redirect`). */
    readonly to?: string,
  ) {
    super(error.message, { cause: error });
  }
}

/**
 * Runs on every transport (page, join, restore, live navigation, API call) after `setup` and
 * before `mount` or the restore: load the current user, refuse (throw `PermissionDenied` or
 * `Unauthenticated`), or send the caller elsewhere with `{ redirect: "/login/" }` (over the
 * HTTP API that is a refusal: 403 `permission_denied`).
 */
export type OnMountHook = (
  view: LiveView,
  request: LiveRequest,
  params: Params,
) => void | { readonly redirect: string } | Promise<void | { readonly redirect: string }>;

/**
 * Refuses `user` unless it may see `View` (`loginRequired`, `permissionRequired`); synchronous
 * when the class requires no permission.
 * @throws AccessDenied
 */
export function checkViewAccess(
  View: LiveViewClass,
  user: LiveRequest["user"],
): MaybePromise<void> {
  if (View.loginRequired && !isAuthenticated(user)) {
    throw new AccessDenied("login", new Unauthenticated());
  }
  const required = viewPermissions(View);
  if (required.length === 0) return undefined;
  return requirePermissions(user, required).catch((error: unknown) => {
    if (error instanceof Unauthenticated) throw new AccessDenied("login", error);
    if (error instanceof PermissionDenied) throw new AccessDenied("permission", error);
    throw error;
  });
}

/** What {@link startView} needs. */
export interface ViewStart {
  readonly View: LiveViewClass;
  readonly request: LiveRequest;
  /** Route and URL params; the services are added to them for `setup`/`mount`. */
  readonly params: Params;
  /** `liveSession` services: values, or functions called per instance with the request. */
  readonly services?: Readonly<Record<string, unknown>> | undefined;
  /** `liveSession` on-mount hooks, run in order before `mount` or the restore. */
  readonly onMount?: readonly OnMountHook[] | undefined;
  /** `true` for joined views (WebSocket, long-poll, test client). */
  readonly connected: boolean;
  /** Where `subscribe`/`broadcast` go for this instance. */
  readonly pubsub: PubSubHooks;
  /** Timers and tasks (`sendAfter`, `startAsync`): a connected view's, or a page-load notice. */
  readonly tasks?: ViewTasks | undefined;
  /** Presence hooks: tracking for joined views, reading for the others. */
  readonly presence?: ViewPresenceHooks | undefined;
  /** A snapshot to restore instead of mounting; ignored unless it was taken of `View`. */
  readonly stored?: StoredView | null | undefined;
  /** Told when a snapshot could not be restored (the view is then mounted afresh). */
  readonly logger: Logger;
  /**
   * Called when a restore failed, before the view mounts afresh: the caller drops what the
   * failed attempt asked for (timers, presence, topics), which the fresh mount asks for again.
   */
  readonly onRemount?: (() => void) | undefined;
}

/** A view through its lifecycle, ready for events. */
export interface StartedView {
  readonly view: LiveView;
  /** The params `setup`/`mount` got (route and URL params plus services). */
  readonly params: Params;
  /** The snapshot the view was restored from; `undefined` when it was mounted. */
  readonly restoredFrom?: StoredView;
  /**
   * Set when the restore ran `mount` again (see {@link restore}): what `mount` does each time
   * (pushed events, streamed items) happened again.
   */
  readonly mountedAgain?: boolean;
  /**
   * Set when that `mount` refilled what snapshots never hold (streams, temporary assigns):
   * `handleParams` then runs after the restore too, as they are often filled from the URL.
   */
  readonly refilled?: boolean;
  /** The `_`-fields `mount` filled (recorded in snapshots; DESIGN §10 restore rule). */
  readonly privateFields: readonly string[];
  /** What the restore put on the view (for its tracking to start from). */
  readonly restoredState?: Restored;
}

const NO_FIELDS: readonly string[] = Object.freeze([]);

/**
 * Runs the lifecycle of a new instance of `start.View`, traced on `djust:mount`.
 * @throws AccessDenied when the caller may not see the view; anything `setup`/`mount` throw.
 */
export function startView(start: ViewStart): MaybePromise<StartedView> {
  if (!tracing.mount.hasSubscribers) return runLifecycle(start);
  return traced(
    tracing.mount,
    () => ({ view: start.View.name, transport: start.request.transport }),
    () => runLifecycle(start),
  );
}

function runLifecycle(start: ViewStart): MaybePromise<StartedView> {
  const view = new start.View();
  const runtime = runtimeOf(view);
  runtime.request = start.request;
  runtime.connected = start.connected;
  runtime.pubsub = start.pubsub;
  runtime.tasks = start.tasks;
  runtime.presence = start.presence;
  const params = withServices(start.params, start.services, start.request);
  const stored = start.stored;
  const setUp = view.setup?.(start.request, params);
  const hooks = start.onMount;
  const ready =
    hooks && hooks.length > 0
      ? andThen(setUp, () => runHooks(hooks, 0, view, start.request, params))
      : setUp;
  return andThen(ready, () => {
    if (!stored || stored.view !== start.View.name) {
      return andThen(runMount(view, start.request, params), (privateFields) =>
        admitted(start, { view, params, privateFields }),
      );
    }
    let restored: MaybePromise<StartedView>;
    try {
      restored = andThen(restore(view, stored, start, params), (outcome) =>
        admitted(start, { view, params, restoredFrom: stored, ...outcome }),
      );
    } catch (error) {
      return remount(start, error);
    }
    if (!isThenable(restored)) return restored;
    return Promise.resolve(restored).catch((error: unknown) => {
      if (error instanceof AccessDenied) throw error;
      return remount(start, error);
    });
  });
}

/** Runs `hooks` from `index` on, in order; a redirect or a refusal stops the lifecycle. */
function runHooks(
  hooks: readonly OnMountHook[],
  index: number,
  view: LiveView,
  request: LiveRequest,
  params: Params,
): MaybePromise<void> {
  for (let i = index; i < hooks.length; i++) {
    let outcome: ReturnType<OnMountHook>;
    try {
      outcome = (hooks[i] as OnMountHook)(view, request, params);
    } catch (error) {
      throw refusal(error);
    }
    if (isThenable(outcome)) {
      return Promise.resolve(outcome).then(
        (resolved) => {
          redirected(resolved);
          return runHooks(hooks, i + 1, view, request, params);
        },
        (error: unknown) => {
          throw refusal(error);
        },
      );
    }
    redirected(outcome);
  }
  return undefined;
}

function redirected(outcome: void | { readonly redirect: string }): void {
  if (outcome && typeof outcome.redirect === "string") {
    throw new AccessDenied(
      "redirect",
      new PermissionDenied("This view sends the caller elsewhere."),
      outcome.redirect,
    );
  }
}

/** A hook's `Unauthenticated`/`PermissionDenied` refuses like the view's own requirements. */
function refusal(error: unknown): unknown {
  if (error instanceof Unauthenticated) return new AccessDenied("login", error);
  if (error instanceof PermissionDenied) return new AccessDenied("permission", error);
  return error;
}

function admitted(start: ViewStart, started: StartedView): MaybePromise<StartedView> {
  return andThen(checkViewAccess(start.View, start.request.user), () => started);
}

/**
 * A snapshot from an older deploy (a renamed registered type, say) must not lock the browser
 * into failing rejoins: start over with a fresh mount.
 */
function remount(start: ViewStart, error: unknown): MaybePromise<StartedView> {
  if (error instanceof AccessDenied) throw error;
  start.logger.warn(`${start.View.name}: restoring the snapshot failed; mounting instead`, {
    view: start.View.name,
    error: errorText(error),
  });
  start.onRemount?.();
  return runLifecycle({ ...start, stored: null });
}

/**
 * Applies a snapshot; returns the private field names to keep recording, and whether `mount`
 * ran again (and for what).
 *
 * A connected restore whose state holds an `assignAsync` field still loading (the dead
 * render's, or a view that lost its connection mid-load) runs `mount` again so its loaders
 * start: a loader cannot travel in a snapshot. The snapshot's state still wins.
 */
function restore(
  view: LiveView,
  stored: StoredView,
  start: ViewStart,
  params: Params,
): MaybePromise<
  Pick<StartedView, "privateFields" | "mountedAgain" | "refilled" | "restoredState">
> {
  const { request } = start;
  // DESIGN §10: private fields that only mount fills cannot come back from a snapshot; when no
  // setup re-creates them, mount runs again and the snapshot's public state wins. Uploads
  // (`allowUpload` in mount, options that may be functions) come back the same way, and so do
  // streams: their items are never stored, so mount fills them again (as Phoenix's reconnect
  // does), and the join reply re-sends what the page shows instead of emptying it. Temporary
  // assigns likewise: snapshots hold their defaults, so mount's values are kept over them.
  const uploads = stored.uploads;
  const temporary = temporaryFields(start.View);
  const refilled =
    (stored.streams !== undefined && stored.streams.length > 0) || temporary.length > 0;
  const mountsAgain =
    (stored.privateFields.length > 0 && typeof view.setup !== "function") ||
    (uploads !== undefined && Object.keys(uploads).length > 0) ||
    refilled;
  const remounted = mountsAgain
    ? runMount(view, request, params)
    : stored.privateFields.length > 0
      ? stored.privateFields.slice()
      : NO_FIELDS;
  // A connected view restored with a result still loading runs mount again (it starts the
  // loader) and then the snapshot once more; restoring hands the snapshot's objects over to
  // the view, so the first restore gets a copy. (An AsyncResult is a plain object: its
  // encoding is itself.)
  const restoresTwice =
    !mountsAgain &&
    start.connected &&
    loadingFields(stored.state, Object.keys(stored.state)).length > 0;
  const state = temporary.length > 0 ? withoutFields(stored.state, temporary) : stored.state;
  return andThen(remounted, (fields) => {
    const restoredState = restoreState(
      view,
      restoresTwice ? structuredClone(state) : state,
      stored.aliases,
    );
    if (uploads) runtimeOf(view).uploads?.adoptRefs(uploads);
    if (!restoresTwice) {
      return { privateFields: fields, mountedAgain: mountsAgain, refilled, restoredState };
    }
    return andThen(runMount(view, request, params), (mounted) => {
      return {
        privateFields: fields.length > 0 ? fields : mounted,
        mountedAgain: true,
        refilled,
        restoredState: restoreState(view, stored.state, stored.aliases),
      };
    });
  });
}

type ViewFields = Record<string, unknown>;

/** The fields `View` declares as temporary assigns (`static temporaryAssigns`). */
function temporaryFields(View: LiveViewClass): readonly string[] {
  const defaults = View.temporaryAssigns;
  return defaults === undefined ? NO_FIELDS : Object.keys(defaults);
}

/** `state` but for `fields`. */
function withoutFields(state: StoredView["state"], fields: readonly string[]): StoredView["state"] {
  // No prototype: a stored `__proto__` key stays a key (which restoreState then skips).
  const kept = Object.create(null) as StoredView["state"];
  for (const [key, value] of Object.entries(state)) if (!fields.includes(key)) kept[key] = value;
  return kept;
}

/**
 * Runs `mount` and returns the `_`-fields it gave a value different from what construction and
 * `setup` left (the private names a snapshot records; DESIGN §10).
 */
function runMount(
  view: LiveView,
  request: LiveRequest,
  params: Params,
): MaybePromise<readonly string[]> {
  const fields = view as unknown as ViewFields;
  let before: Map<string, unknown> | undefined;
  for (const key of Object.keys(view)) {
    if (key.startsWith("_")) (before ??= new Map()).set(key, fields[key]);
  }
  return andThen(view.mount?.(request, params), () => {
    let changed: string[] | undefined;
    for (const key of Object.keys(view)) {
      if (!key.startsWith("_")) continue;
      if (!before?.has(key) || before.get(key) !== fields[key]) (changed ??= []).push(key);
    }
    // Kept for the view's lifetime: slice() sizes it exactly (push reserved room for 17).
    return changed ? changed.slice() : NO_FIELDS;
  });
}
