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
import {
  asDjustError,
  dispatch,
  isApiResponse,
  type DispatchContext,
  type DispatchOutcome,
} from "../view/dispatch.js";
import type { LiveView, LiveViewClass } from "../view/live-view.js";
import { liveRequestFrom, runtimeOf, type LiveRequest, type Params } from "../view/runtime.js";
import { readJsonObject } from "./body.js";
import { DOCS_CSS, DOCS_JS, docsHtml } from "./docs.js";
import { andThen, isThenable, mapFailure, type MaybePromise } from "../maybe-promise.js";
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

/**
 * Serves one API request; `null` (synchronously) when the path is outside the API prefix, so a
 * caller can fall through to its other routes without waiting.
 */
export type ApiHandler = (
  request: Request,
  connection?: ApiConnection,
) => Response | Promise<Response> | null;

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

/** Every step maps its own failures; anything else reaching the top is a bug, reported as 500. */
function unexpected(error: unknown): DjustError {
  return asDjustError(
    error,
    (cause) => new DjustError("handler_error", 500, "Internal error.", undefined, { cause }),
  );
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
  readonly user: User;
  readonly #caller: Caller;

  constructor(
    caller: Caller,
    readonly slug: string,
    readonly rateLimits: RateLimitStore,
    readonly tracker: StateTracker,
    readonly httpRequest: Request,
  ) {
    this.user = caller.user;
    this.#caller = caller;
  }

  /** Only rate-limited handlers read it, and a session caller costs a hash. */
  get caller(): string {
    const { user, session, ip } = this.#caller;
    return callerKey({ user, sessionId: session?.id ?? null, clientIp: ip });
  }
}

/** Who is calling: established by the auth classes before the body is read. */
interface Caller {
  readonly user: User;
  readonly session: Session | null;
  readonly ip: string | null;
}

const NO_CONNECTION: ApiConnection = {};

/** The first auth class that recognises the request, and its user; 401 when none does. */
function firstUser(
  classes: readonly AuthClass[],
  from: number,
  request: Request,
  ctx: AuthContext,
): MaybePromise<readonly [AuthClass, User]> {
  for (let i = from; i < classes.length; i++) {
    const auth = classes[i] as AuthClass;
    const outcome = auth.authenticate(request, ctx);
    if (isThenable(outcome)) {
      return Promise.resolve(outcome).then((user) =>
        user ? ([auth, user] as const) : firstUser(classes, i + 1, request, ctx),
      );
    }
    if (outcome) return [auth, outcome];
  }
  throw new Unauthenticated();
}

/** A crashing auth class (its store is down, …) is a server error, never a pass. */
function authFailure(error: unknown): DjustError {
  if (error instanceof DjustError) return error;
  return new DjustError("handler_error", 500, "Authentication failed.", undefined, {
    cause: error,
  });
}

/**
 * Creates the API request handler for an app. Every step that is synchronous for a call (most
 * auth classes, `mount`, validation, the handler) runs without a promise: reading the body is
 * the only await of a typical call.
 */
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

  // Most API clients send no cookie: then there is nothing to await.
  function loadSession(request: Request): Promise<Session | null> | null {
    const signed = getCookie(request, SESSION_COOKIE);
    return signed ? host.sessions.load(signed) : null;
  }

  function authContext(session: Session | null, ip: string | null): AuthContext {
    return { session, clientIp: ip, loadUser };
  }

  /** Session, auth classes, then CSRF unless the view or the winning class is exempt. */
  function authenticate(
    request: Request,
    View: LiveViewClass,
    connection: ApiConnection,
  ): MaybePromise<Caller> {
    return mapFailure(() => {
      const ip = clientIp(request.headers, connection.remoteAddress, host.trustedProxyCount);
      return andThen(loadSession(request), (session) =>
        andThen(firstUser(authFor(View), 0, request, authContext(session, ip)), ([auth, user]) => {
          if (!(View.csrfExempt || isCsrfExemptAuth(auth))) {
            verifyCsrf(request, { sessionToken: session?.record.csrfToken ?? null });
          }
          return { user, session, ip };
        }),
      );
    }, authFailure);
  }

  /** A fresh instance: `setup`, `mount`, view-level access checks, then the state baseline. */
  function mountView(
    entry: ApiViewEntry,
    request: Request,
    caller: Caller,
    tracker: StateTracker,
  ): MaybePromise<LiveView> {
    const View = entry.view;
    return mapFailure(
      () => {
        const { user } = caller;
        const liveRequest = liveRequestFrom(
          request,
          user,
          caller.session?.record.data ?? {},
          "http",
        );
        const view = new View();
        runtimeOf(view).request = liveRequest;
        return andThen(entry.params ? entry.params(liveRequest) : {}, (params) =>
          andThen(view.setup?.(liveRequest, params), () =>
            andThen(view.mount?.(liveRequest, params), () => {
              if (View.loginRequired && !isAuthenticated(user)) throw new Unauthenticated();
              const permissions = viewPermissions(View);
              const permitted =
                permissions.length > 0 ? requirePermissions(user, permissions) : undefined;
              return andThen(permitted, () => {
                tracker.reset(view);
                return view;
              });
            }),
          ),
        );
      },
      (error) => internalError(error, "mount_failed", `${View.name} failed to mount.`),
    );
  }

  /** The `{ result, assigns }` envelope, or the error of a refused or failed call. */
  function respond(
    outcome: DispatchOutcome,
    view: LiveView,
    policy: SerializationPolicy,
    View: LiveViewClass,
    handler: string,
  ): MaybePromise<Response> {
    if (!outcome.ok) return report(outcome.error, View, handler);
    const { result } = outcome;
    return mapFailure(
      () => {
        if (!isApiResponse(result)) {
          return json(200, {
            result: wire(result, policy),
            assigns: wireState(view, outcome.changed, policy),
          });
        }
        return andThen(serializeResult(result), (value) =>
          json(result.status ?? 200, { result: wire(value, policy), assigns: {} }),
        );
      },
      (error) => internalError(error, "serialize_error", "Could not serialize the response."),
    );
  }

  function call(
    request: Request,
    slug: string,
    handler: string,
    connection: ApiConnection,
  ): Response | Promise<Response> {
    const entry = host.view(slug);
    if (!entry) return errorResponse(new NotFound(`No API view "${slug}".`));
    const View = entry.view;
    const policy = host.policyFor(View);
    let response: MaybePromise<Response>;
    try {
      response = andThen(authenticate(request, View, connection), (caller) =>
        andThen(readJsonObject(request, host.bodyBytes), (body) => {
          const tracker = new StateTracker(policy);
          return andThen(mountView(entry, request, caller, tracker), (view) => {
            const ctx = new HttpDispatch(caller, slug, host.rateLimits, tracker, request);
            return andThen(dispatch(view, handler, body, ctx), (outcome) =>
              respond(outcome, view, policy, View, handler),
            );
          });
        }),
      );
    } catch (error) {
      return report(unexpected(error), View, handler);
    }
    if (!isThenable(response)) return response;
    return Promise.resolve(response).catch((error: unknown) =>
      report(unexpected(error), View, handler),
    );
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

  async function serveAsset(
    asset: Asset,
    request: Request,
    connection: ApiConnection,
  ): Promise<Response> {
    if (!(await mayReadDocument(request, connection))) {
      return errorResponse(new NotFound("Not found."));
    }
    return asset(() => apiDocument(host), prefix);
  }

  return (request, connection = NO_CONNECTION) => {
    const rest = pathAfter(request.url, prefix);
    if (rest === null) return null;
    const method = request.method.toUpperCase();

    const asset = ASSETS[rest];
    if (asset) {
      if (method === "OPTIONS")
        return new Response(null, { status: 204, headers: { allow: "GET, HEAD" } });
      if (method !== "GET" && method !== "HEAD") return methodNotAllowed("GET, HEAD");
      return serveAsset(asset, request, connection);
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
