/**
 * `createApp`: one object that serves live pages, the WebSocket/long-poll transports and the
 * HTTP API from one registry of views, on Hono (web-standard `Request`/`Response`) and Node's
 * HTTP server.
 * @module
 */
import { Presence, PRESENCE_DEFAULTS } from "../presence/tracker.js";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { getRequestListener } from "@hono/node-server";
import { Hono } from "hono";
import { SessionManager, SESSION_COOKIE } from "../auth/session.js";
import { Signer } from "../auth/signing.js";
import type { User } from "../auth/user.js";
import { connectionOf, installApi } from "./api.js";
import { stderrLogger } from "../logger.js";
import type { LiveViewClass } from "../view/live-view.js";
import type { SerializationPolicy } from "../state/codec.js";
import type { OnMountHook } from "../pipeline/lifecycle.js";
import { handlersOf } from "../view/registry.js";
import { authClassesOf, securitySchemesOf } from "../auth/classes.js";
import { viewSlug } from "../view/slug.js";
import { pageCsrf } from "../auth/http.js";
import { htmlResponse } from "../live/page.js";
import { HEARTBEAT_MS } from "../live/protocol.js";
import { urlResolver } from "../live/routes.js";
import { renderToString } from "../render/html.js";
import { componentName, LiveComponent, type LiveComponentClass } from "../view/live-component.js";
import type { WebSocketCompression } from "../live/host.js";
import { TemplateLoader } from "../template/loader.js";
import { chooseAdapters } from "./adapters.js";
import { within } from "../redis.js";
import type { Durability } from "../live/host.js";
import { serveLive } from "./live.js";
import {
  checkWorkers,
  drainOnSignal,
  isClusterWorker,
  serverUrl,
  superviseWorkers,
  type ListenOptions,
  type RunningServer,
} from "./cluster.js";
import { keepParsedBody } from "./parsed-body.js";
import {
  DEFAULT_LIMITS,
  type AppContext,
  type AppOptions,
  type Limits,
  type PageRoute,
  type ResolvedOptions,
  type Services,
  type UpgradeHandler,
  type ViewEntry,
} from "./context.js";

export type { ListenOptions, RunningServer } from "./cluster.js";

const DEV_SECRET = "djust-insecure-development-key-do-not-use-in-production";

/** A view with services injected into `setup`/`mount` params (seed 000, pattern 3). */
export class LiveSession<V extends LiveViewClass = LiveViewClass> {
  constructor(
    readonly view: V,
    readonly services: Services,
    readonly onMount: readonly OnMountHook[] = [],
  ) {}
}

/** Options of {@link liveSession} and `app.liveSession`. */
export interface LiveSessionOptions {
  /** Hooks run before `mount` (or the restore) on every transport; see {@link OnMountHook}. */
  readonly onMount?: OnMountHook | readonly OnMountHook[];
}

/**
 * Injects services into a view: each entry reaches `setup` and `mount` as `params[name]` on
 * every transport; a function value is called per view instance with the request. `onMount`
 * hooks run before `mount` on every transport, and may refuse or redirect.
 *
 * @example `app.live("/dashboard/", liveSession(DashboardView, { metricsClient: getMetricsClient }))`
 */
export function liveSession<V extends LiveViewClass>(
  view: V,
  services: Services = {},
  options: LiveSessionOptions = {},
): LiveSession<V> {
  return new LiveSession(view, services, hookList(options.onMount));
}

function hookList(hooks: LiveSessionOptions["onMount"]): readonly OnMountHook[] {
  if (hooks === undefined) return [];
  return typeof hooks === "function" ? [hooks] : hooks;
}

/** Registers views of one group (`app.liveSession`): its services and hooks apply to each. */
export interface LiveSessionScope {
  live(
    path: string,
    view: LiveViewClass | LiveSession,
    options?: { name?: string },
  ): LiveSessionScope;
  register(view: LiveViewClass | LiveSession, options?: { name?: string }): LiveSessionScope;
}

/** What a test gets from `app.sessions.login(user)`. */
export interface TestLogin {
  /** A `Cookie` header value carrying the session and CSRF cookies. */
  readonly cookie: string;
  readonly csrfToken: string;
}

/** The app returned by {@link createApp}. */
export interface DjustApp {
  /**
   * The underlying Hono app: add custom routes here. The app's entry points (`fetch`,
   * `nodeHandler`, `listen`) answer HTTP API calls before Hono routing, so middleware added here
   * does not run for them; the API's routes are on this instance too, for mounting it alone.
   */
  readonly hono: Hono;
  /**
   * The framework's shared services, for its own layers and tests.
   * @internal
   */
  readonly context: AppContext;
  /** Session helpers for tests. */
  readonly sessions: { login(user: User): Promise<TestLogin> };
  /**
   * A group of views sharing services and on-mount hooks (Phoenix's `live_session`): every view
   * `define` registers through the scope gets them, before its own.
   *
   * @example `app.liveSession({ onMount: requireUser }, (s) => s.live("/orders/", OrdersView))`
   */
  liveSession(
    group: LiveSessionOptions & { readonly services?: Services },
    define: (scope: LiveSessionScope) => void,
  ): DjustApp;
  /** Serves `view` as a live page at `path` (Hono path syntax, e.g. `/orders/:id/`). */
  live(path: string, view: LiveViewClass | LiveSession, options?: { name?: string }): DjustApp;
  /** Registers a view for the HTTP API only (no page route). */
  register(view: LiveViewClass | LiveSession, options?: { name?: string }): DjustApp;
  /**
   * Registers a LiveComponent class for templates: `{% live_component "<name>" id=… %}`, the
   * name being its `static componentName` (default: the kebab-cased class name without a
   * trailing `Component`). html`` views pass the class itself to `liveComponent` instead.
   * @throws Error when another class has the same name.
   */
  component(component: LiveComponentClass): DjustApp;
  /**
   * Renders template `name` (from `templateDirs`) as an HTML page outside a live view — a login
   * form, an error page — with `csrf_token` set for `{% csrf_token %}` (starting an anonymous
   * session when the browser has none) and `{% url %}` resolving live routes.
   *
   * @example `app.hono.get("/login/", (c) => app.render(c.req.raw, "login.html", { next: "/" }))`
   */
  render(
    request: Request,
    name: string,
    context?: Readonly<Record<string, unknown>>,
    init?: { readonly status?: number },
  ): Promise<Response>;
  /** Runs `hook` when the app closes (after the transports): close your database here. */
  onClose(hook: () => void | Promise<void>): DjustApp;
  /** Web-standard handler: tests, edge runtimes. */
  fetch(request: Request): Promise<Response>;
  /**
   * Node request handler, to mount inside an existing server (Express, Fastify, `node:http`).
   * A body that a parser in front already read (`req.body` of `express.json()` and the like) is
   * used as if djust had read it.
   */
  readonly nodeHandler: (req: IncomingMessage, res: ServerResponse) => void;
  /**
   * Node `upgrade` handler (WebSocket): takes the upgrades of djust's WebSocket path and returns
   * `true`; leaves every other socket alone and returns `false`, so other WebSocket servers on
   * the same HTTP server keep theirs. {@link DjustApp.listen} closes the sockets nobody took.
   */
  readonly upgradeHandler: (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean;
  /** Starts a Node server with WebSocket upgrades; port 0 picks a free port. */
  listen(port?: number, hostname?: string): Promise<RunningServer>;
  /**
   * Starts a Node server with WebSocket upgrades, or with `workers` a cluster of them sharing
   * the port (see {@link ListenOptions}).
   *
   * @example `await app.listen({ port: 8000, workers: os.availableParallelism() })`
   */
  listen(options: ListenOptions): Promise<RunningServer>;
  /**
   * Closes the transports (persisting view snapshots), then the adapters the app chose itself
   * and the Redis connections it opened; adapters and clients passed in stay open.
   */
  close(): Promise<void>;
}

function resolveOptions(options: AppOptions): ResolvedOptions {
  const logger = options.logger ?? stderrLogger;
  let secretKey = options.secretKey ?? process.env.DJUST_SECRET_KEY;
  if (!secretKey) {
    if (process.env.NODE_ENV === "production") {
      throw new Error(
        "createApp: secretKey (or DJUST_SECRET_KEY) is required when NODE_ENV=production",
      );
    }
    logger.warn("createApp: no secretKey set; using an insecure development key");
    secretKey = DEV_SECRET;
  }
  let apiPrefix = options.apiPrefix ?? "/djust/api/";
  if (!apiPrefix.startsWith("/")) apiPrefix = `/${apiPrefix}`;
  if (!apiPrefix.endsWith("/")) apiPrefix = `${apiPrefix}/`;
  const trustedProxyCount = options.trustedProxyCount ?? 0;
  if (!(Number.isInteger(trustedProxyCount) && trustedProxyCount >= 0)) {
    throw new RangeError("createApp: trustedProxyCount must be an integer >= 0");
  }
  const frameAncestors = options.frameAncestors ?? "'self'";
  if (!/^[^;,\r\n]+$/.test(frameAncestors.trim())) {
    throw new RangeError(
      "createApp: frameAncestors must be one CSP source list (no ; or newlines)",
    );
  }
  const timeZone = options.timeZone ?? "UTC";
  try {
    new Intl.DateTimeFormat("en", { timeZone });
  } catch {
    throw new RangeError(`createApp: timeZone must be an IANA time zone name, got "${timeZone}"`);
  }
  if (options.stateTtlSeconds !== undefined) {
    count("stateTtlSeconds", options.stateTtlSeconds);
    if (options.stateTtlSeconds * 1000 < 2 * HEARTBEAT_MS) {
      logger.warn(
        `createApp: stateTtlSeconds is ${options.stateTtlSeconds}: the official client sends a heartbeat every ${HEARTBEAT_MS / 1000} s, which keeps an idle open view's snapshot alive only if it lives at least two of them`,
      );
    }
  }
  const locale = options.locale ?? "en-us";
  if (!/^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})*$/i.test(locale)) {
    throw new RangeError(
      `createApp: locale must be a language code like "de" or "pt-br", got "${locale}"`,
    );
  }
  return {
    secretKey,
    templateDirs: options.templateDirs ?? ["templates"],
    debug: options.debug ?? false,
    timeZone,
    locale,
    localeDirs: options.localeDirs ?? [],
    fragmentCaches: options.fragmentCaches ?? {},
    strictSerialization:
      options.strictSerialization ?? process.env.DJUST_STRICT_SERIALIZATION === "1",
    logger,
    ...(options.loadUser && { loadUser: options.loadUser }),
    apiPrefix,
    loginUrl: options.loginUrl ?? "/login/",
    trustedProxyCount,
    secureCookies: options.secureCookies ?? process.env.NODE_ENV === "production",
    frameAncestors: frameAncestors.trim(),
    perMessageDeflate: compressionOf(options.perMessageDeflate),
    limits: limitsOf(options.limits),
    openapi: { title: "djust API", version: "1.0.0", public: true, ...options.openapi },
    ...(options.stateTtlSeconds !== undefined && { stateTtlSeconds: options.stateTtlSeconds }),
    presenceTimeoutMs: options.presenceTimeoutMs ?? PRESENCE_DEFAULTS.timeoutMs,
    ...(options.durability !== undefined && { durability: durabilityOf(options.durability) }),
    shutdownTimeoutMs: positive("shutdownTimeoutMs", options.shutdownTimeoutMs ?? 10_000),
    shutdownConcurrency: count("shutdownConcurrency", options.shutdownConcurrency ?? 64),
  };
}

/** The `perMessageDeflate` option with its default applied. */
function compressionOf(option: AppOptions["perMessageDeflate"]): WebSocketCompression | false {
  if (option === false) return false;
  const threshold = (option === true ? undefined : option?.threshold) ?? 1024;
  if (!(Number.isInteger(threshold) && threshold >= 0)) {
    throw new RangeError("createApp: perMessageDeflate.threshold must be an integer >= 0");
  }
  return { threshold };
}

/**
 * `limits` merged with the defaults. Each is a whole number >= 1 but `eventsPerSecond`, which
 * may be a fraction: a zero, negative or infinite limit would bound nothing (to ws a
 * `frameBytes` of 0 means no limit at all), and a misspelt name would leave its limit at the
 * default unnoticed.
 */
function limitsOf(given: Partial<Limits> | undefined): Limits {
  const limits: { -readonly [K in keyof Limits]: Limits[K] } = { ...DEFAULT_LIMITS };
  if (given === undefined) return limits;
  // From JavaScript or a config file: a number or a list would otherwise set no limit silently.
  if (typeof given !== "object" || given === null || Array.isArray(given)) {
    throw new TypeError(
      `createApp: limits must be an object of limits by name, got ${Array.isArray(given) ? "an array" : String(given)}`,
    );
  }
  for (const [name, value] of Object.entries(given) as [string, unknown][]) {
    if (!Object.hasOwn(DEFAULT_LIMITS, name)) {
      throw new RangeError(
        `createApp: limits.${name} is not a limit (the limits are ${Object.keys(DEFAULT_LIMITS).join(", ")})`,
      );
    }
    if (value === undefined) continue;
    const rate = name === "eventsPerSecond";
    const valid =
      typeof value === "number" &&
      (rate ? Number.isFinite(value) && value > 0 : Number.isSafeInteger(value) && value >= 1);
    if (!valid) {
      throw new RangeError(
        `createApp: limits.${name} must be ${rate ? "a positive number" : "an integer >= 1"}, got ${String(value)}`,
      );
    }
    limits[name as keyof Limits] = value;
  }
  return limits;
}

/** Where the health endpoint answers. */
export const HEALTH_PATH = "/djust/health";

function redisHealth(redis: boolean | null): "ok" | "unavailable" | "unused" {
  if (redis === null) return "unused";
  return redis ? "ok" : "unavailable";
}

function durabilityOf(value: string): Durability {
  if (value !== "reply" && value !== "behind") {
    throw new RangeError(`createApp: durability must be "reply" or "behind", got ${value}`);
  }
  return value;
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new RangeError(`createApp: ${name} must be a positive number of milliseconds`);
  }
  return value;
}

function count(name: string, value: number): number {
  if (!(Number.isInteger(value) && value > 0)) {
    throw new RangeError(`createApp: ${name} must be an integer >= 1, got ${value}`);
  }
  return value;
}

/** Creates an app. See DESIGN.md §4b for the options. */
export function createApp(options: AppOptions = {}): DjustApp {
  const resolved = resolveOptions(options);
  const hono = new Hono();
  const signer = new Signer(resolved.secretKey);
  const adapters = chooseAdapters(options, resolved.logger);
  const sessions = new SessionManager(adapters.sessionStore, signer, { pubsub: adapters.pubsub });
  const views = new Map<string, ViewEntry>();
  const upgradeHandlers: UpgradeHandler[] = [];
  const onClose: (() => void | Promise<void>)[] = [];
  const onPageRoute: ((entry: ViewEntry, route: PageRoute) => void)[] = [];
  const routeNames = new Map<string, string>();
  const templates = new TemplateLoader({
    dirs: resolved.templateDirs,
    reload: resolved.debug,
    debug: resolved.debug,
    urlFor: urlResolver(routeNames),
    timeZone: resolved.timeZone,
    language: resolved.locale,
    locale: resolved.locale,
    localeDirs: resolved.localeDirs,
    fragmentCaches: resolved.fragmentCaches,
  });
  // One policy per view class: its `warned` set makes a view warn once per field, not per call.
  const policies = new WeakMap<LiveViewClass, SerializationPolicy>();

  const context: AppContext = {
    options: resolved,
    hono,
    logger: resolved.logger,
    signer,
    sessions,
    rateLimits: adapters.rateLimitStore,
    stateBackend: adapters.stateBackend,
    pubsub: adapters.pubsub,
    presence: new Presence(adapters.pubsub, {
      timeoutMs: resolved.presenceTimeoutMs,
      maxPerTopic: resolved.limits.presencesPerTopic,
      logger: resolved.logger,
    }),
    views,
    onPageRoute,
    upgradeHandlers,
    onClose,
    policyFor: (view) => {
      let policy = policies.get(view);
      if (!policy) {
        policy = {
          strict: resolved.strictSerialization,
          logger: resolved.logger,
          view: view.name,
          warned: new Set(),
        };
        policies.set(view, policy);
      }
      return policy;
    },
    templates,
    components: new Map(),
  };

  function add(target: LiveViewClass | LiveSession, name: string | undefined): ViewEntry {
    const view = target instanceof LiveSession ? target.view : target;
    const services = target instanceof LiveSession ? target.services : {};
    const onMount = target instanceof LiveSession ? target.onMount : [];
    if (typeof view !== "function") throw new TypeError("createApp: expected a LiveView class");
    handlersOf(view); // surfaces decorator misuse at startup, not on the first request
    // A malformed auth class (or securityScheme) fails here, not in the OpenAPI document.
    for (const auth of authClassesOf(view)) securitySchemesOf(auth);
    const slug = viewSlug(view, name);
    const existing = views.get(slug);
    if (existing && existing.view !== view) {
      throw new Error(
        `createApp: API slug "${slug}" is used by both ${existing.view.name} and ${view.name}; set static apiName on one of them`,
      );
    }
    const entry: ViewEntry = existing
      ? {
          ...existing,
          services: { ...existing.services, ...services },
          onMount: [...existing.onMount, ...onMount.filter((h) => !existing.onMount.includes(h))],
        }
      : { view, slug, services, onMount, routes: [] };
    views.set(slug, entry);
    return entry;
  }

  // Registered first, so it runs after the transports closed their views (their entries left).
  onClose.push(() => context.presence.close());
  const api = installApi(context);
  serveLive(context, options.pageShell);
  // API calls are answered before Hono routing (see installApi); everything else goes to Hono.
  const fetch = (request: Request): Promise<Response> =>
    Promise.resolve(api(request) ?? hono.fetch(request));
  const listener = getRequestListener(
    (request, env) => api(request, connectionOf(env)) ?? hono.fetch(request, env),
  );
  const nodeHandler = (req: IncomingMessage, res: ServerResponse): void => {
    keepParsedBody(req);
    void listener(req, res);
  };
  const upgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer): boolean => {
    for (const handle of upgradeHandlers) if (handle(req, socket, head)) return true;
    return false;
  };

  // The app's own hooks (`app.onClose`) run after the framework's: events in flight still
  // reach the database while the transports drain.
  const userHooks: (() => void | Promise<void>)[] = [];
  let transportsClosed: Promise<void> | undefined;
  function closeTransports(): Promise<void> {
    transportsClosed ??= (async () => {
      for (const hook of [...onClose].reverse()) await hook();
      for (const hook of userHooks) await hook();
    })();
    return transportsClosed;
  }

  async function close(): Promise<void> {
    await closeTransports();
    // Last: closing the transports still writes snapshots and unsubscribes.
    await adapters.close();
  }

  /** Serves the app from this process (a cluster's worker included). */
  async function listenHere(port: number, hostname: string | undefined): Promise<RunningServer> {
    const server = createServer(nodeHandler);
    // This server has no other upgrade listener: a socket djust does not take goes nowhere.
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!upgradeHandler(req, socket, head)) socket.destroy();
    });
    // Every socket (WebSockets too: an upgraded socket leaves the HTTP server's own list), for
    // a shutdown past its bound; and the requests being answered, for the drain.
    const sockets = new Set<Socket>();
    // One listener for every socket (`this` is the socket): a closure and a `once` wrapper per
    // socket held some 150 bytes for as long as each stayed open.
    function forget(this: Socket): void {
      sockets.delete(this);
    }
    server.on("connection", (socket: Socket) => {
      sockets.add(socket);
      socket.on("close", forget);
    });
    let requests = 0;
    let answered: (() => void) | undefined;
    server.on("request", (_req: IncomingMessage, res: ServerResponse) => {
      requests++;
      res.once("close", () => {
        if (--requests === 0) answered?.();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, hostname, () => resolve());
    });
    const address = server.address() as AddressInfo;
    // Opens the Redis connection now: unreachable, it says so in the log at startup (and
    // keeps retrying) instead of on the first page.
    void adapters.ping();
    let closing: Promise<void> | undefined;
    return {
      port: address.port,
      url: serverUrl(hostname, address.port),
      close() {
        closing ??= (async () => {
          // No new connections; the requests being answered and the live sockets' events in
          // flight finish and the views are saved, then the adapters close; all bounded.
          const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
          server.closeIdleConnections();
          const requestsDone =
            requests === 0 ? Promise.resolve() : new Promise<void>((r) => (answered = r));
          const drain = (async () => {
            await Promise.all([closeTransports(), requestsDone]);
            await adapters.close();
          })();
          const bound = resolved.shutdownTimeoutMs;
          if ((await within(drain, bound)) === "timeout") {
            resolved.logger.error(
              `shutdown: views and connections were not closed within ${bound} ms (shutdownTimeoutMs); dropping them`,
            );
          }
          server.closeAllConnections();
          for (const socket of sockets) socket.destroy();
          await stopped;
        })();
        return closing;
      },
    };
  }

  // Process and Redis: for load balancers and orchestrators (503 while Redis does not answer).
  hono.get(HEALTH_PATH, async (c) => {
    const redis = await adapters.ping();
    const body = { status: redis === false ? "unavailable" : "ok", redis: redisHealth(redis) };
    return c.json(body, redis === false ? 503 : 200, { "cache-control": "no-store" });
  });

  const app: DjustApp = {
    hono,
    context,
    sessions: {
      async login(user) {
        const session = await sessions.create(user.id);
        const csrfToken = session.record.csrfToken;
        return {
          cookie: `${SESSION_COOKIE}=${sessions.cookieValue(session)}; csrftoken=${csrfToken}`,
          csrfToken,
        };
      },
    },
    live(path, view, opts = {}) {
      const entry = add(view, opts.name);
      const route: PageRoute = opts.name === undefined ? { path } : { path, name: opts.name };
      entry.routes.push(route);
      if (opts.name !== undefined) routeNames.set(opts.name, path);
      for (const hook of onPageRoute) hook(entry, route);
      return app;
    },
    register(view, opts = {}) {
      add(view, opts.name);
      return app;
    },
    component(component) {
      if (typeof component !== "function" || !(component.prototype instanceof LiveComponent)) {
        throw new TypeError("app.component: expected a class extending LiveComponent");
      }
      handlersOf(component); // decorator misuse surfaces at startup
      const name = componentName(component);
      const existing = context.components.get(name);
      if (existing && existing !== component) {
        throw new Error(
          `app.component: "${name}" names both ${existing.name} and ${component.name}; set static componentName on one of them`,
        );
      }
      context.components.set(name, component);
      return app;
    },
    liveSession(group, define) {
      const hooks = hookList(group.onMount);
      const services = group.services ?? {};
      const within = (view: LiveViewClass | LiveSession): LiveSession =>
        view instanceof LiveSession
          ? new LiveSession(view.view, { ...services, ...view.services }, [
              ...hooks,
              ...view.onMount,
            ])
          : new LiveSession(view, services, hooks);
      const scope: LiveSessionScope = {
        live(path, view, opts) {
          app.live(path, within(view), opts);
          return scope;
        },
        register(view, opts) {
          app.register(within(view), opts);
          return scope;
        },
      };
      define(scope);
      return app;
    },
    async render(request, name, values = {}, init = {}) {
      const { csrfToken, cookies } = await pageCsrf(sessions, request, resolved);
      const tree = templates.get(name).render({ ...values, csrf_token: csrfToken });
      const response = htmlResponse(init.status ?? 200, renderToString(tree), resolved);
      for (const cookie of cookies) response.headers.append("set-cookie", cookie);
      return response;
    },
    onClose(hook) {
      userHooks.push(hook);
      return app;
    },
    fetch,
    nodeHandler,
    upgradeHandler,
    async listen(portOrOptions?: number | ListenOptions, hostnameArg?: string) {
      const {
        port = 0,
        hostname = hostnameArg,
        workers,
      } = typeof portOrOptions === "object" ? portOrOptions : { port: portOrOptions };
      if (workers === undefined) return listenHere(port, hostname);
      checkWorkers(workers, adapters.inMemory);
      if (!isClusterWorker()) {
        return superviseWorkers(workers, {
          ...(hostname !== undefined && { hostname }),
          shutdownTimeoutMs: resolved.shutdownTimeoutMs,
          logger: resolved.logger,
        });
      }
      const server = await listenHere(port, hostname);
      drainOnSignal(server);
      return server;
    },
    close,
  };

  return app;
}
