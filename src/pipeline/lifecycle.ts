/**
 * The one lifecycle of a view instance, shared by every transport — the dead render, the
 * WebSocket and long-poll joins, the HTTP API and `djust/testing`:
 *
 *   construct → attach runtime (request, pub/sub) → services → `setup` → `mount` | restore → access
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
import { restoreState } from "../state/tracker.js";
import { traced, tracing } from "../telemetry.js";
import type { LiveView, LiveViewClass } from "../view/live-view.js";
import {
  runtimeOf,
  withServices,
  type LiveRequest,
  type Params,
  type PubSubHooks,
} from "../view/runtime.js";

/** Why a view may not be shown to a caller; `error` is what the API answers. */
export class AccessDenied extends Error {
  override readonly name = "AccessDenied";
  constructor(
    readonly reason: "login" | "permission",
    readonly error: DjustError,
  ) {
    super(error.message, { cause: error });
  }
}

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
  /** `true` for joined views (WebSocket, long-poll, test client). */
  readonly connected: boolean;
  /** Where `subscribe`/`broadcast` go for this instance. */
  readonly pubsub: PubSubHooks;
  /** A snapshot to restore instead of mounting; ignored unless it was taken of `View`. */
  readonly stored?: StoredView | null | undefined;
  /** Told when a snapshot could not be restored (the view is then mounted afresh). */
  readonly logger: Logger;
}

/** A view through its lifecycle, ready for events. */
export interface StartedView {
  readonly view: LiveView;
  /** The params `setup`/`mount` got (route and URL params plus services). */
  readonly params: Params;
  /** The snapshot the view was restored from; `undefined` when it was mounted. */
  readonly restoredFrom?: StoredView;
  /** The `_`-fields `mount` filled (recorded in snapshots; DESIGN §10 restore rule). */
  readonly privateFields: readonly string[];
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
  const params = withServices(start.params, start.services, start.request);
  const stored = start.stored;
  return andThen(view.setup?.(start.request, params), () => {
    if (!stored || stored.view !== start.View.name) {
      return andThen(runMount(view, start.request, params), (privateFields) =>
        admitted(start, { view, params, privateFields }),
      );
    }
    let restored: MaybePromise<StartedView>;
    try {
      restored = andThen(restore(view, stored, start.request, params), (privateFields) =>
        admitted(start, { view, params, privateFields, restoredFrom: stored }),
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
  return runLifecycle({ ...start, stored: null });
}

/** Applies a snapshot; returns the private field names to keep recording. */
function restore(
  view: LiveView,
  stored: StoredView,
  request: LiveRequest,
  params: Params,
): MaybePromise<readonly string[]> {
  // DESIGN §10: private fields that only mount fills cannot come back from a snapshot; when no
  // setup re-creates them, mount runs again and the snapshot's public state wins.
  const remounted =
    stored.privateFields.length > 0 && typeof view.setup !== "function"
      ? runMount(view, request, params)
      : stored.privateFields.length > 0
        ? stored.privateFields.slice()
        : NO_FIELDS;
  return andThen(remounted, (fields) => {
    restoreState(view, stored.state);
    return fields;
  });
}

type ViewFields = Record<string, unknown>;

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
