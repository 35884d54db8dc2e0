/**
 * The server side of one Phoenix socket (one WebSocket, or one long-poll session): routes each
 * frame — heartbeats, joins of view topics (checked and started by `join.ts`), events, live
 * patches, leaves — to its view, sends replies and server pushes, and enforces the
 * per-connection limits (frame size, event rate, views). Transport-agnostic: the transport hands
 * in text frames and provides `send`/`close`.
 * @module
 */
import { errorText } from "../logger.js";
import {
  DjustError,
  InvalidJson,
  NotFound,
  RateLimited,
  ServiceUnavailable,
  ValidationError,
} from "../errors.js";
import { isThenable, type MaybePromise } from "../maybe-promise.js";
import { retryAfterSeconds, type RateLimitDecision } from "../ratelimit/bucket.js";
import type { WireRendered } from "../render/diff.js";
import { signFlash } from "./flash.js";
import {
  decodeBinaryFrame,
  decodeFrame,
  encodeFrame,
  ProtocolError,
  pushFrame,
  replyFrame,
  type BinaryFrame,
  type Frame,
} from "./frame.js";
import type { ConnectionIdentity, LiveHost } from "./host.js";
import type { EventResult, LiveInstance, StepResult } from "./instance.js";
import { checkJoin, isRefusal, joinReply, startJoin } from "./join.js";
import { decodeClientEvent, isRecord, readClientEvent } from "./params.js";
import {
  CHANNEL_EVENTS,
  CLOSE_PROTOCOL,
  CLOSE_RATE_LIMITED,
  CLOSE_SESSION_ENDED,
  CLOSE_TOO_BIG,
  ERROR_EVENT,
  LIVE_EVENTS,
  navigationReply,
  PHOENIX_TOPIC,
  viewTopic,
} from "./protocol.js";
import { safeUrl } from "./routes.js";
import { preflight, progress, type UploadReply } from "./upload.js";
import { UploadChannels } from "./upload-channel.js";
import type { SessionBound } from "./session-connections.js";
import { traced, tracing } from "../telemetry.js";

/** How a connection talks back to its transport. */
export interface ConnectionSink {
  send(text: string): void;
  close(code: number, reason: string): void;
}

interface Joined {
  readonly topic: string;
  readonly instance: LiveInstance;
  readonly joinRef: string | null;
  /** A nested view's parent topic: the child ends with it (a sticky child has none). */
  readonly parent?: string;
}

type JsonRecord = Record<string, unknown>;

/** The refusal of a nested view whose parent is not joined on the connection. */
const PARENT_GONE: JsonRecord = Object.freeze({
  reason: "unauthorized",
  error: "not_found",
  message: "The parent view is not joined on this connection.",
});

/** Shared by every connection without a view (never mutated: joins and leaves copy). */
const NO_VIEWS: readonly Joined[] = Object.freeze([]);

/** Why a connection is to close once its frames being handled have replied. */
interface Closing {
  readonly code: number;
  readonly reason: string;
  /** Its views are deleted rather than saved: no rejoin could restore them. */
  readonly discard?: boolean;
}

/** The protocol state of one socket. */
export class LiveConnection implements SessionBound {
  readonly #host: LiveHost;
  readonly #identity: ConnectionIdentity;
  readonly #sink: ConnectionSink;
  /**
   * The joined views. An exactly-sized array, not a `Map`: a page joins one main view and at
   * most a few nested ones, and a `Map`'s hash table costs more than the view record itself.
   */
  #joined: readonly Joined[] = NO_VIEWS;
  // Created on the first refusal: an idle connection (most of them) pays for nothing.
  #limitedAt?: number[];
  #closed = false;
  /** Frames being handled: a close for abuse waits for their replies (DESIGN §10). */
  #pending = 0;
  /** Set when the connection is to close once {@link #pending} frames have replied. */
  #closing?: Closing;
  /** Set while {@link drain} waits for the frames being handled to reply. */
  #settled?: () => void;
  /** Upload channels (`lvu:`), made by the first upload: most connections never upload. */
  #uploads?: UploadChannels;

  constructor(host: LiveHost, identity: ConnectionIdentity, sink: ConnectionSink) {
    this.#host = host;
    this.#identity = identity;
    this.#sink = sink;
    if (identity.sessionKey !== undefined) host.sessionConnections.add(identity.sessionKey, this);
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
    const frame = this.#decodeIncoming(byteLength, decodeFrame, text);
    if (frame !== null) await this.#runFrame(frame, this.#route, this.#frameFailed);
  }

  /**
   * Handles one binary frame: an upload chunk for an `lvu:` channel (any other topic gets an
   * error reply). Its size was checked by the transport (`limits.frameBytes`).
   */
  async receiveBinary(data: Buffer): Promise<void> {
    const frame = this.#decodeIncoming(data.byteLength, decodeBinaryFrame, data);
    if (frame !== null) await this.#runFrame(frame, this.#uploadChunk, this.#chunkFailed);
  }

  /**
   * Every incoming frame passes here first: over `limits.frameBytes` or undecodable closes the
   * connection (1009, 1002); `null` means it was dropped.
   */
  #decodeIncoming<I, F>(byteLength: number, decode: (input: I) => F, input: I): F | null {
    if (this.#closed || this.#closing) return null;
    if (byteLength > this.#host.limits.frameBytes) {
      this.#abort(CLOSE_TOO_BIG, "frame too large");
      return null;
    }
    try {
      return decode(input);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.#abort(CLOSE_PROTOCOL, error.message);
      return null;
    }
  }

  /**
   * Runs a decoded frame's handling as pending work (a close waits for it); a failure is
   * reported by `failed` instead of escaping to the transport. Methods are passed unbound and
   * called on this connection, so a frame allocates no closures here.
   */
  async #runFrame<F>(
    frame: F,
    handle: (this: LiveConnection, frame: F) => Promise<void>,
    failed: (this: LiveConnection, frame: F, error: unknown) => void,
  ): Promise<void> {
    this.#pending++;
    try {
      await handle.call(this, frame);
    } catch (error) {
      failed.call(this, frame, error);
    } finally {
      this.#pending--;
      this.#closeIfSettled();
    }
  }

  #frameFailed(frame: Frame, error: unknown): void {
    this.#host.env.logger.error("live channel failed to handle a frame", {
      topic: frame.topic,
      event: frame.event,
      error: errorText(error),
    });
    if (frame.ref === null) return;
    // A Redis outage (rate-limit bucket, snapshot, pub/sub) says so; anything else is a bug.
    const failure =
      error instanceof ServiceUnavailable
        ? error
        : new DjustError("handler_error", "Internal error.");
    const event = frame.event;
    if (event === LIVE_EVENTS.event || event === LIVE_EVENTS.livePatch) {
      this.#refuse(frame, failure);
    } else {
      this.#send(replyFrame(frame, "error", failure.toJSON()));
    }
  }

  #uploadChunk(frame: BinaryFrame): Promise<void> {
    return this.#uploadChannels().binary(frame);
  }

  #chunkFailed(frame: BinaryFrame, error: unknown): void {
    this.#host.env.logger.error("live channel failed to handle an upload chunk", {
      topic: frame.topic,
      error: errorText(error),
    });
    if (frame.ref !== null) this.#send(replyFrame(frame, "error", { reason: "internal error" }));
  }

  #uploadChannels(): UploadChannels {
    return (this.#uploads ??= new UploadChannels({
      host: this.#host,
      send: (frame) => this.#send(frame),
      findView: (id) => this.#joined.find((joined) => joined.instance.id === id)?.instance,
    }));
  }

  /** Closes a connection marked for closing once no frame is being handled any more. */
  #closeIfSettled(): void {
    if (this.#pending !== 0) return;
    const settled = this.#settled;
    if (settled) {
      // A drain closes the views itself (saving them) before the transport.
      this.#settled = undefined;
      settled();
      return;
    }
    const closing = this.#closing;
    if (closing) this.#abort(closing.code, closing.reason, closing.discard);
  }

  /**
   * Spends one token of the caller's connection bucket: one bucket per caller in the app's
   * rate-limit store, shared by its connections and surviving reconnects (DESIGN §10).
   * `null` when a token was spent, else the refusal (and the abuse counter moved on);
   * synchronous with a synchronous store (the memory one).
   */
  #admit(): MaybePromise<RateLimited | null> {
    const limits = this.#host.limits;
    // The bucket's key is made per message, not kept: an idle connection holds no copy of it.
    const decision = this.#host.env.rateLimits.take(`live:${this.#identity.caller}`, {
      rate: limits.eventsPerSecond,
      burst: limits.eventBurst,
    });
    return isThenable(decision)
      ? Promise.resolve(decision).then((d) => this.#decided(d))
      : this.#decided(decision);
  }

  #decided(decision: RateLimitDecision): RateLimited | null {
    if (decision.allowed) return null;
    this.#noteLimited();
    return new RateLimited(retryAfterSeconds(decision.retryAfterMs));
  }

  async #route(frame: Frame): Promise<void> {
    if (frame.topic === PHOENIX_TOPIC) {
      if (frame.event === CHANNEL_EVENTS.heartbeat) {
        this.#send(replyFrame(frame, "ok", {}));
        for (const joined of this.#joined) void joined.instance.keepStored();
      }
      return;
    }
    if (UploadChannels.isUploadTopic(frame.topic)) return this.#uploadFrame(frame);
    if (frame.event === CHANNEL_EVENTS.join) {
      return traced(
        tracing.join,
        () => ({ topic: frame.topic, transport: this.#identity.transport }),
        () => this.#join(frame),
      );
    }
    const joined = this.#find(frame.topic);
    if (!joined || (frame.joinRef !== null && frame.joinRef !== joined.joinRef)) {
      this.#send(replyFrame(frame, "error", { reason: "unmatched topic" }));
      return;
    }
    switch (frame.event) {
      case LIVE_EVENTS.event:
        return this.#event(frame, joined);
      case LIVE_EVENTS.livePatch:
        return this.#livePatch(frame, joined);
      case LIVE_EVENTS.allowUpload: {
        // A preflight may reserve entries and sign tokens: it spends a token (DESIGN §10).
        const limited = await this.#admit();
        if (limited) {
          this.#send(replyFrame(frame, "error", { ...limited.toJSON() }));
          return;
        }
        this.#uploadReply(
          frame,
          joined,
          // Phoenix's long-poll client sends a binary chunk as base64 text, which reads as a
          // malformed text frame here: over long-poll only external uploads can work.
          await preflight(
            this.#host,
            joined.instance,
            frame.payload,
            this.#identity.transport === "websocket",
          ),
        );
        return;
      }
      case LIVE_EVENTS.progress: {
        const reply = await progress(joined.instance, frame.payload);
        // Real progress is bounded by the bytes an entry may send; a report that moves nothing
        // is paid for like any other message.
        const limited = reply.idle ? await this.#admit() : null;
        if (limited) {
          this.#refuse(frame, limited);
          return;
        }
        this.#uploadReply(frame, joined, reply);
        return;
      }
      case CHANNEL_EVENTS.leave:
        this.#remove(frame.topic);
        this.#uploads?.closeFor(joined.instance);
        this.#send(replyFrame(frame, "ok", {}));
        // The browser navigated away from this view for good (a reload just drops the socket).
        await Promise.all([
          joined.instance.close({ discard: true }),
          this.#endChildren(frame.topic, true),
        ]);
        return;
      case LIVE_EVENTS.cidsWillDestroy:
      case LIVE_EVENTS.cidsDestroyed:
        return this.#componentsGone(frame, joined);
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
    const host = this.#host;
    // Each join runs a mount (or restore) and a render: it spends a token like an event.
    const admitted = this.#admit();
    const limited = isThenable(admitted) ? await admitted : admitted;
    if (limited) {
      this.#send(
        replyFrame(frame, "error", {
          reason: "join crashed",
          error: limited.kind,
          message: limited.message,
        }),
      );
      return;
    }
    const plan = checkJoin(host, this.#identity, frame);
    if (isRefusal(plan)) {
      this.#send(replyFrame(frame, "error", plan.refused));
      return;
    }
    const topic = frame.topic;
    // A nested view lives inside its parent (the client joins it once the parent joined); a
    // sticky one is a root of its own.
    const parent = typeof plan.parent === "string" ? viewTopic(plan.parent) : undefined;
    if (parent !== undefined && !this.#find(parent)) {
      this.#send(replyFrame(frame, "error", PARENT_GONE));
      return;
    }
    const previous = this.#find(topic);
    // A page has one main view and a few nested ones at most, and each held view costs memory
    // whatever the rate limit allows.
    if (!previous && this.#joined.length >= host.limits.viewsPerConnection) {
      this.#send(
        replyFrame(frame, "error", {
          reason: "join crashed",
          error: "rate_limited",
          message: "Too many views.",
        }),
      );
      return;
    }
    if (previous) {
      // A second join of a topic replaces the first, as in Phoenix.
      this.#remove(topic);
      this.#uploads?.closeFor(previous.instance);
      this.#send(pushFrame(previous.joinRef, topic, CHANNEL_EVENTS.close, {}));
      await Promise.all([previous.instance.close(), this.#endChildren(topic, false)]);
    }
    // Bound rather than an arrow: an arrow made here would keep this whole scope (the join
    // frame with its signed token and params) alive as long as the view.
    const started = await startJoin(host, this.#identity, plan, this.#push.bind(this, topic));
    if (isRefusal(started)) {
      this.#send(replyFrame(frame, "error", started.refused));
      return;
    }
    const { instance } = started;
    if (this.#closed) {
      await instance.close();
      return;
    }
    if (parent !== undefined && !this.#find(parent)) {
      // The parent left while the child mounted.
      await instance.close({ discard: true });
      this.#send(replyFrame(frame, "error", PARENT_GONE));
      return;
    }
    const entry: Joined = parent
      ? { topic, instance, joinRef: frame.joinRef, parent }
      : { topic, instance, joinRef: frame.joinRef };
    // concat sizes the copy exactly (spread or push would reserve room for 17 entries).
    this.#joined = this.#joined.concat(entry);
    const { response, diff } = await joinReply(host, plan, started);
    if (diff) this.#send(pushFrame(frame.joinRef, topic, LIVE_EVENTS.diff, diff));
    this.#send(replyFrame(frame, "ok", response));
  }

  async #event(frame: Frame, joined: Joined): Promise<void> {
    const event = readClientEvent(frame.payload);
    if (!event) {
      this.#refuse(frame, new InvalidJson("Malformed event payload."));
      return;
    }
    const admitted = this.#admit();
    const limited = isThenable(admitted) ? await admitted : admitted;
    if (limited) {
      this.#refuse(frame, limited);
      return;
    }
    let decoded: ReturnType<typeof decodeClientEvent>;
    try {
      decoded = decodeClientEvent(event, this.#host.env.inputDepth);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      this.#refuse(frame, error);
      return;
    }
    const uploads = isRecord(frame.payload) ? frame.payload.uploads : undefined;
    const result = await joined.instance.event(
      event.event,
      decoded.params,
      decoded.coerceStrings,
      uploads,
      event.cid,
    );
    this.#replyStep(frame, joined, result);
  }

  /**
   * The client's two-phase removal of components (`cids_will_destroy`, then `cids_destroyed`,
   * whose reply lists the cids the server deleted, which the client then forgets). A payload
   * that is not `{ cids: [integer, …] }` is refused with `validation_error`.
   */
  async #componentsGone(frame: Frame, joined: Joined): Promise<void> {
    const cids = isRecord(frame.payload) ? frame.payload.cids : undefined;
    if (!Array.isArray(cids) || !cids.every((cid) => Number.isSafeInteger(cid) && cid >= 0)) {
      const error = new ValidationError("cids must be a list of non-negative integers.", "cids");
      this.#send(replyFrame(frame, "error", error.toJSON()));
      return;
    }
    const list = cids as number[];
    if (frame.event === LIVE_EVENTS.cidsWillDestroy) {
      await joined.instance.componentsWillDestroy(list);
      this.#send(replyFrame(frame, "ok", {}));
      return;
    }
    const destroyed = await joined.instance.componentsDestroyed(list);
    this.#send(replyFrame(frame, "ok", { cids: destroyed }));
  }

  /** Frames of an `lvu:` topic: join (a token spent, like any join), leave. */
  async #uploadFrame(frame: Frame): Promise<void> {
    const channels = this.#uploadChannels();
    if (frame.event === CHANNEL_EVENTS.join) {
      const limited = await this.#admit();
      if (limited) {
        this.#send(replyFrame(frame, "error", { reason: limited.kind }));
        return;
      }
      return channels.join(frame);
    }
    if (frame.event === CHANNEL_EVENTS.leave) return channels.leave(frame);
    this.#send(replyFrame(frame, "error", { reason: "unmatched topic" }));
  }

  /** Sends an upload message's reply, with the diff its render produced. */
  #uploadReply(frame: Frame, joined: Joined, reply: UploadReply): void {
    const response: JsonRecord = { ...reply.response };
    if (reply.step?.diff) response.diff = reply.step.diff;
    this.#send(replyFrame(frame, reply.status, response));
    if (reply.step?.navigation) this.#push(joined.topic, { ...reply.step, diff: null });
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
    // A patch runs `handleParams` and a render: it spends a token like an event.
    const admitted = this.#admit();
    const limited = isThenable(admitted) ? await admitted : admitted;
    if (limited) {
      this.#refuse(frame, limited);
      return;
    }
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
    if (result.diff) this.#send(pushFrame(joined.joinRef, topic, LIVE_EVENTS.diff, result.diff));
    const nav = result.navigation;
    if (!nav) return;
    const flash = result.flash && signFlash(this.#host.flashTokens, result.flash);
    // A server push names the navigation by the same key as a reply does.
    const [event, payload] = Object.entries(navigationReply(nav, flash))[0] as [string, unknown];
    this.#send(pushFrame(joined.joinRef, topic, event, payload));
  }

  /**
   * DESIGN §10: 10 rate-limited messages within 10 s close the socket, once the replies of the
   * frames already being handled (events that ran) have been sent.
   */
  #noteLimited(): void {
    const now = Date.now();
    const times = (this.#limitedAt ??= []);
    times.push(now);
    while (times.length > 0 && now - (times[0] as number) > 10_000) times.shift();
    if (times.length >= 10) this.#closing ??= { code: CLOSE_RATE_LIMITED, reason: "rate limited" };
  }

  #send(frame: Frame): void {
    if (this.#closed) return;
    this.#sink.send(encodeFrame(frame));
  }

  #abort(code: number, reason: string, discard = false): void {
    if (this.#closed) return;
    void this.close({ discard });
    this.#sink.close(code, reason);
  }

  /**
   * The session this connection joined with ended (logout, the rotation of a login): it stops
   * reading at once, and once the frames being handled (begun before the end was known) have
   * replied, closes with {@link CLOSE_SESSION_ENDED}. Its views are deleted, not saved: their
   * tokens name a user or browser secret the rejoin no longer has, so none could be restored.
   */
  sessionEnded(): void {
    this.#closing = { code: CLOSE_SESSION_ENDED, reason: "session ended", discard: true };
    this.#closeIfSettled();
  }

  /**
   * Starts closing the connection gracefully, for a server that shuts down: frames arriving
   * from now on are dropped (never acknowledged); resolves once the ones being handled have
   * sent their replies. {@link drain} then ends it.
   */
  stopReading(code: number, reason: string): Promise<void> {
    this.#closing = { code, reason };
    if (this.#closed || this.#pending === 0) return Promise.resolve();
    return new Promise<void>((resolve) => (this.#settled = resolve));
  }

  /**
   * Ends a connection after {@link stopReading}: its views are saved, and only then the
   * transport closes with `code`, so a client reconnecting to another node restores every
   * event it saw acknowledged.
   */
  async drain(code: number, reason: string): Promise<void> {
    if (this.#closed) return;
    await this.close();
    this.#sink.close(code, reason);
  }

  /**
   * Stops every view of this connection, saving their snapshots for a rejoin (`discard`:
   * deleting them).
   */
  async close(options: { discard?: boolean } = {}): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      const key = this.#identity.sessionKey;
      if (key !== undefined) this.#host.sessionConnections.remove(key, this);
    }
    this.#uploads?.closeAll();
    const views = this.#joined;
    this.#joined = NO_VIEWS;
    await Promise.all(views.map((joined) => joined.instance.close(options)));
  }

  /** The instances joined on this connection (tests, shutdown). */
  instances(): LiveInstance[] {
    return this.#joined.map((joined) => joined.instance);
  }

  /**
   * Ends the nested views of the view on `topic` (and theirs): the server side of Phoenix's
   * link between a parent and its children. Sticky children are not among them. `discard`
   * when the parent left for good; the client is told with `phx_close`.
   */
  async #endChildren(topic: string, discard: boolean): Promise<void> {
    const children = this.#joined.filter((joined) => joined.parent === topic);
    if (children.length === 0) return;
    for (const child of children) {
      this.#remove(child.topic);
      this.#uploads?.closeFor(child.instance);
      this.#send(pushFrame(child.joinRef, child.topic, CHANNEL_EVENTS.close, {}));
    }
    await Promise.all(
      children.flatMap((child) => [
        child.instance.close({ discard }),
        this.#endChildren(child.topic, discard),
      ]),
    );
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
 * Ends `connections` for a shutdown: every one stops taking events at once, then their views
 * are saved and their transports closed `width` connections at a time (`shutdownConcurrency`),
 * so that thousands of snapshot writes do not queue together past the store's timeout.
 */
export async function drainAll(
  connections: readonly LiveConnection[],
  width: number,
  code: number,
  reason: string,
): Promise<void> {
  const replied = connections.map((connection) => connection.stopReading(code, reason));
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < connections.length; i = next++) {
      await replied[i];
      await connections[i]!.drain(code, reason);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, connections.length) }, lane));
}
