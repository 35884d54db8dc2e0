/**
 * One HTTP API call, from the session cookie to the response: the steps of {@link ApiCall},
 * in the order of its `#steps` list. The router has already answered `OPTIONS`, refused methods
 * other than `POST` and found the view. The order is part of the contract (DESIGN.md §5, §10),
 * so that a response never tells an unauthenticated caller more than "authenticate first":
 * session → auth → CSRF → body → mount (the shared lifecycle, `src/pipeline/lifecycle.ts`:
 * services, `setup`, `mount`, view-level login/permissions) → dispatch (`src/pipeline/dispatch.ts`:
 * handler lookup, permission, rate limit, validation, call) → respond.
 *
 * A call is synchronous unless a step really returns a promise (an async auth class, session
 * store, `mount`, permission check, rate-limit store, schema or handler): most calls await only
 * the body read (bench/RESULTS.md, "HTTP API").
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
import { SESSION_COOKIE, type Session } from "../auth/session.js";
import type { User } from "../auth/user.js";
import { DjustError, MountFailed, Unauthenticated } from "../errors.js";
import { isThenable, type MaybePromise } from "../maybe-promise.js";
import {
  asDjustError,
  dispatch,
  isApiResponse,
  type DispatchContext,
  type DispatchOutcome,
} from "../pipeline/dispatch.js";
import { AccessDenied, startView, type StartedView } from "../pipeline/lifecycle.js";
import { CallPubSub } from "../pipeline/pubsub.js";
import type { RateLimitStore } from "../ratelimit/bucket.js";
import type { SerializationPolicy } from "../state/codec.js";
import { StateTracker, wireState } from "../state/tracker.js";
import { serializeResult } from "../view/api-response.js";
import type { LiveView, LiveViewClass } from "../view/live-view.js";
import { liveRequestFrom } from "../view/runtime.js";
import { bodyReadError, parseJsonObject, readJsonText } from "./body.js";
import { CallHeaders, type ApiConnection } from "./connection.js";
import { causeStack, debugErrorResponse, envelope, errorResponse } from "./envelope.js";
import type { ApiHost, ApiViewEntry } from "./host.js";
import { traced, tracing } from "../telemetry.js";

/** What every call of one API handler shares. */
export interface ApiScope {
  readonly host: ApiHost;
  readonly loadUser: (id: string | number) => Promise<User | null>;
  /** The response to a refused or failed call; server errors are logged. */
  report(error: DjustError, view: LiveViewClass, handler: string): Response;
  loadSession(headers: Pick<Headers, "get">): MaybePromise<Session | null>;
}

/** The scope of every call that `host` serves. */
export function apiScope(host: ApiHost): ApiScope {
  return {
    host,
    loadUser: (id) => host.loadUser(id),
    report(error, view, handler) {
      if (error.status < 500) return errorResponse(error);
      host.logger.error(`${error.message} ${causeStack(error)}`, {
        view: view.name,
        handler,
        error: error.kind,
      });
      return host.debug ? debugErrorResponse(error) : errorResponse(error);
    },
    // Nothing to await without a session cookie, or with a synchronous (memory) store.
    loadSession(headers) {
      const signed = getCookie(headers, SESSION_COOKIE);
      return signed ? host.sessions.load(signed) : null;
    },
  };
}

/** Runs one call of handler `handler` of `entry`'s view. */
export function runCall(
  scope: ApiScope,
  request: Request,
  entry: ApiViewEntry,
  handler: string,
  connection: ApiConnection,
): Response | Promise<Response> {
  if (!tracing.api.hasSubscribers)
    return new ApiCall(scope, request, entry, handler, connection).run();
  return traced(
    tracing.api,
    () => ({ view: entry.view.name, handler, transport: "http" }),
    () => new ApiCall(scope, request, entry, handler, connection).run(),
    (response) => (response.ok ? "ok" : String(response.status)),
  );
}

const authCache = new WeakMap<object, AuthClass[]>();

/** The auth classes of a view, instantiated once. */
export function authFor(view: LiveViewClass): AuthClass[] {
  let classes = authCache.get(view);
  if (!classes) authCache.set(view, (classes = authClassesOf(view)));
  return classes;
}

/** An auth class that recognised the request, and its user. */
type Found = readonly [AuthClass, User];

/** The first auth class that recognises the request, and its user; 401 when none does. */
function firstUser(
  classes: readonly AuthClass[],
  from: number,
  request: Request,
  ctx: AuthContext,
): MaybePromise<Found> {
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

/** Errors thrown outside `dispatch` (mount, serialization) mapped like dispatch does. */
function internalError(
  error: unknown,
  kind: "mount_failed" | "serialize_error" | "handler_error",
  message: string,
): DjustError {
  return asDjustError(error, (cause) => new DjustError(kind, message, undefined, { cause }));
}

/** What a step reports a failure as when it is not already a {@link DjustError}. */
type Failure = (error: unknown, View: LiveViewClass) => DjustError;

/** A crashing auth class or session store (it is down, …) is a server error, never a pass. */
const authFailed: Failure = (error) =>
  internalError(error, "handler_error", "Authentication failed.");
const bodyFailed: Failure = (error) => bodyReadError(error);
const mountFailed: Failure = (error, View) =>
  error instanceof AccessDenied
    ? error.error
    : asDjustError(error, (cause) => new MountFailed(View.name, cause));
/** `dispatch` reports its own failures; anything else is a bug. */
const dispatchFailed: Failure = (error) => internalError(error, "handler_error", "Internal error.");
const respondFailed: Failure = (error) =>
  internalError(error, "serialize_error", "Could not serialize the response.");

/** One step of a call: it runs on what the step before gave, once that is resolved. */
interface Step {
  readonly run: (call: ApiCall, value: unknown) => unknown;
  readonly failed: Failure;
}

function step<T>(failed: Failure, run: (call: ApiCall, value: T) => unknown): Step {
  return { run: run as Step["run"], failed };
}

/**
 * One API call. Its steps are methods run in the order of `#steps`, synchronously while they
 * return plain values, so a call whose steps are all synchronous (most auth classes, `mount`,
 * validation, handlers) allocates no closures and awaits only the body read.
 */
class ApiCall implements AuthContext, DispatchContext {
  /** The steps of a call, in order. */
  static readonly #steps: readonly Step[] = [
    step(authFailed, (call) => call.#loadSession()),
    step(authFailed, (call, session: Session | null) => call.#authenticate(session)),
    step(authFailed, (call, found: Found) => call.#checkCsrf(found)),
    step(bodyFailed, (call) => call.#readBody()),
    step(bodyFailed, (call, text: string) => call.#parseBody(text)),
    step(mountFailed, (call, body: Record<string, unknown>) => call.#mount(body)),
    step(dispatchFailed, (call, started: StartedView) => call.#dispatch(started)),
    step(respondFailed, (call, outcome: DispatchOutcome) => call.#serialize(outcome)),
    step(respondFailed, (call, result: unknown) => call.#respond(result)),
  ];

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
  /**
   * The cookie's session: what auth classes see, then what the view sees as `this.session`,
   * unless CSRF went unchecked (`null` from then on, see `#checkCsrf`).
   */
  session: Session | null = null;
  user: User | null = null;

  /** The step running, or awaited. */
  #at = 0;
  readonly #scope: ApiScope;
  readonly #entry: ApiViewEntry;
  readonly #handler: string;
  readonly #connection: ApiConnection;
  readonly #headers: CallHeaders;
  readonly #policy: SerializationPolicy;
  #clientIp: string | null | undefined = undefined;
  /** The cookie's session id, which only counts the call (rate limits), CSRF-checked or not. */
  #sessionId: string | null = null;
  #body: Record<string, unknown> = {};
  #view: LiveView | undefined;
  #outcome: DispatchOutcome | undefined;

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
    this.tracker = new StateTracker(this.#policy, { mode: "compare" });
  }

  /** Deepest nesting of a body accepted (`limits.inputDepth`). */
  get inputDepth(): number {
    return this.#scope.host.inputDepth;
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
    return callerKey({ user: this.user, sessionId: this.#sessionId, clientIp: this.clientIp });
  }

  run(): Response | Promise<Response> {
    return this.#from(undefined);
  }

  /**
   * Runs the steps from `#at` on `value`, synchronously while they return plain values. A
   * promise is awaited, and the call goes on from the next step once it resolves: each
   * asynchronous hop carries its own error handling, so a call needs no catch-all promise.
   */
  #from(value: unknown): Response | Promise<Response> {
    const steps = ApiCall.#steps;
    try {
      for (; this.#at < steps.length; this.#at++) {
        value = (steps[this.#at] as Step).run(this, value);
        if (isThenable(value)) return this.#await(value);
      }
    } catch (error) {
      return this.#failed(error);
    }
    return value as Response;
  }

  #await(pending: PromiseLike<unknown>): Promise<Response> {
    return Promise.resolve(pending).then(
      (resolved) => {
        this.#at++;
        return this.#from(resolved);
      },
      (error: unknown) => this.#failed(error),
    );
  }

  #failed(error: unknown): Response {
    const View = this.#entry.view;
    const failure = (ApiCall.#steps[this.#at] as Step).failed(error, View);
    return this.#scope.report(failure, View, this.#handler);
  }

  /** The session of the signed session cookie, if any. */
  #loadSession(): MaybePromise<Session | null> {
    return this.#scope.loadSession(this.#headers);
  }

  /** The view's auth classes in order: the first that recognises the request wins. */
  #authenticate(session: Session | null): MaybePromise<Found> {
    this.session = session;
    this.#sessionId = session?.id ?? null;
    return firstUser(authFor(this.#entry.view), 0, this.httpRequest, this);
  }

  /**
   * CSRF unless the view or the winning auth class is exempt. An unchecked call may come from
   * any site, so it gets none of the cookie's session (its data is not `this.session`): an
   * exempt call acting on the session would let any site act on the user's behalf, as one
   * acting as the session's user would.
   */
  #checkCsrf([winner, user]: Found): void {
    if (this.#entry.view.csrfExempt || isCsrfExemptAuth(winner)) {
      this.session = null;
    } else {
      const sessionToken = this.session?.record.csrfToken ?? null;
      verifyCsrf(this.httpRequest, {
        sessionToken,
        headers: this.#headers,
        trustedProxyCount: this.#scope.host.trustedProxyCount,
      });
    }
    this.user = user;
  }

  /** The body's text: JSON only, size-limited while streaming. */
  #readBody(): MaybePromise<string> {
    // Node's parsed headers mean Node's HTTP parser, which ends the body at Content-Length.
    const parserBounded = this.#connection.headers !== undefined;
    const limit = this.#scope.host.bodyBytes;
    return readJsonText(this.httpRequest, limit, this.#headers, parserBounded);
  }

  /** The body must be a JSON object (`{}` when empty). */
  #parseBody(text: string): Record<string, unknown> {
    return parseJsonObject(text, this.#scope.host.bodyBytes);
  }

  /** A fresh instance through the one lifecycle: services, `setup`, `mount`, access. */
  #mount(body: Record<string, unknown>): MaybePromise<StartedView> {
    this.#body = body;
    const View = this.#entry.view;
    const host = this.#scope.host;
    return startView({
      View,
      request: liveRequestFrom(
        this.httpRequest,
        this.user,
        this.session?.record.data ?? {},
        "http",
      ),
      params: {},
      services: this.#entry.services,
      onMount: this.#entry.onMount,
      connected: false,
      pubsub: new CallPubSub(host.pubsub, host.logger, View.name),
      presence: host.presence,
      logger: host.logger,
    });
  }

  /** Handler lookup, permission, rate limit, validation and the call itself. */
  #dispatch({ view }: StartedView): MaybePromise<DispatchOutcome> {
    this.#view = view;
    this.tracker.reset(view);
    return dispatch(view, this.#handler, this.#body, this);
  }

  /** The result to send: an `ApiResponse`'s goes through its `serialize`. */
  #serialize(outcome: DispatchOutcome): unknown {
    this.#outcome = outcome;
    if (!outcome.ok) return undefined;
    return isApiResponse(outcome.result) ? serializeResult(outcome.result) : outcome.result;
  }

  /** The `{ result, assigns }` envelope, or the error of a refused or failed call. */
  #respond(result: unknown): Response {
    const outcome = this.#outcome as DispatchOutcome;
    if (!outcome.ok) return this.#scope.report(outcome.error, this.#entry.view, this.#handler);
    if (isApiResponse(outcome.result)) {
      // An ApiResponse sets its own status and sends its result alone, no assigns.
      return envelope(outcome.result.status ?? 200, result, {}, this.#policy);
    }
    const assigns = wireState(this.#view as LiveView, outcome.changed, this.#policy);
    return envelope(200, result, assigns, this.#policy);
  }
}
