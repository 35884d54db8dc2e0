/**
 * `phx_join` of a live view's topic: the checks (view token, CSRF token, the user the page was
 * rendered for), which view and URL (the page's own, or the target of a live navigation), the
 * snapshot to restore, starting the view, and the join reply. The connection decides whether
 * the view may be added (its view cap, replacing an earlier join of the same topic) between
 * {@link checkJoin} and {@link startJoin}, and adds it before {@link joinReply}.
 * @module
 */
import { errorText } from "../logger.js";
import { ServiceUnavailable } from "../errors.js";
import { isAuthenticated, type User } from "../auth/user.js";
import type { WireRendered } from "../render/diff.js";
import type { StoredView } from "../state/backends/types.js";
import type { LiveRequest, Navigation, Params, Transport } from "../view/runtime.js";
import type { SessionData } from "../auth/session.js";
import { AccessDenied } from "../pipeline/lifecycle.js";
import { readFlash, signFlash } from "./flash.js";
import type { Frame } from "./frame.js";
import type { ConnectionIdentity, LiveHost, LiveRoute } from "./host.js";
import { LiveInstance, type StepResult } from "./instance.js";
import { isRecord } from "./params.js";
import { navigationReply, VIEW_TOPIC_PREFIX, viewTopic } from "./protocol.js";
import { loginRedirect, safeUrl } from "./routes.js";
import {
  browserBinding,
  verifyViewToken,
  type NestedClaims,
  type ViewClaims,
} from "./view-token.js";
import type { ViewPlace } from "./nested.js";
import { restorable } from "./snapshot.js";

type JsonRecord = Record<string, unknown>;

/** A join that passed the checks: what to start. */
export interface JoinPlan {
  readonly frame: Frame;
  readonly route: LiveRoute;
  readonly routeParams: Params;
  /** The view id the snapshot is kept under. */
  readonly snapshotKey: string;
  readonly url: URL;
  /** The join's `params` (the client's `_csrf_token`, …). */
  readonly params: JsonRecord;
  /** The signed flash a `live_redirect` carried here. */
  readonly flashToken: unknown;
  /** Where the view's container is (the main view's after live navigation, a nested view's). */
  readonly place: ViewPlace;
  /** Set for a nested view: the container id of its parent, `null` for a sticky one. */
  readonly parent?: string | null;
}

/** A refused join: the payload of its `error` reply. */
export interface JoinRefusal {
  readonly refused: JsonRecord;
}

/**
 * The request a joined view runs with. A parsed `URL` is some 300 bytes, and a view holds its
 * request for as long as it is open: once the join is done the parsed form is dropped and kept
 * as text, and parsed again (then kept) only if the view reads `request.url` later.
 */
class JoinRequest implements LiveRequest {
  readonly #href: string;
  #url?: URL;
  // The connection's: its headers are made on first read (see identity.ts).
  readonly #identity: ConnectionIdentity;

  constructor(
    url: URL,
    readonly user: User | null,
    readonly session: SessionData,
    readonly transport: Transport,
    identity: ConnectionIdentity,
  ) {
    this.#identity = identity;
    this.#href = url.href;
    this.#url = url;
  }

  get headers(): Headers {
    return this.#identity.headers;
  }

  get url(): URL {
    return (this.#url ??= new URL(this.#href));
  }

  /** Drops the parsed URL (the join has finished with it). */
  release(): void {
    this.#url = undefined;
  }
}

function refuse(response: JsonRecord): JoinRefusal {
  return { refused: response };
}

/** Checks a join frame (token, CSRF, user) and resolves its view and URL. */
export function checkJoin(
  host: LiveHost,
  identity: ConnectionIdentity,
  frame: Frame,
): JoinPlan | JoinRefusal {
  if (!frame.topic.startsWith(VIEW_TOPIC_PREFIX)) return refuse({ reason: "unmatched topic" });
  const payload = isRecord(frame.payload) ? frame.payload : {};
  const params = isRecord(payload.params) ? payload.params : {};
  const claims = verifyViewToken(host.viewTokens, payload.session, host.tokenMaxAgeMs);
  if (!claims || viewTopic(claims.id) !== frame.topic) {
    return refuse({
      reason: "stale",
      error: "unauthenticated",
      message: "Invalid or expired session.",
    });
  }
  const secret = identity.csrfToken;
  if (secret === undefined || browserBinding(secret) !== claims.binding) {
    // Another browser's page (DESIGN §12): its view and data are not this browser's to see.
    return refuse({
      reason: "stale",
      error: "unauthenticated",
      message: "The page was rendered for another browser.",
    });
  }
  if (!identity.verifyCsrf(params._csrf_token)) {
    return refuse({
      reason: "stale",
      error: "csrf_failed",
      message: "CSRF token missing or incorrect.",
    });
  }
  const user = identity.user;
  const uid = isAuthenticated(user) ? user.id : null;
  if ((claims.uid ?? null) !== uid) {
    // Logged in or out since the page was rendered: the page must be rendered again.
    return refuse({ reason: "stale", error: "unauthenticated", message: "The session changed." });
  }

  if (claims.nested) return nestedPlan(host, frame, claims, claims.nested, params);

  // Which view and URL: the page's own, or (live navigation) the one at `redirect`.
  let route = host.routeByKey(claims.route);
  let routeParams = claims.params;
  let snapshotKey = claims.id;
  const redirect = typeof payload.redirect === "string" ? safeUrl(payload.redirect) : undefined;
  const url = redirect ?? (typeof payload.url === "string" ? safeUrl(payload.url) : undefined);
  if (!url) {
    return refuse({ reason: "stale", error: "not_found", message: "The join has no valid URL." });
  }
  if (redirect) {
    const match = host.matchUrl(redirect);
    if (!match) return refuse({ reason: "unauthorized" });
    route = match.route;
    routeParams = match.params;
    snapshotKey = `${claims.id}:${match.route.key}:${redirect.pathname}`;
  }
  if (!route) {
    return refuse({
      reason: "stale",
      error: "not_found",
      message: "The page's view no longer exists.",
    });
  }
  const place = { domId: claims.id, pageId: claims.id, depth: 0 };
  return { frame, route, routeParams, snapshotKey, url, params, flashToken: payload.flash, place };
}

/**
 * The plan of a nested view's join: its view, session, snapshot key and URL all come from its
 * token (the official client sends no URL for it).
 */
function nestedPlan(
  host: LiveHost,
  frame: Frame,
  claims: ViewClaims,
  nested: NestedClaims,
  params: JsonRecord,
): JoinPlan | JoinRefusal {
  const route = host.env.nest?.childRoute(claims.route);
  const url = safeUrl(nested.href);
  if (!route || !url) {
    return refuse({
      reason: "stale",
      error: "not_found",
      message: "The page's view no longer exists.",
    });
  }
  return {
    frame,
    route,
    routeParams: claims.params,
    snapshotKey: nested.key,
    url,
    params,
    flashToken: undefined,
    // The depth only bounds the dead render, which renders every level in one go.
    place: { domId: claims.id, pageId: nested.page, depth: nested.parent === null ? 0 : 1 },
    parent: nested.parent,
  };
}

/** A started join: the instance, and the patch its mount asked for. */
export interface StartedJoin {
  readonly instance: LiveInstance;
  /** The view's request, whose parsed URL {@link joinReply} drops. */
  readonly request: { release(): void };
  readonly patch?: Navigation;
}

/**
 * Reads the snapshot and starts the view (restore or mount). A mount that navigated away, was
 * refused or failed is a refusal. `onPush` receives the view's pushes (pub/sub diffs).
 */
export async function startJoin(
  host: LiveHost,
  identity: ConnectionIdentity,
  plan: JoinPlan,
  onPush: (result: StepResult) => void,
): Promise<StartedJoin | JoinRefusal> {
  const { route, url } = plan;
  let stored: StoredView | null = null;
  try {
    stored = restorable(await host.env.stateBackend.get(plan.snapshotKey));
  } catch (error) {
    // Mounting afresh would silently roll the view back to its initial state (and its next
    // write would overwrite the stored one): refuse, and the client rejoins with backoff.
    if (error instanceof ServiceUnavailable) return refuse({ ...error.toJSON() });
    host.env.logger.error("reading a view snapshot failed; mounting instead", {
      view: route.view.name,
      error: errorText(error),
    });
  }
  const user = identity.user;
  const request = new JoinRequest(url, user, identity.session, identity.transport, identity);
  const token = plan.params._csrf_token;
  let started: Awaited<ReturnType<typeof LiveInstance.start>>;
  try {
    started = await LiveInstance.start({
      env: host.env,
      route,
      request,
      routeParams: plan.routeParams,
      caller: { user, key: identity.caller },
      id: plan.snapshotKey,
      connected: true,
      stored,
      // verifyCsrf passed, so the connection's copy of the token equals the join's.
      csrfToken: identity.csrfToken ?? (typeof token === "string" ? token : undefined),
      // The official client hands back the flash of the `live_redirect` that led here.
      flash: readFlash(host.flashTokens, plan.flashToken),
      onPush,
      place: plan.place,
      nested: plan.parent !== undefined,
    });
  } catch (error) {
    if (error instanceof AccessDenied) {
      if (error.reason === "redirect") return refuse({ redirect: { to: error.to ?? "/" } });
      if (error.reason === "login")
        return refuse({ redirect: { to: loginRedirect(host.loginUrl, url) } });
      return refuse({ reason: "unauthorized", error: error.error.kind, message: error.message });
    }
    if (error instanceof ServiceUnavailable) return refuse({ ...error.toJSON() });
    host.env.logger.error(`mounting ${route.view.name} failed`, {
      view: route.view.name,
      error: errorText(error),
    });
    return refuse({
      reason: "join crashed",
      error: "mount_failed",
      message: host.env.debug && error instanceof Error ? error.message : "Mount failed.",
    });
  }
  const { instance, navigation } = started;
  if (navigation && navigation.kind !== "patch") {
    await instance.close({ discard: true });
    return refuse(navigationReply(navigation, signFlash(host.flashTokens, started.flash ?? {})));
  }
  return navigation ? { instance, request, patch: navigation } : { instance, request };
}

/**
 * The `ok` reply of a join (`rendered`, and the `live_patch` that mount asked for) and the
 * diff of that patch, pushed just before the reply.
 */
export async function joinReply(
  host: LiveHost,
  plan: JoinPlan,
  started: StartedJoin,
): Promise<{ response: JsonRecord; diff: WireRendered | null }> {
  const { instance, patch } = started;
  const response: JsonRecord = {
    liveview_version: host.liveviewVersion,
    rendered: instance.renderFull().wire,
  };
  let diff: WireRendered | null = null;
  if (patch) {
    const result = await instance.patch(new URL(patch.to, plan.url));
    Object.assign(response, navigationReply(patch));
    diff = result.diff;
  }
  started.request.release();
  return { response, diff };
}

/** Whether a join step was refused. */
export function isRefusal(value: object): value is JoinRefusal {
  return "refused" in value;
}
