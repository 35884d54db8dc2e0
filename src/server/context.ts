/**
 * The app-wide services every layer (page routes, live transport, HTTP API) shares: resolved
 * options, the view registry, sessions, rate limits, snapshots, pub/sub. One {@link AppContext} per `createApp`.
 * @module
 */
import type { LiveComponentClass } from "../view/live-component.js";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { Hono } from "hono";
import type { User } from "../auth/user.js";
import type { SessionManager, SessionStore } from "../auth/session.js";
import type { Signer } from "../auth/signing.js";
import type { Logger } from "../logger.js";
import type { PubSub } from "../pubsub/types.js";
import { PRESENCE_DEFAULTS, type Presence } from "../presence/tracker.js";
import type { RateLimitStore } from "../ratelimit/bucket.js";
import type { RedisClient } from "../redis.js";
import type { Durability } from "../live/host.js";
import type { StateBackend } from "../state/backends/types.js";
import type { SerializationPolicy } from "../state/codec.js";
import type { LiveViewClass } from "../view/live-view.js";
import type { PageShell } from "../live/page.js";
import type { WebSocketCompression } from "../live/host.js";
import type { TemplateLoader } from "../template/loader.js";
import type { FragmentCacheOptions } from "../template/fragment-cache.js";
import type { LiveRequest } from "../view/runtime.js";
import type { OnMountHook } from "../pipeline/lifecycle.js";
import { DEFAULT_INPUT_DEPTH } from "../view/validate.js";

/** Per-app limits; partial values merge with {@link DEFAULT_LIMITS}. See docs/security.md. */
export interface Limits {
  /**
   * Largest HTTP API body, in bytes (checked while streaming).
   * @default 1048576 (1 MiB)
   */
  readonly bodyBytes: number;
  /**
   * Largest WebSocket frame, and largest long-poll message, in bytes.
   * @default 65536 (64 KiB)
   */
  readonly frameBytes: number;
  /**
   * Sustained live messages (events, joins, patches, upload requests) per second per caller,
   * across its connections and reconnects.
   * @default 20
   */
  readonly eventsPerSecond: number;
  /**
   * Live messages a caller may send at once after a quiet period.
   * @default 40
   */
  readonly eventBurst: number;
  /**
   * Data queued for one client and not yet taken (a WebSocket's send buffer, a long-poll
   * session's queue), in bytes; above it the connection is closed.
   * @default 8388608 (8 MiB)
   */
  readonly outboundBytes: number;
  /**
   * Long-poll sessions one caller may hold open on one node; opening another closes its oldest.
   * @default 8
   */
  readonly longPollSessionsPerClient: number;
  /**
   * Long-poll sessions one node holds open in all; opening another closes the oldest.
   * @default 10000
   */
  readonly longPollSessions: number;
  /**
   * Sessions the default in-memory session store keeps; beyond it the oldest are dropped.
   * @default 100000
   */
  readonly sessions: number;
  /**
   * Rate-limit buckets the default in-memory store keeps; beyond it idle ones, then the
   * oldest, are dropped.
   * @default 100000
   */
  readonly rateLimitBuckets: number;
  /**
   * View snapshots the default in-memory state backend keeps (every page load stores one);
   * beyond it expired, then the least recently written, snapshots are dropped.
   * @default 100000
   */
  readonly snapshots: number;
  /**
   * Deepest nesting of client input, in levels (`{"a":{"b":1}}` is 2, a form name `a[b][c]`
   * is 3), on every transport: event values and meta, form names, HTTP API bodies. Deeper input
   * is refused with `validation_error` before anything walks it.
   * @default 32
   */
  readonly inputDepth: number;
  /**
   * Live views one connection (a WebSocket or long-poll session) may hold joined at once;
   * another join is refused.
   * @default 64
   */
  readonly viewsPerConnection: number;
  /**
   * Presence entries one topic may hold, all nodes together; a `track` beyond it is refused
   * (returns `false`, logged).
   * @default 10000
   */
  readonly presencesPerTopic: number;
  /**
   * Presence entries one view may hold; a `track` beyond it is refused (returns `false`).
   * @default 20
   */
  readonly presencesPerView: number;
}

/** The limits used when the app sets none. */
export const DEFAULT_LIMITS: Limits = Object.freeze({
  bodyBytes: 1024 * 1024,
  frameBytes: 64 * 1024,
  eventsPerSecond: 20,
  eventBurst: 40,
  outboundBytes: 8 * 1024 * 1024,
  longPollSessionsPerClient: 8,
  longPollSessions: 10_000,
  sessions: 100_000,
  rateLimitBuckets: 100_000,
  snapshots: 100_000,
  inputDepth: DEFAULT_INPUT_DEPTH,
  viewsPerConnection: 64,
  presencesPerTopic: PRESENCE_DEFAULTS.perTopic,
  presencesPerView: PRESENCE_DEFAULTS.perView,
});

/** OpenAPI document settings. */
export interface OpenApiOptions {
  readonly title: string;
  readonly version: string;
  /** `false` → the document and docs page answer 404 unless the caller is authenticated. */
  readonly public: boolean;
}

/**
 * A service given to views through `liveSession`: a value, or a function called per view
 * instance (with the request) that makes it.
 */
export type ServiceFactory = unknown | ((request: LiveRequest) => unknown);

/** Services injected into `setup`/`mount` params by name. */
export type Services = Readonly<Record<string, ServiceFactory>>;

/** Options of `createApp` (DESIGN.md §4b, §10). */
export interface AppOptions {
  /** Signing key. Else env `DJUST_SECRET_KEY`; required when `NODE_ENV=production`. */
  secretKey?: string;
  /** Directories searched for `static templateName` files. Default `["templates"]`. */
  templateDirs?: readonly string[];
  /** Debug mode: tracebacks in error details, template reloading, `{% debug %}` output. */
  debug?: boolean;
  /**
   * IANA time zone templates show dates in (Django's `TIME_ZONE` with `USE_TZ = True`): the
   * `date`/`time` filters, `{{ date }}`, `{% now %}`; `{% timezone %}` changes it for a block.
   * @default "UTC"
   */
  timeZone?: string;
  /**
   * Language of templates (Django's `LANGUAGE_CODE` with `USE_L10N`): the catalog the
   * translation tags read, named date formats and month/day names; `{% language %}` changes it
   * for a block.
   * @default "en-us"
   */
  locale?: string;
  /**
   * Directories of gettext catalogs, `<dir>/<lang>/LC_MESSAGES/*.po` (Django's `LOCALE_PATHS`
   * and each app's `locale/`); earlier directories win.
   * @default []
   */
  localeDirs?: readonly string[];
  /**
   * The caches `{% cache %}` keeps rendered fragments in (memory, one set per app), by the name
   * `using="name"` refers to, each bounded in entries and characters; without `using=`, the
   * tag uses `template_fragments` if there is one, else `default` (always present).
   * @default { default: { maxEntries: 1000, maxChars: 4194304 } }
   */
  fragmentCaches?: Readonly<Record<string, FragmentCacheOptions>>;
  /** Throw on non-serializable state instead of warning. Else env `DJUST_STRICT_SERIALIZATION=1`. */
  strictSerialization?: boolean;
  /** Where warnings and errors go. Default: stderr. */
  logger?: Logger;
  /** Resolves a session's user id to a user. */
  loadUser?: (id: string | number) => User | null | Promise<User | null>;
  /**
   * The one switch for many nodes: a `redis://…` URL or a node-redis client puts every shared
   * adapter (sessions, rate-limit buckets, view snapshots, pub/sub) in Redis. An explicit
   * `sessionStore`, `rateLimitStore`, `stateBackend` or `pubsub` still overrides its own
   * adapter. A URL is connected on first use and closed by `app.close()`; a client already
   * connected stays yours to close (one given unconnected is connected and closed by the app).
   * `false` keeps everything in memory even when `REDIS_URL` is set.
   * @default env `REDIS_URL` when set, else memory
   */
  redis?: string | RedisClient | false;
  /**
   * Bound of every Redis operation (connecting included) of the adapters the app picks, in
   * milliseconds. Past it the operation fails: `503 service_unavailable` over HTTP, the same
   * kind in a WebSocket reply; everything recovers by itself when Redis answers again.
   * @default 1000
   */
  redisTimeoutMs?: number;
  /**
   * When a connected view's state changes are stored: `"reply"` before the reply of the event
   * that made them is sent (a node that dies right after loses no acknowledged event; a store
   * that fails turns the reply into `service_unavailable`), or `"behind"`, coalesced a quarter
   * second after the first change (a node that dies loses that last moment of events).
   * @default "reply" with a Redis (or any non-memory) state backend, else "behind"
   */
  durability?: Durability;
  /**
   * How long `close()` of a listening server (and SIGTERM under `djust serve`) waits for views
   * to be saved and connections to end before dropping them, in milliseconds, so that a stalled
   * Redis cannot keep a node from exiting.
   * @default 10000
   */
  shutdownTimeoutMs?: number;
  /**
   * How many live connections a shutdown drains at once, each saving its views' snapshots
   * before its socket closes. Thousands of writes sent together would wait in one Redis queue
   * past `redisTimeoutMs` and fail together; in batches they finish within
   * `shutdownTimeoutMs`. Views whose stored snapshot is current write nothing.
   * @default 64
   */
  shutdownConcurrency?: number;
  /**
   * Session store. Passed in, it is yours to close.
   * @default Redis when {@link AppOptions.redis} or env `REDIS_URL` is set, else memory
   */
  sessionStore?: SessionStore;
  /**
   * Rate-limit bucket store shared by every transport. Passed in, it is yours to close.
   * @default Redis when {@link AppOptions.redis} or env `REDIS_URL` is set, else memory
   */
  rateLimitStore?: RateLimitStore;
  /** HTTP API mount prefix. Default `/djust/api/`. */
  apiPrefix?: string;
  /** Where anonymous users of `loginRequired` pages are sent. Default `/login/`. */
  loginUrl?: string;
  /**
   * Reverse proxies in front of the app whose `X-Forwarded-For` (client IP) and
   * `X-Forwarded-Proto` (HTTPS, for `Secure` cookies) headers are trusted.
   * @default 0
   */
  trustedProxyCount?: number;
  /**
   * Mark every cookie `Secure`. Without it, cookies are `Secure` when the request is HTTPS,
   * directly or via a trusted proxy's `X-Forwarded-Proto`.
   * @default `true` when `NODE_ENV=production`, else `false`
   */
  secureCookies?: boolean;
  /**
   * Who may frame the app's HTML pages: the CSP `frame-ancestors` value (`'self'`, `'none'`, or
   * a list of sources). `X-Frame-Options` follows it (`SAMEORIGIN` for `'self'`, `DENY` for
   * `'none'`, left out otherwise).
   * @default "'self'"
   */
  frameAncestors?: string;
  /** Resource limits; partial values merge with the defaults ({@link Limits}). */
  limits?: Partial<Limits>;
  /**
   * Compress WebSocket messages (permessage-deflate) when the client offers it: `true`, `false`
   * (never), or options. The 1,000-row table's join reply goes from 61 kB to 10 kB on the wire.
   * @default `{ threshold: 1024 }` (on; messages under 1 KiB uncompressed)
   */
  perMessageDeflate?: boolean | Partial<WebSocketCompression>;
  openapi?: Partial<OpenApiOptions>;
  /**
   * Live view snapshots. Passed in, it is yours to close.
   * @default Redis when {@link AppOptions.redis} or env `REDIS_URL` is set, else memory
   */
  stateBackend?: StateBackend;
  /**
   * Lifetime of live view snapshots from their last write, in whole seconds. An open view's
   * connection heartbeats (every 30 s) keep its snapshot alive past it if it is at least 60 s:
   * a shorter one is warned about.
   * @default 3600
   */
  stateTtlSeconds?: number;
  /**
   * A node that stops answering (killed, cut off) has its presence entries removed on every
   * other node within this many milliseconds. Nodes with entries send a heartbeat every
   * quarter of it over the pub/sub.
   * @default 30000
   */
  presenceTimeoutMs?: number;
  /**
   * Pub/sub for `subscribe`/`broadcast`. Passed in, it is yours to close.
   * @default Redis when {@link AppOptions.redis} or env `REDIS_URL` is set, else memory
   */
  pubsub?: PubSub;
  /**
   * The HTML document around live pages (the `<head>`: stylesheets, meta tags). Receives the
   * parts djust needs on every page (title, CSRF meta tag, client script, live container).
   * @default `defaultShell`
   */
  pageShell?: PageShell;
}

/** {@link AppOptions} with every default applied. */
export interface ResolvedOptions {
  readonly secretKey: string;
  readonly templateDirs: readonly string[];
  readonly debug: boolean;
  readonly timeZone: string;
  readonly locale: string;
  readonly localeDirs: readonly string[];
  readonly fragmentCaches: Readonly<Record<string, FragmentCacheOptions>>;
  readonly strictSerialization: boolean;
  readonly logger: Logger;
  readonly loadUser?: (id: string | number) => User | null | Promise<User | null>;
  readonly apiPrefix: string;
  readonly loginUrl: string;
  readonly trustedProxyCount: number;
  readonly secureCookies: boolean;
  readonly frameAncestors: string;
  readonly perMessageDeflate: WebSocketCompression | false;
  readonly limits: Limits;
  readonly openapi: OpenApiOptions;
  readonly stateTtlSeconds?: number;
  readonly presenceTimeoutMs: number;
  readonly durability?: Durability;
  readonly shutdownTimeoutMs: number;
  readonly shutdownConcurrency: number;
}

/** A page route of a live view: `app.live(path, View, { name })`. */
export interface PageRoute {
  readonly path: string;
  readonly name?: string;
}

/** A view known to the app, with its slug and injected services. */
export interface ViewEntry {
  readonly view: LiveViewClass;
  readonly slug: string;
  readonly services: Services;
  /** On-mount hooks of its `liveSession`s, in registration order. */
  readonly onMount: readonly OnMountHook[];
  /** Page routes serving this view (none for `app.register`ed API-only views). */
  readonly routes: PageRoute[];
}

/** Handles a Node `upgrade` event; returns `false` when the URL is not its own. */
export type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => boolean;

/** Shared services of one app. */
export interface AppContext {
  readonly options: ResolvedOptions;
  readonly hono: Hono;
  readonly logger: Logger;
  readonly signer: Signer;
  readonly sessions: SessionManager;
  /** Rate-limit buckets shared by every transport (chosen by `chooseAdapters`). */
  readonly rateLimits: RateLimitStore;
  /** Where live view snapshots are kept (chosen by `chooseAdapters`). */
  readonly stateBackend: StateBackend;
  /** Pub/sub of `subscribe`/`broadcast` (chosen by `chooseAdapters`). */
  readonly pubsub: PubSub;
  /** This node's presence, on {@link pubsub}. */
  readonly presence: Presence;
  /** Views by slug. */
  readonly views: ReadonlyMap<string, ViewEntry>;
  /** Called for every page route added (after the view entry exists). */
  readonly onPageRoute: ((entry: ViewEntry, route: PageRoute) => void)[];
  /** Tried in order on each WebSocket upgrade request. */
  readonly upgradeHandlers: UpgradeHandler[];
  /** Run by `close()`, in reverse order of registration. */
  readonly onClose: (() => void | Promise<void>)[];
  /**
   * The serialization policy of a view class, one per class: each non-serializable field is
   * warned about once, not on every HTTP API call.
   */
  policyFor(view: LiveViewClass): SerializationPolicy;
  /** The app's templates: live views' `templateName`s and `app.render` pages. */
  readonly templates: TemplateLoader;
  /** LiveComponent classes by their `{% live_component %}` name (`app.component`). */
  readonly components: Map<string, LiveComponentClass>;
}
