/**
 * What the app hands the live layer, as plain values: the dependencies of every view
 * ({@link LiveEnv}), its live routes ({@link LiveRoute}) and, per connection, the tokens, limits
 * and route lookups ({@link LiveHost}), and who is on the other end of a connection
 * ({@link ConnectionIdentity}). The server builds these; nothing here knows the app.
 * @module
 */
import type { LiveComponentClass } from "../view/live-component.js";
import type { Logger } from "../logger.js";
import type { PubSub } from "../pubsub/types.js";
import type { Presence } from "../presence/tracker.js";
import type { RateLimitStore } from "../ratelimit/bucket.js";
import type { Template } from "../render/tree.js";
import type { StateBackend } from "../state/backends/types.js";
import type { LiveViewClass } from "../view/live-view.js";
import type { User } from "../auth/user.js";
import type { Params, Transport } from "../view/runtime.js";
import type { SessionData } from "../auth/session.js";
import type { TokenSigner } from "./token.js";
import type { CookiePolicy } from "../auth/http.js";
import type { OnMountHook } from "../pipeline/lifecycle.js";
import type { SessionConnections } from "./session-connections.js";

/**
 * When a connected view's changes are stored: `"reply"` before the reply (or push) of the step
 * that made them leaves the server, so a node dying right after cannot lose an acknowledged
 * event; `"behind"` coalesced, 250 ms (`SAVE_DELAY_MS`) after the first change, so a node dying
 * loses the changes of that last moment (the browser rolls back to the last write).
 */
export type Durability = "reply" | "behind";

/** What nested views need from the app: view tokens and the registered views. */
export interface NestHost {
  readonly viewTokens: TokenSigner;
  /**
   * The view a `live_render` names — a class, or the API slug or class name of a view
   * registered with `app.live` / `app.register` — as a route for its instances (services,
   * on-mount hooks); `undefined` when the app does not know it.
   */
  childRoute(view: LiveViewClass | string): LiveRoute | undefined;
}

/** Who may frame the app's pages (option `frameAncestors`). */
export interface HtmlPolicy {
  /** The CSP `frame-ancestors` source list. */
  readonly frameAncestors: string;
}

/**
 * WebSocket compression (permessage-deflate, RFC 7692), negotiated when the client offers it
 * (browsers do). Inflated client messages are held to `limits.frameBytes` like plain ones.
 */
export interface WebSocketCompression {
  /**
   * Messages shorter than this many bytes go out uncompressed: small event replies cost no
   * deflate, large ones (join replies, big diffs) shrink several times.
   * @default 1024
   */
  readonly threshold: number;
}

/** Finds compiled templates by name (the app's `TemplateLoader`). */
export interface TemplateSource {
  get(name: string): Template;
}

/** A live route: which view class serves it, under which API slug, with which services. */
export interface LiveRoute {
  /** Stable identifier of the route inside a token (the route's path pattern). */
  readonly key: string;
  readonly view: LiveViewClass;
  /** API slug (rate-limit buckets are keyed by it on every transport). */
  readonly slug: string;
  /**
   * `liveSession` services: each reaches `setup`/`mount` as `params[name]`; a function value is
   * called per instance with the request to make the service.
   */
  readonly services?: Readonly<Record<string, unknown>>;
  /** `liveSession` on-mount hooks, run before `mount` or the restore on every transport. */
  readonly onMount?: readonly OnMountHook[];
}

/** App-level dependencies of live views. */
export interface LiveEnv {
  readonly logger: Logger;
  readonly strictSerialization: boolean;
  readonly debug: boolean;
  readonly templates?: TemplateSource;
  readonly stateBackend: StateBackend;
  /** Lifetime of stored snapshots. */
  readonly stateTtlSeconds: number;
  /** When a connected view's changes are stored. Default `"behind"`. */
  readonly durability?: Durability;
  readonly pubsub: PubSub;
  readonly rateLimits: RateLimitStore;
  /** Deepest nesting of client input (`limits.inputDepth`). */
  readonly inputDepth: number;
  /** This node's presence (on top of {@link pubsub}). */
  readonly presence: Presence;
  /** Presence entries one view may hold (`limits.presencesPerView`). */
  readonly presencesPerView: number;
  /** Nested views (`liveRender`): their tokens and the views they may name. */
  readonly nest?: NestHost;
  /** LiveComponent classes by their `{% live_component %}` name (`app.component`). */
  readonly components?: ReadonlyMap<string, LiveComponentClass>;
}

/** Per-connection limits (`limits` app option). */
export interface ConnectionLimits {
  readonly frameBytes: number;
  readonly eventsPerSecond: number;
  readonly eventBurst: number;
  /** Bytes queued for one client before its connection is closed. */
  readonly outboundBytes: number;
  /** Long-poll sessions per caller (the oldest is closed beyond it). */
  readonly longPollSessionsPerClient: number;
  /** Long-poll sessions in all (the oldest is closed beyond it). */
  readonly longPollSessions: number;
  /** Views one connection may hold joined (another join is refused). */
  readonly viewsPerConnection: number;
}

/** What the app provides to every connection. */
export interface LiveHost {
  readonly env: LiveEnv;
  readonly viewTokens: TokenSigner;
  /** Signs upload tokens (one per preflighted entry, bound to its view and entry). */
  readonly uploadTokens: TokenSigner;
  /** Signs the flash a `pushNavigate`/`redirect` carries to the next page. */
  readonly flashTokens: TokenSigner;
  /** Max age of a view token, in ms. */
  readonly tokenMaxAgeMs: number;
  readonly limits: ConnectionLimits;
  /** Connections a shutdown drains at once (app option `shutdownConcurrency`). */
  readonly shutdownConcurrency: number;
  readonly loginUrl: string;
  /** Headers of HTML pages (`frameAncestors`). */
  readonly html: HtmlPolicy;
  /** permessage-deflate on the WebSocket, or `false` for none (option `perMessageDeflate`). */
  readonly perMessageDeflate: WebSocketCompression | false;
  /** The app's cookie policy (`Secure` flag of the cookies pages set). */
  readonly cookies: CookiePolicy;
  /** The `phoenix_live_view` version the bundled client expects in join replies. */
  readonly liveviewVersion: string;
  /** This node's connections by the session they joined with, disconnected when it ends. */
  readonly sessionConnections: SessionConnections;
  routeByKey(key: string): LiveRoute | undefined;
  /** The live route serving a URL (live navigation), with its route params. */
  matchUrl(url: URL): { route: LiveRoute; params: Params } | undefined;
}

/** Who is on the other end of a connection, established when it opened. */
export interface ConnectionIdentity {
  readonly user: User | null;
  readonly session: SessionData;
  /**
   * The `sessionDigest` of the session the connection joined with (none without a session):
   * the connection is closed when that session ends.
   */
  readonly sessionKey?: string;
  /** Rate-limit caller key. */
  readonly caller: string;
  readonly headers: Headers;
  readonly transport: Extract<Transport, "websocket" | "longpoll">;
  /** Whether `token` is the CSRF token of this browser session (constant time). */
  verifyCsrf(token: unknown): boolean;
  /**
   * The session's CSRF token, when the transport knows it. Views joined on the connection
   * share this one copy instead of each keeping the (equal) one from its join message.
   */
  readonly csrfToken?: string;
}
