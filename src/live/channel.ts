/**
 * The server side of one Phoenix socket (one WebSocket, or one long-poll session): heartbeats,
 * `phx_join` of `lv:<id>` topics with token + CSRF verification, `event`, `live_patch`,
 * `phx_leave`, server pushes, and the per-connection limits. Transport-agnostic: the transport
 * hands in text frames and provides `send`/`close`.
 * @module
 */
import { isAuthenticated, type User } from "../auth/user.js";
import { DjustError, InvalidJson, NotFound, RateLimited } from "../errors.js";
import { MemoryRateLimitStore, retryAfterSeconds } from "../ratelimit/bucket.js";
import type { WireRendered } from "../render/diff.js";
import type { StoredView } from "../state/backends/types.js";
import type { LiveRequest, Navigation, Params, SessionData, Transport } from "../view/runtime.js";
import { AccessDenied } from "../pipeline/lifecycle.js";
import {
  LiveInstance,
  type EventResult,
  type LiveEnv,
  type LiveRoute,
  type StepResult,
} from "./instance.js";
import { readFlash, signFlash, type Flash } from "./flash.js";
import { decodeClientEvent, readClientEvent } from "./params.js";
import {
  CHANNEL_EVENTS,
  ERROR_EVENT,
  PHOENIX_TOPIC,
  ProtocolError,
  decodeFrame,
  encodeFrame,
  pushFrame,
  replyFrame,
  type Frame,
} from "./protocol.js";
import type { TokenSigner } from "./token.js";

/** Close code sent after too many rate-limited events (DESIGN §10). */
export const CLOSE_RATE_LIMITED = 4429;
/** Close code for a frame over `limits.frameBytes` (WebSocket "message too big"). */
export const CLOSE_TOO_BIG = 1009;
/** Close code for a frame that is not a Phoenix V2 frame. */
export const CLOSE_PROTOCOL = 1003;
/**
 * Most views one connection may hold at once. Joins spend no event tokens, so without a cap one
 * socket could mount views until the process runs out of memory; a page has one main view and
 * a few nested ones at most.
 */
export const MAX_VIEWS_PER_CONNECTION = 64;

/** What a view token (`data-phx-session`) says. */
export interface ViewClaims {
  /** The view id, also the key of its snapshot. */
  readonly id: string;
  /** Route key. */
  readonly route: string;
  /** Route params of the page. */
  readonly params: Params;
  /** The user id the page was rendered for (`null` = anonymous). */
  readonly uid: string | number | null;
}

/** Signs and reads view tokens. */
export function signViewToken(signer: TokenSigner, claims: ViewClaims): string {
  return signer.sign({ id: claims.id, r: claims.route, p: claims.params, u: claims.uid });
}

/** The claims of a genuine view token, else `null`. */
export function verifyViewToken(
  signer: TokenSigner,
  token: unknown,
  maxAgeMs: number,
): ViewClaims | null {
  const payload = signer.verify(token, maxAgeMs);
  if (!payload) return null;
  const { id, r, p, u } = payload;
  if (typeof id !== "string" || typeof r !== "string") return null;
  if (typeof p !== "object" || p === null || Array.isArray(p)) return null;
  if (u !== null && typeof u !== "string" && typeof u !== "number") return null;
  return { id, route: r, params: p as Params, uid: u };
}

/** Per-connection limits (`limits` app option). */
export interface ConnectionLimits {
  readonly frameBytes: number;
  readonly eventsPerSecond: number;
  readonly eventBurst: number;
}

/** What the app provides to every connection. */
export interface LiveHost {
  readonly env: LiveEnv;
  readonly viewTokens: TokenSigner;
  /** Signs the flash a `pushNavigate`/`redirect` carries to the next page. */
  readonly flashTokens: TokenSigner;
  /** Max age of a view token, in ms. */
  readonly tokenMaxAgeMs: number;
  readonly limits: ConnectionLimits;
  readonly loginUrl: string;
  /** The `phoenix_live_view` version the bundled client expects in join replies. */
  readonly liveviewVersion: string;
  routeByKey(key: string): LiveRoute | undefined;
  /** The live route serving a URL (live navigation), with its route params. */
  matchUrl(url: URL): { route: LiveRoute; params: Params } | undefined;
}

/** Who is on the other end of a connection, established when it opened. */
export interface ConnectionIdentity {
  readonly user: User | null;
  readonly session: SessionData;
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

/** How a connection talks back to its transport. */
export interface ConnectionSink {
  send(text: string): void;
  close(code: number, reason: string): void;
}

interface Joined {
  readonly topic: string;
  readonly instance: LiveInstance;
  readonly joinRef: string | null;
}

type JsonRecord = Record<string, unknown>;

/** Shared by every connection without a view (never mutated: joins and leaves copy). */
const NO_VIEWS: readonly Joined[] = Object.freeze([]);

/**
 * The request a joined view runs with. A parsed `URL` is some 300 bytes, and a view holds its
 * request for as long as it is open: once the join is done the parsed form is dropped and kept
 * as text, and parsed again (then kept) only if the view reads `request.url` later.
 */
class JoinRequest implements LiveRequest {
  readonly #href: string;
  #url?: URL;

  constructor(
    url: URL,
    readonly headers: Headers,
    readonly user: User | null,
    readonly session: SessionData,
    readonly transport: Transport,
  ) {
    this.#href = url.href;
    this.#url = url;
  }

  get url(): URL {
    return (this.#url ??= new URL(this.#href));
  }

  /** Drops the parsed URL (the join has finished with it). */
  release(): void {
    this.#url = undefined;
  }
}

/** The protocol state of one socket. */
export class LiveConnection {
  readonly #host: LiveHost;
  readonly #identity: ConnectionIdentity;
  readonly #sink: ConnectionSink;
  /**
   * The joined views. An exactly-sized array, not a `Map`: a page joins one main view and at
   * most a few nested ones, and a `Map`'s hash table costs more than the view record itself.
   */
  #joined: readonly Joined[] = NO_VIEWS;
  // Created on the first event: an idle connection (most of them) pays for neither.
  #limiter?: MemoryRateLimitStore;
  #limitedAt?: number[];
  #closed = false;

  constructor(host: LiveHost, identity: ConnectionIdentity, sink: ConnectionSink) {
    this.#host = host;
    this.#identity = identity;
    this.#sink = sink;
  }

  /** Number of views joined on this connection. */
  get viewCount(): number {
    return this.#joined.length;
  }

  /** Whether {@link close} ran or the connection closed itself (limits). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Handles one text frame. `byteLength` is the frame's size on the wire, checked against
   * `limits.frameBytes` (a transport that enforces it itself may pass 0).
   */
  async receive(text: string, byteLength = Buffer.byteLength(text)): Promise<void> {
    if (this.#closed) return;
    if (byteLength > this.#host.limits.frameBytes) {
      this.#abort(CLOSE_TOO_BIG, "frame too large");
      return;
    }
    let frame: Frame;
    try {
      frame = decodeFrame(text);
    } catch (error) {
      if (error instanceof ProtocolError) {
        this.#abort(CLOSE_PROTOCOL, error.message);
        return;
      }
      throw error;
    }
    try {
      await this.#route(frame);
    } catch (error) {
      this.#host.env.logger.error("live channel failed to handle a frame", {
        topic: frame.topic,
        event: frame.event,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
      if (frame.ref !== null) {
        const failure = new DjustError("handler_error", "Internal error.");
        if (frame.event === "event" || frame.event === "live_patch") this.#refuse(frame, failure);
        else this.#send(replyFrame(frame, "error", failure.toJSON()));
      }
    }
  }

  async #route(frame: Frame): Promise<void> {
    if (frame.topic === PHOENIX_TOPIC) {
      if (frame.event === CHANNEL_EVENTS.heartbeat) this.#send(replyFrame(frame, "ok", {}));
      return;
    }
    if (frame.event === CHANNEL_EVENTS.join) return this.#join(frame);
    const joined = this.#find(frame.topic);
    if (!joined || (frame.joinRef !== null && frame.joinRef !== joined.joinRef)) {
      this.#send(replyFrame(frame, "error", { reason: "unmatched topic" }));
      return;
    }
    switch (frame.event) {
      case "event":
        return this.#event(frame, joined);
      case "live_patch":
        return this.#livePatch(frame, joined);
      case CHANNEL_EVENTS.leave:
        this.#remove(frame.topic);
        this.#send(replyFrame(frame, "ok", {}));
        // The browser navigated away from this view for good (a reload just drops the socket).
        await joined.instance.close({ discard: true });
        return;
      case "cids_will_destroy":
      case "cids_destroyed":
        // No stateful components: acknowledge so the client's bookkeeping completes.
        this.#send(replyFrame(frame, "ok", {}));
        return;
      default:
        this.#send(
          replyFrame(frame, "error", {
            error: "not_found",
            message: `Unsupported channel event "${frame.event}".`,
          }),
        );
    }
  }

  async #join(frame: Frame): Promise<void> {
    const fail = (response: JsonRecord) => this.#send(replyFrame(frame, "error", response));
    if (!frame.topic.startsWith("lv:")) {
      fail({ reason: "unmatched topic" });
      return;
    }
    const payload = isRecord(frame.payload) ? frame.payload : {};
    const params = isRecord(payload.params) ? payload.params : {};
    const host = this.#host;
    const claims = verifyViewToken(host.viewTokens, payload.session, host.tokenMaxAgeMs);
    if (!claims || `lv:${claims.id}` !== frame.topic) {
      fail({ reason: "stale", error: "unauthenticated", message: "Invalid or expired session." });
      return;
    }
    if (!this.#identity.verifyCsrf(params._csrf_token)) {
      fail({ reason: "stale", error: "csrf_failed", message: "CSRF token missing or incorrect." });
      return;
    }
    const user = this.#identity.user;
    const uid = isAuthenticated(user) ? user.id : null;
    if ((claims.uid ?? null) !== uid) {
      // Logged in or out since the page was rendered: the page must be rendered again.
      fail({ reason: "stale", error: "unauthenticated", message: "The session changed." });
      return;
    }

    // Which view and URL: the page's own, or (live navigation) the one at `redirect`.
    let route = host.routeByKey(claims.route);
    let routeParams = claims.params;
    let snapshotKey = claims.id;
    const redirect = typeof payload.redirect === "string" ? safeUrl(payload.redirect) : undefined;
    const url = redirect ?? (typeof payload.url === "string" ? safeUrl(payload.url) : undefined);
    if (!url) {
      fail({ reason: "stale", error: "not_found", message: "The join has no valid URL." });
      return;
    }
    if (redirect) {
      const match = host.matchUrl(redirect);
      if (!match) {
        fail({ reason: "unauthorized" });
        return;
      }
      route = match.route;
      routeParams = match.params;
      snapshotKey = `${claims.id}:${match.route.key}:${redirect.pathname}`;
    }
    if (!route) {
      fail({ reason: "stale", error: "not_found", message: "The page's view no longer exists." });
      return;
    }

    const previous = this.#find(frame.topic);
    if (!previous && this.#joined.length >= MAX_VIEWS_PER_CONNECTION) {
      fail({ reason: "join crashed", error: "rate_limited", message: "Too many views." });
      return;
    }
    if (previous) {
      // A second join of a topic replaces the first, as in Phoenix.
      this.#remove(frame.topic);
      this.#send(pushFrame(previous.joinRef, frame.topic, CHANNEL_EVENTS.close, {}));
      await previous.instance.close();
    }

    let stored: StoredView | null = null;
    try {
      stored = await host.env.stateBackend.get(snapshotKey);
    } catch (error) {
      host.env.logger.error("reading a view snapshot failed; mounting instead", {
        view: route.view.name,
        error: String(error),
      });
    }
    const topic = frame.topic;
    const identity = this.#identity;
    const request = new JoinRequest(
      url,
      identity.headers,
      user,
      identity.session,
      identity.transport,
    );
    let instance: LiveInstance;
    let navigation: Navigation | undefined;
    let carried: Flash | undefined;
    try {
      ({
        instance,
        navigation,
        flash: carried,
      } = await LiveInstance.start({
        env: host.env,
        route,
        request,
        routeParams,
        caller: { user, key: this.#identity.caller },
        id: snapshotKey,
        connected: true,
        stored,
        // verifyCsrf passed, so the connection's copy of the token equals the join's.
        csrfToken:
          identity.csrfToken ??
          (typeof params._csrf_token === "string" ? params._csrf_token : undefined),
        // The official client hands back the flash of the `live_redirect` that led here.
        flash: readFlash(host.flashTokens, payload.flash),
        // Bound rather than an arrow: an arrow made here would keep this whole scope (the join
        // frame with its signed token and params) alive as long as the view.
        onPush: this.#push.bind(this, topic),
      }));
    } catch (error) {
      if (error instanceof AccessDenied) {
        if (error.reason === "login") {
          fail({ redirect: { to: loginRedirect(host.loginUrl, url) } });
        } else {
          fail({ reason: "unauthorized", error: error.error.kind, message: error.message });
        }
        return;
      }
      host.env.logger.error(`mounting ${route.view.name} failed`, {
        view: route.view.name,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
      fail({
        reason: "join crashed",
        error: "mount_failed",
        message: host.env.debug && error instanceof Error ? error.message : "Mount failed.",
      });
      return;
    }

    if (navigation && navigation.kind !== "patch") {
      await instance.close({ discard: true });
      fail(navigationReply(navigation, signFlash(host.flashTokens, carried ?? {})));
      return;
    }
    if (this.#closed) {
      await instance.close();
      return;
    }
    // concat sizes the copy exactly (spread or push would reserve room for 17 entries).
    this.#joined = this.#joined.concat({ topic, instance, joinRef: frame.joinRef });
    const response: JsonRecord = {
      liveview_version: host.liveviewVersion,
      rendered: instance.renderFull().wire,
    };
    if (navigation?.kind === "patch") {
      const result = await instance.patch(new URL(navigation.to, url));
      response.live_patch = { kind: navigation.replace ? "replace" : "push", to: navigation.to };
      if (result.diff) this.#send(pushFrame(frame.joinRef, topic, "diff", result.diff));
    }
    request.release();
    this.#send(replyFrame(frame, "ok", response));
  }

  async #event(frame: Frame, joined: Joined): Promise<void> {
    const event = readClientEvent(frame.payload);
    if (!event) {
      this.#refuse(frame, new InvalidJson("Malformed event payload."));
      return;
    }
    // Only events spend connection tokens; heartbeats, joins and patches are free.
    const limits = this.#host.limits;
    this.#limiter ??= new MemoryRateLimitStore({ maxBuckets: 1 });
    const decision = this.#limiter.take("events", {
      rate: limits.eventsPerSecond,
      burst: limits.eventBurst,
    });
    if (!decision.allowed) {
      this.#refuse(frame, new RateLimited(retryAfterSeconds(decision.retryAfterMs)));
      this.#noteLimited();
      return;
    }
    const decoded = decodeClientEvent(event);
    const result = await joined.instance.event(event.event, decoded.params, decoded.coerceStrings);
    this.#replyStep(frame, joined, result);
  }

  #replyStep(frame: Frame, joined: Joined, result: EventResult): void {
    if (result.error) {
      // A handler that failed halfway may still have changed state: its diff goes along.
      this.#refuse(frame, result.error, result.diff);
      if (result.error instanceof RateLimited) this.#noteLimited();
      return;
    }
    const response: JsonRecord = {};
    if (result.diff) response.diff = result.diff;
    if (result.navigation) {
      const flash = result.flash && signFlash(this.#host.flashTokens, result.flash);
      Object.assign(response, navigationReply(result.navigation, flash));
    }
    this.#send(replyFrame(frame, "ok", response));
  }

  async #livePatch(frame: Frame, joined: Joined): Promise<void> {
    const payload = isRecord(frame.payload) ? frame.payload : {};
    const url = typeof payload.url === "string" ? safeUrl(payload.url) : undefined;
    if (!url || url.origin !== joined.instance.url.origin) {
      this.#refuse(frame, new NotFound("Bad patch URL."));
      return;
    }
    const result = await joined.instance.patch(url);
    this.#replyStep(frame, joined, result);
  }

  /**
   * Replies to a refused or failed event (DESIGN §10): status `ok`, so the client clears the
   * element's loading state, with the error as a {@link ERROR_EVENT} client event in the diff,
   * next to whatever the handler changed.
   */
  #refuse(frame: Frame, error: DjustError, diff?: WireRendered | null): void {
    const carrier: WireRendered = diff ? { ...diff } : {};
    const events = Array.isArray(carrier.e) ? carrier.e : [];
    carrier.e = [...events, [ERROR_EVENT, error.toJSON() as unknown as WireRendered]];
    this.#send(replyFrame(frame, "ok", { diff: carrier }));
  }

  #push(topic: string, result: StepResult): void {
    const joined = this.#find(topic);
    if (!joined || this.#closed) return;
    if (result.diff) this.#send(pushFrame(joined.joinRef, topic, "diff", result.diff));
    const nav = result.navigation;
    if (!nav) return;
    const flash = result.flash && signFlash(this.#host.flashTokens, result.flash);
    // A server push names the navigation by the same key as a reply does.
    const [event, payload] = Object.entries(navigationReply(nav, flash))[0] as [string, unknown];
    this.#send(pushFrame(joined.joinRef, topic, event, payload));
  }

  // DESIGN §10: 10 rate-limited events within 10 s close the socket.
  #noteLimited(): void {
    const now = Date.now();
    const times = (this.#limitedAt ??= []);
    times.push(now);
    while (times.length > 0 && now - (times[0] as number) > 10_000) times.shift();
    if (times.length >= 10) this.#abort(CLOSE_RATE_LIMITED, "rate limited");
  }

  #send(frame: Frame): void {
    if (this.#closed) return;
    this.#sink.send(encodeFrame(frame));
  }

  #abort(code: number, reason: string): void {
    if (this.#closed) return;
    void this.close();
    this.#sink.close(code, reason);
  }

  /** Stops every view of this connection, saving their snapshots for a rejoin. */
  async close(): Promise<void> {
    this.#closed = true;
    const views = this.#joined;
    this.#joined = NO_VIEWS;
    await Promise.all(views.map((joined) => joined.instance.close()));
  }

  /** The instances joined on this connection (tests, shutdown). */
  instances(): LiveInstance[] {
    return this.#joined.map((joined) => joined.instance);
  }

  #find(topic: string): Joined | undefined {
    for (const joined of this.#joined) if (joined.topic === topic) return joined;
    return undefined;
  }

  #remove(topic: string): void {
    const views = this.#joined;
    const index = views.findIndex((joined) => joined.topic === topic);
    if (index < 0) return;
    // Rebuilt exactly sized, as on join.
    this.#joined =
      views.length === 1 ? NO_VIEWS : views.slice(0, index).concat(views.slice(index + 1));
  }
}

/**
 * The reply keys of a navigation, as the official client reads them (also the event names of
 * the same navigation pushed by the server). `flash` is the signed flash carried along.
 */
function navigationReply(nav: Navigation, flash?: string): JsonRecord {
  const carried = flash === undefined ? {} : { flash };
  switch (nav.kind) {
    case "patch":
      return { live_patch: { kind: nav.replace ? "replace" : "push", to: nav.to } };
    case "navigate":
      return { live_redirect: { kind: nav.replace ? "replace" : "push", to: nav.to, ...carried } };
    case "redirect":
      return { redirect: { to: nav.to, ...carried } };
  }
}

/** `loginUrl?next=<path>` for a URL that needs a login. */
export function loginRedirect(loginUrl: string, url: URL): string {
  const separator = loginUrl.includes("?") ? "&" : "?";
  return `${loginUrl}${separator}next=${encodeURIComponent(url.pathname + url.search)}`;
}

function isRecord(value: unknown): value is JsonRecord {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function safeUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}
