/**
 * The HTTP API transport: `POST <prefix><slug>/<handler>/` through the shared dispatch, plus
 * `GET <prefix>openapi.json` and the reference page. Framework-agnostic: it takes a web
 * `Request` and returns a `Response`; `installApi` mounts it on the app's Hono instance.
 *
 * The order of checks is part of the contract (DESIGN.md §5, §10), so that a response never
 * tells an unauthenticated caller more than "authenticate first": OPTIONS → method → view →
 * auth → CSRF → body → mount → view-level login/permissions → handler lookup, permission, rate
 * limit, validation, call (in `dispatch`).
 * @module
 */
import {
  authClassesOf,
  isCsrfExemptAuth,
  type AuthClass,
  type AuthContext,
} from "../auth/classes.js";
import { callerKey, clientIp } from "../auth/caller.js";
import { getCookie } from "../auth/cookies.js";
import { verifyCsrf } from "../auth/csrf.js";
import { SESSION_COOKIE, type Session, type SessionManager } from "../auth/session.js";
import type { User } from "../auth/user.js";
import { isAuthenticated, requirePermissions, viewPermissions } from "../auth/user.js";
import { DjustError, NotFound, RateLimited, Unauthenticated } from "../errors.js";
import type { Logger } from "../logger.js";
import type { RateLimitStore } from "../ratelimit/bucket.js";
import { toWire, type SerializationPolicy } from "../state/codec.js";
import type { JsonValue } from "../state/serializable.js";
import { StateTracker, wireState } from "../state/tracker.js";
import { serializeResult } from "../view/api-response.js";
import { asDjustError, dispatch, isApiResponse, type DispatchContext } from "../view/dispatch.js";
import type { LiveView, LiveViewClass } from "../view/live-view.js";
import { liveRequestFrom, runtimeOf, type LiveRequest, type Params } from "../view/runtime.js";
import { readJsonObject } from "./body.js";
import { DOCS_CSS, DOCS_JS, docsHtml } from "./docs.js";
import { generateOpenApi, type OpenApiDocument } from "./openapi.js";

/** A view reachable over the API. */
export interface ApiViewEntry {
  readonly slug: string;
  readonly view: LiveViewClass;
  /**
   * Params for `setup`/`mount` (the `liveSession` services). Built per instance, so a
   * function-valued service is called with the request each time.
   */
  params?(request: LiveRequest): Params | Promise<Params>;
}

/** OpenAPI options (`createApp({ openapi })`). */
export interface ApiOpenApiOptions {
  readonly title?: string;
  readonly version?: string;
  readonly description?: string;
  /** `false`: the document and docs page answer 404 unless the caller is authenticated. */
  readonly public?: boolean;
}

/** What the API needs from the app. */
export interface ApiHost {
  /** Normalised prefix with leading and trailing slash, e.g. `/djust/api/`. */
  readonly prefix: string;
  view(slug: string): ApiViewEntry | undefined;
  views(): Iterable<ApiViewEntry>;
  readonly sessions: SessionManager;
  loadUser(id: string | number): Promise<User | null>;
  readonly rateLimits: RateLimitStore;
  readonly debug: boolean;
  /** The serialization policy of a view class (`AppContext.policyFor`). */
  policyFor(view: LiveViewClass): SerializationPolicy;
  readonly logger: Logger;
  readonly bodyBytes: number;
  readonly trustedProxyCount: number;
  readonly openapi?: ApiOpenApiOptions;
}

/** Connection facts the web `Request` does not carry. */
export interface ApiConnection {
  /** The socket peer address; absent with `app.fetch`. */
  readonly remoteAddress?: string | null;
}

/** Serves one API request; `null` when the path is outside the API prefix. */
export type ApiHandler = (request: Request, connection?: ApiConnection) => Promise<Response | null>;

const JSON_HEADERS = {
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
} as const;

function json(status: number, body: unknown, extra?: Record<string, string>): Response {
  // The shared header object is only read (Response init is copied), so the hot path skips a spread.
  const headers = extra ? { ...JSON_HEADERS, ...extra } : JSON_HEADERS;
  if (status === 204 || status === 205 || status === 304) {
    return new Response(null, { status, headers });
  }
  return new Response(JSON.stringify(body), { status, headers });
}

/** The JSON error response of `error`; `Retry-After` for 429, `Allow` for 405. */
export function errorResponse(error: DjustError, extra?: Record<string, string>): Response {
  const headers: Record<string, string> = { ...extra };
  if (error instanceof RateLimited) headers["retry-after"] = String(error.retryAfter);
  return json(error.status, error.toJSON(), headers);
}

function methodNotAllowed(allow: string): Response {
  return errorResponse(
    new DjustError("method_not_allowed", 405, `Method not allowed; use ${allow.split(", ")[0]}.`),
    { allow },
  );
}

const authCache = new WeakMap<object, AuthClass[]>();

function authFor(view: LiveViewClass): AuthClass[] {
  let classes = authCache.get(view);
  if (!classes) authCache.set(view, (classes = authClassesOf(view)));
  return classes;
}

/** Errors thrown outside `dispatch` (mount, serialization) mapped like dispatch does. */
function internalError(
  error: unknown,
  kind: "mount_failed" | "serialize_error",
  message: string,
): DjustError {
  return asDjustError(error, (cause) => new DjustError(kind, 500, message, undefined, { cause }));
}

/**
 * The part of a request URL after `prefix`, or `null` outside it. String work only: every API
 * call goes through here, and a full `URL` parse is only needed when a view reads `request.url`.
 */
function pathAfter(url: string, prefix: string): string | null {
  const scheme = url.indexOf("://");
  const start = scheme < 0 ? 0 : url.indexOf("/", scheme + 3);
  if (start < 0) return null;
  let end = url.indexOf("?", start);
  const hash = url.indexOf("#", start);
  if (end < 0 || (hash >= 0 && hash < end)) end = hash;
  const path = end < 0 ? url.slice(start) : url.slice(start, end);
  if (!path.startsWith(prefix)) return null;
  const rest = path.slice(prefix.length);
  // Percent-encoded or dot segments need real URL normalisation; they are rare, so only then.
  if (rest.includes("%") || rest.includes(".")) {
    const normalised = new URL(url).pathname;
    return normalised.startsWith(prefix) ? normalised.slice(prefix.length) : null;
  }
  return rest;
}

/** The dispatch context of an API call. */
class HttpDispatch implements DispatchContext {
  readonly transport = "http";
  readonly coerceStrings = false;
  readonly requireExposed = true;

  constructor(
    readonly user: User,
    readonly sessionId: string | null,
    readonly clientIp: string | null,
    readonly slug: string,
    readonly rateLimits: RateLimitStore,
    readonly tracker: StateTracker,
    readonly httpRequest: Request,
  ) {}

  /** Only rate-limited handlers read it, and a session caller costs a hash. */
  get caller(): string {
    return callerKey({ user: this.user, sessionId: this.sessionId, clientIp: this.clientIp });
  }
}

/** Creates the API request handler for an app. */
export function createApiHandler(host: ApiHost): ApiHandler {
  const prefix = host.prefix;
  const loadUser = (id: string | number) => host.loadUser(id);
  function report(error: DjustError, view: LiveViewClass, handler: string): Response {
    if (error.status >= 500) {
      const cause = error.cause instanceof Error ? error.cause : error;
      host.logger.error(`${error.message} ${cause.stack ?? String(cause)}`, {
        view: view.name,
        handler,
        error: error.kind,
      });
      if (host.debug && (error.kind === "handler_error" || error.kind === "mount_failed")) {
        const traceback = cause.stack ?? String(cause);
        return json(error.status, { ...error.toJSON(), details: { ...error.details, traceback } });
      }
    }
    return errorResponse(error);
  }

  // Not async: most API clients send no cookie, and an extra promise per call is measurable.
  function loadSession(request: Request): Promise<Session | null> | null {
    const signed = getCookie(request, SESSION_COOKIE);
    return signed ? host.sessions.load(signed) : null;
  }

  function authContext(session: Session | null, ip: string | null): AuthContext {
    return { session, clientIp: ip, loadUser };
  }

  async function call(
    request: Request,
    slug: string,
    handler: string,
    connection: ApiConnection,
  ): Promise<Response> {
    const entry = host.view(slug);
    if (!entry) return errorResponse(new NotFound(`No API view "${slug}".`));
    const View = entry.view;
    let user: User;
    let session: Session | null;
    let ip: string | null;
    let body: Record<string, unknown>;
    try {
      const pending = loadSession(request);
      session = pending ? await pending : null;
      ip = clientIp(request.headers, connection.remoteAddress, host.trustedProxyCount);
      // Inline rather than `authenticate()`: synchronous classes (AllowAny, most token
      // checks) then cost no promise per call.
      const ctx = authContext(session, ip);
      let winner: AuthClass | undefined;
      let found: User | null | undefined;
      for (const auth of authFor(View)) {
        const outcome = auth.authenticate(request, ctx);
        found = outcome instanceof Promise ? await outcome : outcome;
        if (found) {
          winner = auth;
          break;
        }
      }
      if (!winner || !found) throw new Unauthenticated();
      user = found;
      if (!(View.csrfExempt || isCsrfExemptAuth(winner))) {
        verifyCsrf(request, { sessionToken: session?.record.csrfToken ?? null });
      }
    } catch (error) {
      if (error instanceof DjustError) return report(error, View, handler);
      // A crashing auth class (its store is down, …) is a server error, never a pass.
      const failure = new DjustError("handler_error", 500, "Authentication failed.", undefined, {
        cause: error,
      });
      return report(failure, View, handler);
    }
    try {
      body = await readJsonObject(request, host.bodyBytes);
    } catch (error) {
      if (error instanceof DjustError) return report(error, View, handler);
      // The client went away or sent a broken stream.
      return errorResponse(new DjustError("invalid_json", 400, "Could not read the request body."));
    }

    const liveRequest = liveRequestFrom(request, user, session?.record.data ?? {}, "http");
    const policy = host.policyFor(View);
    const tracker = new StateTracker(policy);
    let view: LiveView;
    try {
      view = new View();
      runtimeOf(view).request = liveRequest;
      const params = entry.params ? await entry.params(liveRequest) : {};
      if (view.setup) await view.setup(liveRequest, params);
      if (view.mount) await view.mount(liveRequest, params);
    } catch (error) {
      return report(
        internalError(error, "mount_failed", `${View.name} failed to mount.`),
        View,
        handler,
      );
    }
    try {
      if (View.loginRequired && !isAuthenticated(user)) throw new Unauthenticated();
      const permissions = viewPermissions(View);
      if (permissions.length > 0) await requirePermissions(user, permissions);
      tracker.reset(view);
    } catch (error) {
      return report(
        internalError(error, "mount_failed", `${View.name} failed to mount.`),
        View,
        handler,
      );
    }

    const outcome = await dispatch(
      view,
      handler,
      body,
      new HttpDispatch(user, session?.id ?? null, ip, slug, host.rateLimits, tracker, request),
    );
    if (!outcome.ok) return report(outcome.error, View, handler);

    try {
      const { result } = outcome;
      if (isApiResponse(result)) {
        const value = await serializeResult(result);
        return json(result.status ?? 200, { result: wire(value, policy), assigns: {} });
      }
      return json(200, {
        result: wire(result, policy),
        assigns: wireState(view, outcome.changed, policy),
      });
    } catch (error) {
      return report(
        internalError(error, "serialize_error", "Could not serialize the response."),
        View,
        handler,
      );
    }
  }

  async function mayReadDocument(request: Request, connection: ApiConnection): Promise<boolean> {
    if (host.openapi?.public !== false) return true;
    const session = await loadSession(request);
    const ip = clientIp(request.headers, connection.remoteAddress, host.trustedProxyCount);
    const ctx = authContext(session, ip);
    const seen = new Set<AuthClass>();
    for (const entry of host.views()) {
      for (const auth of authFor(entry.view)) {
        if (seen.has(auth)) continue;
        seen.add(auth);
        try {
          if (isAuthenticated(await auth.authenticate(request, ctx))) return true;
        } catch {
          // a class refusing this request just means "not this one"
        }
      }
    }
    return false;
  }

  const document = () => apiDocument(host);

  return async (request, connection = {}) => {
    const rest = pathAfter(request.url, prefix);
    if (rest === null) return null;
    const method = request.method.toUpperCase();

    const asset = ASSETS[rest];
    if (asset) {
      if (method === "OPTIONS")
        return new Response(null, { status: 204, headers: { allow: "GET, HEAD" } });
      if (method !== "GET" && method !== "HEAD") return methodNotAllowed("GET, HEAD");
      if (!(await mayReadDocument(request, connection))) {
        return errorResponse(new NotFound("Not found."));
      }
      return asset(document, prefix);
    }

    // `<slug>/<handler>` with an optional trailing slash, nothing else.
    const slash = rest.indexOf("/");
    const end = rest.endsWith("/") ? rest.length - 1 : rest.length;
    const extra = rest.indexOf("/", slash + 1);
    if (slash <= 0 || slash + 1 >= end || (extra !== -1 && extra < end)) {
      return errorResponse(new NotFound(`No API endpoint at ${prefix}${rest}.`));
    }
    if (method === "OPTIONS") {
      return new Response(null, { status: 204, headers: { allow: "POST" } });
    }
    if (method !== "POST") return methodNotAllowed("POST");
    return call(request, rest.slice(0, slash), rest.slice(slash + 1, end), connection);
  };
}

/** The OpenAPI document of the views an {@link ApiHost} serves. */
export function apiDocument(host: ApiHost): OpenApiDocument {
  const views = [...host.views()].map(({ slug, view }) => ({ slug, view }));
  return generateOpenApi(views, { ...host.openapi, prefix: host.prefix });
}

function wire(value: unknown, policy: SerializationPolicy): JsonValue {
  return value === undefined ? null : toWire(value, "result", policy);
}

type Asset = (document: () => OpenApiDocument, prefix: string) => Response;

const ASSET_HEADERS = {
  "x-content-type-options": "nosniff",
  "cache-control": "no-cache",
} as const;

const ASSETS: Readonly<Record<string, Asset>> = {
  "openapi.json": (document) => json(200, document(), { "cache-control": "no-cache" }),
  docs: (_document, prefix) =>
    new Response(docsHtml(prefix), {
      headers: {
        ...ASSET_HEADERS,
        "content-type": "text/html; charset=utf-8",
        "content-security-policy":
          "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      },
    }),
  "docs/": (document, prefix) => (ASSETS.docs as Asset)(document, prefix),
  "docs/docs.js": () =>
    new Response(DOCS_JS, {
      headers: { ...ASSET_HEADERS, "content-type": "text/javascript; charset=utf-8" },
    }),
  "docs/docs.css": () =>
    new Response(DOCS_CSS, {
      headers: { ...ASSET_HEADERS, "content-type": "text/css; charset=utf-8" },
    }),
};
