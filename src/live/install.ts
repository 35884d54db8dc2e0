/**
 * Wires the live layer into an app: page routes (dead render), the client bundle under
 * `/djust/static/`, the WebSocket endpoint `/djust/live/websocket` (with an `Origin` check on
 * upgrade) and the long-poll endpoint `/djust/live/longpoll`.
 * @module
 */
import type { IncomingMessage } from "node:http";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Duplex } from "node:stream";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import { callerKey, clientIp } from "../auth/caller.js";
import { getCookie } from "../auth/cookies.js";
import { tokensEqual } from "../auth/csrf.js";
import { sessionCookies } from "../auth/http.js";
import { SESSION_COOKIE, type Session } from "../auth/session.js";
import type { User } from "../auth/user.js";
import type { AppContext, ViewEntry, LiveRoute as AppRoute } from "../server/context.js";
import { TemplateLoader } from "../template/loader.js";
import type { Params, SessionData } from "../view/runtime.js";
import {
  LiveConnection,
  type ConnectionIdentity,
  type ConnectionSink,
  type LiveHost,
} from "./channel.js";
import { clientBundle } from "./client-bundle.js";
import { FLASH_COOKIE } from "./flash.js";
import type { LiveEnv, LiveRoute } from "./instance.js";
import { LongPollServer } from "./longpoll.js";
import { renderLivePage, type PageShell } from "./page.js";
import { pathMatcher, urlResolver } from "./routes.js";
import { TokenSigner } from "./token.js";

/** Path of the WebSocket endpoint. */
export const WEBSOCKET_PATH = "/djust/live/websocket";
/** Path of the long-poll endpoint. */
export const LONGPOLL_PATH = "/djust/live/longpoll";
/** Prefix of the client assets. */
export const STATIC_PREFIX = "/djust/static/";

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

/** The live layer installed on an app context (`app.context`). */
export function liveTransportOf(ctx: AppContext): LiveTransport {
  const transport = transports.get(ctx);
  if (!transport) throw new Error("the live transport is not installed on this app");
  return transport;
}

function liveviewVersion(): string {
  try {
    const main = createRequire(import.meta.url).resolve("phoenix_live_view");
    // main = <pkg>/priv/static/phoenix_live_view.cjs.js
    const pkg = JSON.parse(
      readFileSync(join(dirname(main), "..", "..", "package.json"), "utf8"),
    ) as { version?: string };
    return pkg.version ?? "1.2.0";
  } catch {
    return "1.2.0";
  }
}

interface Identity {
  readonly session: Session | null;
  readonly user: User | null;
  readonly caller: string;
}

/**
 * A connection's identity. A class, not an object literal with a `verifyCsrf` arrow: the arrow
 * would keep the scope it was made in alive for the life of the connection (during a WebSocket
 * upgrade that is the upgrade request and its buffers).
 */
class SessionIdentity implements ConnectionIdentity {
  constructor(
    readonly user: User | null,
    readonly session: SessionData,
    readonly caller: string,
    readonly headers: Headers,
    readonly transport: ConnectionIdentity["transport"],
    readonly csrfToken: string | undefined,
  ) {}

  verifyCsrf(token: unknown): boolean {
    const expected = this.csrfToken;
    return typeof token === "string" && expected !== undefined && tokensEqual(token, expected);
  }
}

/**
 * One open WebSocket: the sink its {@link LiveConnection} writes to and the time of its last
 * frame (for the sweeper). Everything per socket lives here, and the socket's event handlers
 * are shared functions that find it through the socket, so an idle socket holds no closures.
 */
class SocketLink implements ConnectionSink {
  connection!: LiveConnection;
  lastSeen = Date.now();

  constructor(readonly ws: WebSocket) {}

  send(text: string): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(text);
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }
}

/** Upgrade-handshake headers, meaningless once the WebSocket is open. */
const HANDSHAKE_HEADERS: ReadonlySet<string> = new Set([
  "connection",
  "upgrade",
  "sec-websocket-key",
  "sec-websocket-version",
  "sec-websocket-extensions",
]);

function sameOrigin(
  origin: string | undefined,
  host: string | undefined,
  secure: boolean,
): boolean {
  // Non-browser clients send no Origin; browsers always do on WebSocket upgrades.
  if (origin === undefined) return true;
  if (!host) return false;
  try {
    const parsed = new URL(origin);
    return parsed.host === host && (parsed.protocol === "https:" || !secure);
  } catch {
    return false;
  }
}

/** Installs the live layer on `ctx` (called by `createApp`). */
export function installLive(ctx: AppContext): void {
  // Chosen by the app's composition root (server/adapters.ts), which also closes them.
  const { options, stateBackend, pubsub } = ctx;

  const routes = new Map<string, LiveRoute>();
  const matchers: { route: LiveRoute; match: (path: string) => Params | undefined }[] = [];
  const names = new Map<string, string>();

  const templates = new TemplateLoader({
    dirs: options.templateDirs,
    reload: options.debug,
    urlFor: urlResolver(names),
  });

  const env: LiveEnv = {
    logger: ctx.logger,
    strictSerialization: options.strictSerialization,
    debug: options.debug,
    templates,
    stateBackend,
    stateTtlSeconds: options.stateTtlSeconds ?? 3600,
    pubsub,
    rateLimits: ctx.rateLimits,
  };
  const host: LiveHost = {
    env,
    viewTokens: new TokenSigner(ctx.signer, "view"),
    flashTokens: new TokenSigner(ctx.signer, "flash"),
    tokenMaxAgeMs: ctx.sessions.ttlSeconds * 1000,
    limits: options.limits,
    loginUrl: options.loginUrl,
    liveviewVersion: liveviewVersion(),
    routeByKey: (key) => routes.get(key),
    matchUrl: (url) => {
      for (const { route, match } of matchers) {
        const params = match(url.pathname);
        if (params) return { route, params };
      }
      return undefined;
    },
  };
  let shell: PageShell | undefined;

  async function identify(
    headers: Headers,
    remoteAddress: string | null | undefined,
  ): Promise<Identity> {
    const session = await ctx.sessions.load(getCookie(headers, SESSION_COOKIE));
    let user: User | null = null;
    const userId = session?.record.userId;
    if (userId !== null && userId !== undefined) {
      user = options.loadUser ? await options.loadUser(userId) : { id: userId };
    }
    const ip = clientIp(headers, remoteAddress, options.trustedProxyCount);
    return { session, user, caller: callerKey({ user, sessionId: session?.id, clientIp: ip }) };
  }

  function connectionIdentity(
    who: Identity,
    headers: Headers,
    transport: ConnectionIdentity["transport"],
  ): ConnectionIdentity {
    return new SessionIdentity(
      who.user,
      who.session?.record.data ?? {},
      who.caller,
      headers,
      transport,
      who.session?.record.csrfToken,
    );
  }

  // Page routes.
  const addRoute = (entry: ViewEntry, appRoute: AppRoute) => {
    const route: LiveRoute = {
      key: appRoute.path,
      view: entry.view,
      slug: entry.slug,
      services: entry.services,
    };
    routes.set(route.key, route);
    matchers.push({ route, match: pathMatcher(appRoute.path) });
    if (appRoute.name !== undefined) names.set(appRoute.name, appRoute.path);
    ctx.hono.get(appRoute.path, async (c) => {
      const request = c.req.raw;
      const remote =
        (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming
          ?.socket?.remoteAddress ?? null;
      let who = await identify(request.headers, remote);
      const setCookies: string[] = [];
      let session = who.session;
      if (!session) {
        // A page needs a CSRF token for its join (and its forms): start an anonymous session.
        session = await ctx.sessions.create(null);
        const secure = new URL(request.url).protocol === "https:";
        setCookies.push(...sessionCookies(ctx.sessions, session, secure));
        who = {
          session,
          user: null,
          caller: callerKey({ user: null, sessionId: session.id }),
        };
      }
      const bundle = await clientBundle();
      const response = await renderLivePage(
        host,
        route,
        c.req.param() as Params,
        {
          url: new URL(request.url),
          headers: request.headers,
          user: who.user,
          session: session.record.data,
          caller: who.caller,
          csrfToken: session.record.csrfToken,
          flashToken: getCookie(request.headers, FLASH_COOKIE),
        },
        { clientScript: `${STATIC_PREFIX}${bundle.fileName}` },
        shell,
      );
      for (const cookie of setCookies) response.headers.append("set-cookie", cookie);
      return response;
    });
  };
  for (const entry of ctx.views.values()) for (const r of entry.routes) addRoute(entry, r);
  ctx.onLiveRoute.push(addRoute);

  // The client bundle: hashed name cached forever, stable name revalidated by ETag.
  ctx.hono.get(`${STATIC_PREFIX}:file`, async (c) => {
    const file = c.req.param("file");
    const bundle = await clientBundle();
    const hashed = file === bundle.fileName;
    if (!hashed && file !== "djust.js") return c.notFound();
    const headers: Record<string, string> = {
      "content-type": "text/javascript; charset=utf-8",
      etag: bundle.etag,
      "cache-control": hashed ? "public, max-age=31536000, immutable" : "no-cache",
    };
    if (c.req.header("if-none-match") === bundle.etag) {
      return new Response(null, { status: 304, headers });
    }
    return new Response(bundle.code, { status: 200, headers });
  });

  // Long-poll.
  const longPoll = new LongPollServer(host, new TokenSigner(ctx.signer, "longpoll"));
  ctx.hono.on(["GET", "POST"], LONGPOLL_PATH, async (c) => {
    const request = c.req.raw;
    const url = new URL(request.url);
    if (!sameOrigin(request.headers.get("origin") ?? undefined, url.host, false)) {
      return c.json({ status: 403 }, 403);
    }
    const remote =
      (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming
        ?.socket?.remoteAddress ?? null;
    return longPoll.handle(request, async () =>
      connectionIdentity(await identify(request.headers, remote), request.headers, "longpoll"),
    );
  });

  // WebSocket.
  // `sockets` below tracks the open sockets; ws's own tracking would add a set entry and a
  // close listener per socket for nothing.
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    maxPayload: options.limits.frameBytes,
  });
  const sockets = new Map<WebSocket, SocketLink>();
  // Phoenix clients heartbeat every 30 s; a socket silent for two intervals is gone.
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const link of sockets.values()) {
      if (now - link.lastSeen > 65_000) link.ws.terminate();
    }
  }, 15_000);
  sweeper.unref();

  // One set of handlers for every socket (`this` is the socket), made here and not inside the
  // upgrade: a closure made there would pin the upgrade request, its head buffer and the
  // identity lookup's scope for as long as the socket stays open.
  function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
    const link = sockets.get(this);
    if (!link) return;
    link.lastSeen = Date.now();
    if (isBinary) {
      this.close(1003, "binary frames are not supported");
      return;
    }
    const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    void link.connection.receive(buffer.toString("utf8"), buffer.byteLength);
  }
  function onClose(this: WebSocket): void {
    const link = sockets.get(this);
    if (!link) return;
    sockets.delete(this);
    void link.connection.close();
  }
  function onError(this: WebSocket): void {
    this.terminate();
  }
  function attach(ws: WebSocket, who: Identity, headers: Headers): void {
    const link = new SocketLink(ws);
    link.connection = new LiveConnection(host, connectionIdentity(who, headers, "websocket"), link);
    sockets.set(ws, link);
    ws.on("message", onMessage);
    ws.on("close", onClose);
    ws.on("error", onError);
  }

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): boolean => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== WEBSOCKET_PATH) return false;
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      // The connection keeps these headers as its views' `request.headers` for as long as it
      // is open; the handshake's own headers say nothing about the user and are left out.
      if (HANDSHAKE_HEADERS.has(name)) continue;
      if (typeof value === "string") headers.set(name, value);
      else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    }
    const secure = (req.socket as { encrypted?: boolean }).encrypted === true;
    if (!sameOrigin(req.headers.origin, req.headers.host, secure)) {
      socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return true;
    }
    void identify(headers, req.socket.remoteAddress).then(
      (who) => {
        if (socket.destroyed) return;
        wss.handleUpgrade(req, socket, head, (ws) => attach(ws, who, headers));
      },
      (error: unknown) => {
        ctx.logger.error("WebSocket upgrade failed", { error: String(error) });
        socket.destroy();
      },
    );
    return true;
  };
  ctx.upgradeHandlers.push(onUpgrade);

  const transport: LiveTransport = {
    host,
    get connectionCount() {
      return sockets.size;
    },
    get longPollCount() {
      return longPoll.size;
    },
    async disconnectAll(code = 1012) {
      const pending = [...sockets].map(async ([ws, link]) => {
        sockets.delete(ws);
        await link.connection.close();
        ws.close(code, "server restart");
      });
      await Promise.all(pending);
    },
    setPageShell(next) {
      shell = next;
    },
  };
  transports.set(ctx, transport);

  ctx.onClose.push(async () => {
    clearInterval(sweeper);
    await transport.disconnectAll(1001);
    await longPoll.close();
    wss.close();
  });
}
