/**
 * Puts the live layer on an app: builds the live host (template loader, snapshots, pub/sub,
 * tokens, limits, route table) from the app context, and serves the page routes, the client
 * bundle under `/djust/static/`, the long-poll endpoint and the WebSocket upgrades.
 * @module
 */
import type { Params } from "../view/runtime.js";
import type { LiveViewClass } from "../view/live-view.js";
import { clientBundleResponse, liveviewVersion } from "../live/client-bundle.js";
import type { LiveEnv, LiveHost, LiveRoute } from "../live/host.js";
import {
  connectionIdentity,
  HeaderPairs,
  identify,
  type IdentifyOptions,
} from "../live/identity.js";
import { LongPollServer } from "../live/longpoll.js";
import { csrfExempt } from "../auth/http.js";
import { sameOrigin, viaHttps } from "../auth/origin.js";
import type { PageShell } from "../live/page.js";
import { LivePages } from "../live/page-route.js";
import { CLOSE_GOING_AWAY, LONGPOLL_PATH, STATIC_PREFIX } from "../live/protocol.js";
import { pathMatcher } from "../live/routes.js";
import { SessionConnections } from "../live/session-connections.js";
import { TokenSigner } from "../live/token.js";
import { WebSocketEndpoint } from "../live/websocket.js";
import type { AppContext, PageRoute, ViewEntry } from "./context.js";
import { MemoryStateBackend } from "../state/backends/memory.js";
import { ServiceUnavailable } from "../errors.js";

/** The live layer of one app, for shutdown, tests and operations. */
export interface LiveTransport {
  readonly host: LiveHost;
  /** Open WebSocket connections. */
  readonly connectionCount: number;
  /** Open long-poll sessions. */
  readonly longPollCount: number;
  /**
   * Closes every WebSocket from the server side (views are saved; clients reconnect and
   * restore them). `code` defaults to 1012 "service restart".
   */
  disconnectAll(code?: number): Promise<void>;
  /** Replaces the HTML document around live pages. */
  setPageShell(shell: PageShell): void;
}

const transports = new WeakMap<AppContext, LiveTransport>();

/** The live layer of an app (`app.context`). */
export function liveTransportOf(ctx: AppContext): LiveTransport {
  const transport = transports.get(ctx);
  if (!transport) throw new Error("the live transport is not installed on this app");
  return transport;
}

/** The remote address of a Hono request served by `@hono/node-server`. */
function remoteAddressOf(env: unknown): string | null {
  return (
    (env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket
      ?.remoteAddress ?? null
  );
}

/** Serves live views on `ctx` (called by `createApp`). */
export function serveLive(ctx: AppContext, shell?: PageShell): LiveTransport {
  // Chosen by the app's composition root (server/adapters.ts), which also closes them.
  const { options, stateBackend, pubsub } = ctx;

  const routes = new Map<string, LiveRoute>();
  const matchers: { route: LiveRoute; match: (path: string) => Params | undefined }[] = [];

  const viewTokens = new TokenSigner(ctx.signer, "view");
  const sessionConnections = new SessionConnections(pubsub);
  // A nested view runs with its registered services and hooks, like a page of its own.
  const nestedRoutes = new WeakMap<ViewEntry, LiveRoute>();
  const childRoute = (view: LiveViewClass | string): LiveRoute | undefined => {
    let entry = typeof view === "string" ? ctx.views.get(view) : undefined;
    if (!entry) {
      for (const candidate of ctx.views.values()) {
        if (candidate.view === view || candidate.view.name === view) entry = candidate;
      }
    }
    if (!entry) return undefined;
    let route = nestedRoutes.get(entry);
    if (!route) {
      const { view: cls, slug, services, onMount } = entry;
      route = { key: `nested:${slug}`, view: cls, slug, services, onMount };
      nestedRoutes.set(entry, route);
    }
    return route;
  };
  const env: LiveEnv = {
    logger: ctx.logger,
    strictSerialization: options.strictSerialization,
    debug: options.debug,
    templates: ctx.templates,
    stateBackend,
    stateTtlSeconds: options.stateTtlSeconds ?? 3600,
    durability:
      options.durability ?? (stateBackend instanceof MemoryStateBackend ? "behind" : "reply"),
    pubsub,
    rateLimits: ctx.rateLimits,
    inputDepth: options.limits.inputDepth,
    presence: ctx.presence,
    presencesPerView: options.limits.presencesPerView,
    nest: { viewTokens, childRoute },
    components: ctx.components,
  };
  const host: LiveHost = {
    env,
    viewTokens,
    flashTokens: new TokenSigner(ctx.signer, "flash"),
    uploadTokens: new TokenSigner(ctx.signer, "upload"),
    tokenMaxAgeMs: ctx.sessions.ttlSeconds * 1000,
    limits: options.limits,
    shutdownConcurrency: options.shutdownConcurrency,
    loginUrl: options.loginUrl,
    html: options,
    perMessageDeflate: options.perMessageDeflate,
    cookies: options,
    liveviewVersion: liveviewVersion(),
    sessionConnections,
    routeByKey: (key) => routes.get(key),
    matchUrl: (url) => {
      for (const { route, match } of matchers) {
        const params = match(url.pathname);
        if (params) return { route, params };
      }
      return undefined;
    },
  };
  const visitors: IdentifyOptions = {
    sessions: ctx.sessions,
    ...(options.loadUser && { loadUser: options.loadUser }),
    trustedProxyCount: options.trustedProxyCount,
  };
  /**
   * Who a live request comes from. A connection with a session is accepted only once this node
   * listens for session ends, so that an end announced from then on reaches it; a node whose
   * visitors have no session never subscribes.
   */
  const liveVisitor = async (headers: Pick<Headers, "get">, remote: string | null | undefined) => {
    const visitor = await identify(visitors, headers, remote);
    if (visitor.session) await sessionConnections.listen();
    return visitor;
  };

  // Page routes.
  const pages = new LivePages(host, visitors);
  pages.shell = shell;
  const addRoute = (entry: ViewEntry, pageRoute: PageRoute) => {
    const route: LiveRoute = {
      key: pageRoute.path,
      view: entry.view,
      slug: entry.slug,
      services: entry.services,
      onMount: entry.onMount,
    };
    routes.set(route.key, route);
    matchers.push({ route, match: pathMatcher(pageRoute.path) });
    ctx.hono.get(pageRoute.path, (c) =>
      pages.serve(route, c.req.param() as Params, c.req.raw, remoteAddressOf(c.env)),
    );
  };
  for (const entry of ctx.views.values()) for (const r of entry.routes) addRoute(entry, r);
  ctx.onPageRoute.push(addRoute);

  // The client bundle: hashed name cached forever, stable name revalidated by ETag.
  ctx.hono.get(`${STATIC_PREFIX}:file`, async (c) => {
    const response = await clientBundleResponse(c.req.param("file"), c.req.header("if-none-match"));
    return response ?? c.notFound();
  });

  // Long-poll.
  const longPoll = new LongPollServer(host, new TokenSigner(ctx.signer, "longpoll"));
  // Not the app's CSRF check: the long-poll, like the WebSocket, checks its `Origin` here and
  // its CSRF token in the join, like Phoenix.
  ctx.hono.on(
    ["GET", "POST"],
    LONGPOLL_PATH,
    csrfExempt(async (c) => {
      const request = c.req.raw;
      const url = new URL(request.url);
      const secure = viaHttps(
        url.protocol === "https:",
        request.headers,
        options.trustedProxyCount,
      );
      if (!sameOrigin(request.headers.get("origin") ?? undefined, url.host, secure)) {
        return c.json({ status: 403 }, 403);
      }
      const remote = remoteAddressOf(c.env);
      try {
        return await longPoll.handle(request, async () =>
          connectionIdentity(
            await liveVisitor(request.headers, remote),
            HeaderPairs.of(request.headers),
            "longpoll",
          ),
        );
      } catch (error) {
        // Redis (sessions, the relay to a session's node) down or stalled. The client reads the
        // status in the body: 500 makes it reconnect with backoff (a body without one would stop
        // its poll loop for good).
        if (!(error instanceof ServiceUnavailable)) throw error;
        return c.json({ status: 500, ...error.toJSON() }, 503, {
          "retry-after": String(error.retryAfter),
        });
      }
    }),
  );

  // WebSocket.
  const websocket = new WebSocketEndpoint(
    host,
    async (headers, remote) =>
      connectionIdentity(await liveVisitor(headers, remote), headers, "websocket"),
    ctx.logger,
  );
  ctx.upgradeHandlers.push((req, socket, head) => websocket.handleUpgrade(req, socket, head));

  const transport: LiveTransport = {
    host,
    get connectionCount() {
      return websocket.size;
    },
    get longPollCount() {
      return longPoll.size;
    },
    disconnectAll: (code) => websocket.disconnectAll(code),
    setPageShell(next) {
      pages.shell = next;
    },
  };
  transports.set(ctx, transport);

  ctx.onClose.push(async () => {
    await websocket.disconnectAll(CLOSE_GOING_AWAY);
    await longPoll.close();
    websocket.close();
    await sessionConnections.close();
  });
  return transport;
}
