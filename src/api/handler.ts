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
import { isAuthenticated } from "../auth/user.js";
import {
  DjustError,
  MethodNotAllowed,
  MountFailed,
  NotFound,
  RateLimited,
  Unauthenticated,
} from "../errors.js";
import type { Logger } from "../logger.js";
import type { RateLimitStore } from "../ratelimit/bucket.js";
import { toWire, type SerializationPolicy } from "../state/codec.js";
import type { JsonValue } from "../state/serializable.js";
import { StateTracker, wireState } from "../state/tracker.js";
import { serializeResult, type ApiResponse } from "../view/api-response.js";
import {
  asDjustError,
  dispatch,
  isApiResponse,
  type DispatchContext,
  type DispatchOutcome,
} from "../pipeline/dispatch.js";
import type { LiveView, LiveViewClass } from "../view/live-view.js";
import { AccessDenied, startView, type StartedView } from "../pipeline/lifecycle.js";
import { CallPubSub } from "../pipeline/pubsub.js";
import type { PubSub } from "../pubsub/types.js";
import { liveRequestFrom } from "../view/runtime.js";
import { bodyReadError, parseJsonObject, readJsonText } from "./body.js";
import { DOCS_CSS, DOCS_JS, docsHtml } from "./docs.js";
import { isThenable, type MaybePromise } from "../maybe-promise.js";
import { generateOpenApi, type OpenApiDocument } from "./openapi.js";

/** A view reachable over the API. */
export interface ApiViewEntry {
  readonly slug: string;
  readonly view: LiveViewClass;
  /**
   * The `liveSession` services: each reaches `setup`/`mount` as `params[name]`; a function
   * value is called per instance with the request.
   */
  readonly services?: Readonly<Record<string, unknown>>;
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
  /** Where a handler's `broadcast` goes: live views on every node sharing it. */
  readonly pubsub: PubSub;
  readonly debug: boolean;
  /** The serialization policy of a view class (`AppContext.policyFor`). */
  policyFor(view: LiveViewClass): SerializationPolicy;
  readonly logger: Logger;
  readonly bodyBytes: number;
  readonly trustedProxyCount: number;
  readonly openapi?: ApiOpenApiOptions;
}

/**
 * What the server knows beyond the web `Request`. A Node `IncomingMessage` is one; with
 * `app.fetch` there is none.
 */
export interface ApiConnection {
  /** The socket, for the peer address. */
  readonly socket?: { readonly remoteAddress?: string | undefined } | null;
  /**
   * Node's parsed request headers (lower-case names, already validated by its HTTP parser).
   * The hot headers of every call are read here, skipping the web `Headers` layer: that layer
   * re-validates each name and value, ≈ 2 µs per call for three headers under load.
   */
  readonly headers?: Readonly<Record<string, string | string[] | undefined>>;
}

/** The request headers every call reads: from Node's parsed headers when there are some. */
class CallHeaders implements Pick<Headers, "get"> {
  readonly #request: Request;
  readonly #node: ApiConnection["headers"];

  constructor(request: Request, connection: ApiConnection) {
    this.#request = request;
    this.#node = connection.headers;
  }

  get(name: string): string | null {
    const node = this.#node;
    if (!node) return this.#request.headers.get(name);
    // A string for every request header but Set-Cookie: Node joins repeated Cookie lines with
    // "; ", other repeats with ", ", and keeps the first of singletons like Content-Type.
    const value = node[name.toLowerCase()];
    return typeof value === "string" ? value : null;
  }
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
  return errorResponse(new MethodNotAllowed(allow), { allow });
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
  kind: "mount_failed" | "serialize_error" | "handler_error",
  message: string,
): DjustError {
  return asDjustError(error, (cause) => new DjustError(kind, message, undefined, { cause }));
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

/** What a step of an API call returns. */
type Reply = Response | Promise<Response>;

/** Where a call is: a failure that is not already a {@link DjustError} is reported as this step's. */
type Step = "auth" | "body" | "mount" | "dispatch" | "respond";

function stepError(step: Step, error: unknown, View: LiveViewClass): DjustError {
  switch (step) {
    case "auth":
      // A crashing auth class (its store is down, …) is a server error, never a pass.
      return internalError(error, "handler_error", "Authentication failed.");
    case "mount":
      if (error instanceof AccessDenied) return error.error;
      return asDjustError(error, (cause) => new MountFailed(View.name, cause));
    case "respond":
      return internalError(error, "serialize_error", "Could not serialize the response.");
    case "body":
      return bodyReadError(error);
    default:
      // `dispatch` reports its own failures; anything else is a bug.
      return internalError(error, "handler_error", "Internal error.");
  }
}

/** What every call of one handler shares. */
interface ApiScope {
  readonly host: ApiHost;
  readonly loadUser: (id: string | number) => Promise<User | null>;
  report(error: DjustError, view: LiveViewClass, handler: string): Response;
  loadSession(headers: Pick<Headers, "get">): MaybePromise<Session | null>;
}

/**
 * One API call: authenticate, read the body, mount a fresh view, dispatch, respond. Each step
 * is a method chained by `#then`, so a call whose steps are all synchronous (most auth
 * classes, `mount`, validation, handlers) allocates no closures and awaits only the body read.
 */
class ApiCall implements AuthContext, DispatchContext {
  // What auth classes see (AuthContext) and what `dispatch` needs (DispatchContext): both are
  // facts of this one call, so the call is both, and costs one object instead of three.
  readonly transport = "http";
  readonly coerceStrings = false;
  readonly requireExposed = true;
  readonly slug: string;
  readonly rateLimits: RateLimitStore;
  readonly tracker: StateTracker;
  readonly httpRequest: Request;
  readonly loadUser: (id: string | number) => Promise<User | null>;
  session: Session | null = null;
  user: User | null = null;

  #step: Step = "auth";
  readonly #scope: ApiScope;
  readonly #entry: ApiViewEntry;
  readonly #handler: string;
  readonly #connection: ApiConnection;
  readonly #headers: CallHeaders;
  readonly #policy: SerializationPolicy;
  #clientIp: string | null | undefined = undefined;
  #body: Record<string, unknown> = {};
  #view: LiveView | undefined;
  #result: unknown = undefined;

  constructor(
    scope: ApiScope,
    request: Request,
    entry: ApiViewEntry,
    handler: string,
    connection: ApiConnection,
  ) {
    this.#scope = scope;
    this.httpRequest = request;
    this.#entry = entry;
    this.#handler = handler;
    this.#connection = connection;
    this.#headers = new CallHeaders(request, connection);
    this.slug = entry.slug;
    this.rateLimits = scope.host.rateLimits;
    this.loadUser = scope.loadUser;
    this.#policy = scope.host.policyFor(entry.view);
    this.tracker = new StateTracker(this.#policy);
  }

  /** The client address, worked out when first read (rate limits, address-aware auth). */
  get clientIp(): string | null {
    if (this.#clientIp === undefined) {
      const remoteAddress = this.#connection.socket?.remoteAddress;
      const trusted = this.#scope.host.trustedProxyCount;
      this.#clientIp = clientIp(this.httpRequest.headers, remoteAddress, trusted);
    }
    return this.#clientIp;
  }

  /** The rate-limit caller key; only rate-limited handlers read it (a session costs a hash). */
  get caller(): string {
    const { user, session } = this;
    return callerKey({ user, sessionId: session?.id ?? null, clientIp: this.clientIp });
  }

  run(): Reply {
    try {
      return this.#then(this.#scope.loadSession(this.#headers), this.#authenticate);
    } catch (error) {
      return this.#failed(error);
    }
  }

  /**
   * Runs step `next` on `value` now, or once it resolves. Every step returns a `Response` or
   * the result of this method, so each asynchronous hop carries its own error handling and a
   * call needs no catch-all promise at the end.
   */
  #then<T>(value: MaybePromise<T>, next: (this: ApiCall, value: T) => Reply): Reply {
    if (!isThenable(value)) return next.call(this, value);
    return Promise.resolve(value).then(
      (resolved) => this.#guarded(next, resolved),
      (error: unknown) => this.#failed(error),
    );
  }

  #guarded<T>(next: (this: ApiCall, value: T) => Reply, value: T): Reply {
    try {
      return next.call(this, value);
    } catch (error) {
      return this.#failed(error);
    }
  }

  #failed(error: unknown): Response {
    const View = this.#entry.view;
    return this.#scope.report(stepError(this.#step, error, View), View, this.#handler);
  }

  #authenticate(session: Session | null): Reply {
    this.session = session;
    const found = firstUser(authFor(this.#entry.view), 0, this.httpRequest, this);
    return this.#then(found, this.#authenticated);
  }

  /** CSRF unless the view or the winning auth class is exempt, then the body. */
  #authenticated([winner, user]: readonly [AuthClass, User]): Reply {
    if (!(this.#entry.view.csrfExempt || isCsrfExemptAuth(winner))) {
      const sessionToken = this.session?.record.csrfToken ?? null;
      verifyCsrf(this.httpRequest, { sessionToken, headers: this.#headers });
    }
    this.user = user;
    this.#step = "body";
    const limit = this.#scope.host.bodyBytes;
    return this.#then(readJsonText(this.httpRequest, limit, this.#headers), this.#parse);
  }

  #parse(text: string): Reply {
    return this.#mount(parseJsonObject(text, this.#scope.host.bodyBytes));
  }

  /** A fresh instance through the one lifecycle: services, `setup`, `mount`, access. */
  #mount(body: Record<string, unknown>): Reply {
    this.#body = body;
    this.#step = "mount";
    const View = this.#entry.view;
    const host = this.#scope.host;
    const started = startView({
      View,
      request: liveRequestFrom(
        this.httpRequest,
        this.user,
        this.session?.record.data ?? {},
        "http",
      ),
      params: {},
      services: this.#entry.services,
      connected: false,
      pubsub: new CallPubSub(host.pubsub, host.logger, View.name),
      logger: host.logger,
    });
    return this.#then(started, this.#dispatch);
  }

  #dispatch({ view }: StartedView): Reply {
    this.#view = view;
    this.tracker.reset(view);
    this.#step = "dispatch";
    return this.#then(dispatch(view, this.#handler, this.#body, this), this.#respond);
  }

  /** The `{ result, assigns }` envelope, or the error of a refused or failed call. */
  #respond(outcome: DispatchOutcome): Reply {
    if (!outcome.ok) return this.#scope.report(outcome.error, this.#entry.view, this.#handler);
    this.#step = "respond";
    const { result } = outcome;
    const policy = this.#policy;
    if (!isApiResponse(result)) {
      const assigns = wireState(this.#view as LiveView, outcome.changed, policy);
      return json(200, { result: wire(result, policy), assigns });
    }
    this.#result = result;
    return this.#then(serializeResult(result), this.#respondWith);
  }

  /** The envelope of an {@link ApiResponse}: its serialized result and status, no assigns. */
  #respondWith(value: unknown): Response {
    const status = (this.#result as ApiResponse).status ?? 200;
    return json(status, { result: wire(value, this.#policy), assigns: {} });
  }
}

/** Creates the API request handler for an app. */
export function createApiHandler(host: ApiHost): ApiHandler {
  const prefix = host.prefix;
  const scope: ApiScope = {
    host,
    loadUser: (id) => host.loadUser(id),
    report(error, view, handler) {
      if (error.status >= 500) {
        const cause = error.cause instanceof Error ? error.cause : error;
        host.logger.error(`${error.message} ${cause.stack ?? String(cause)}`, {
          view: view.name,
          handler,
          error: error.kind,
        });
        if (host.debug && (error.kind === "handler_error" || error.kind === "mount_failed")) {
          const traceback = cause.stack ?? String(cause);
          const body = { ...error.toJSON(), details: { ...error.details, traceback } };
          return json(error.status, body);
        }
      }
      return errorResponse(error);
    },
    // Nothing to await without a session cookie, or with a synchronous (memory) store.
    loadSession(headers) {
      const signed = getCookie(headers, SESSION_COOKIE);
      return signed ? host.sessions.load(signed) : null;
    },
  };

  async function mayReadDocument(request: Request, connection: ApiConnection): Promise<boolean> {
    if (host.openapi?.public !== false) return true;
    const ctx: AuthContext = {
      session: await scope.loadSession(request.headers),
      clientIp: clientIp(request.headers, connection.socket?.remoteAddress, host.trustedProxyCount),
      loadUser: scope.loadUser,
    };
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
    const slug = rest.slice(0, slash);
    const entry = host.view(slug);
    if (!entry) return errorResponse(new NotFound(`No API view "${slug}".`));
    return new ApiCall(scope, request, entry, rest.slice(slash + 1, end), connection).run();
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
