/**
 * Phoenix's long-poll transport (`phoenix/assets/js/phoenix/longpoll.js`) for networks that
 * block WebSockets: `GET ?token=` waits for server messages, `POST ?token=` carries a batch of
 * client frames as newline-delimited JSON. Each long-poll session drives one
 * {@link LiveConnection}, exactly like a WebSocket does.
 *
 * Status codes travel in the JSON body, as the client expects: 410 + a new token opens a
 * session (and tells a client with a stale token to rejoin), 200 delivers messages, 204 says
 * "nothing new, poll again", 500 makes it reconnect.
 *
 * No sticky sessions needed: a session's token names the node that owns it, and a request that
 * lands on another node is relayed there ({@link LongPollRelay}).
 * @module
 */
import { randomBytes } from "node:crypto";
import { drainAll, LiveConnection, type ConnectionSink } from "./channel.js";
import type { ConnectionIdentity, LiveHost } from "./host.js";
import {
  LongPollRelay,
  SESSION_GONE,
  type PollBody,
  type SessionRequest,
} from "./longpoll-relay.js";
import { CLOSE_GOING_AWAY } from "./protocol.js";
import type { TokenSigner } from "./token.js";
import { browserBinding } from "./view-token.js";

/** Options of {@link LongPollServer}. */
export interface LongPollOptions {
  /** How long a GET waits for messages before answering 204. Default 10 s (client gives up at 20 s). */
  readonly pollTimeoutMs?: number;
  /** A session whose client stopped polling this long ago is closed. Default 30 s. */
  readonly idleTimeoutMs?: number;
  /** Most frames one POST may carry (the client sends at most 100). */
  readonly maxBatch?: number;
}

interface LongPollSession {
  readonly id: string;
  /** The rate-limit caller (the per-client cap counts its sessions). */
  readonly caller: string;
  /** The browser that opened it (see {@link browserOf}); only it may use the token. */
  readonly browser: string;
  readonly connection: LiveConnection;
  readonly queue: string[];
  /** Size of {@link queue} (UTF-16 units), held under `limits.outboundBytes`. */
  queued: number;
  waiter?: (messages: string[] | null) => void;
  idleTimer?: ReturnType<typeof setTimeout>;
  closed: boolean;
}

/** What a session token carries: the session and the node that owns it. */
interface SessionClaims {
  readonly session: string;
  /** Absent in a token of a node that knew no relay: its own. */
  readonly node: string | undefined;
}

function json(body: PollBody): Response {
  return new Response(JSON.stringify(body), {
    status: 200,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });
}

/**
 * The body of a POST as text, read while streaming: `null` as soon as it passes `limit`
 * bytes, so an oversized body is never buffered (DESIGN §12).
 */
async function readLimited(request: Request, limit: number): Promise<string | null> {
  const body = request.body;
  if (!body) return "";
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > limit) {
    await body.cancel().catch(() => undefined);
    return null;
  }
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total).toString("utf8");
}

/** The browser of a request: its CSRF secret's digest, else (no secret) its caller. */
function browserOf(identity: ConnectionIdentity): string {
  const secret = identity.csrfToken;
  return secret === undefined ? `caller:${identity.caller}` : browserBinding(secret);
}

/** Long-poll sessions of one app. */
export class LongPollServer {
  readonly #host: LiveHost;
  readonly #tokens: TokenSigner;
  // Insertion order is age order: the oldest session is the first.
  readonly #sessions = new Map<string, LongPollSession>();
  readonly #byCaller = new Map<string, LongPollSession[]>();
  readonly #pollTimeoutMs: number;
  readonly #idleTimeoutMs: number;
  readonly #maxBatch: number;
  readonly #relay: LongPollRelay;

  constructor(host: LiveHost, tokens: TokenSigner, options: LongPollOptions = {}) {
    this.#host = host;
    this.#tokens = tokens;
    this.#pollTimeoutMs = options.pollTimeoutMs ?? 10_000;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
    this.#maxBatch = options.maxBatch ?? 100;
    this.#relay = new LongPollRelay(
      host.env.pubsub,
      (request, signal) => this.#serve(request, signal),
      host.env.logger,
      // Past a poll window and an idle timeout, the client has long given up on the request.
      { maxWaitMs: this.#pollTimeoutMs + this.#idleTimeoutMs, maxBatch: this.#maxBatch },
    );
  }

  /** Number of open sessions. */
  get size(): number {
    return this.#sessions.size;
  }

  /**
   * Answers one long-poll request. `identify` authenticates the request (cookies) and is called
   * for every request, so a token only works for the browser session that opened it.
   */
  async handle(request: Request, identify: () => Promise<ConnectionIdentity>): Promise<Response> {
    const url = new URL(request.url);
    const identity = await identify();
    const browser = browserOf(identity);
    const claims = this.#claims(url.searchParams.get("token"));
    if (request.method === "GET") {
      if (!claims) return json({ status: 410, token: await this.#open(identity) });
      const poll = { kind: "poll", session: claims.session, browser } as const;
      return json(await this.#route(claims, poll, request.signal));
    }
    if (request.method === "POST") {
      if (!claims) return json(SESSION_GONE);
      const body = await readLimited(request, this.#host.limits.frameBytes * this.#maxBatch);
      if (body === null) {
        await this.#route(claims, { kind: "close", session: claims.session, browser });
        return json(SESSION_GONE);
      }
      const lines = body.split("\n").filter((line) => line.length > 0);
      if (lines.length > this.#maxBatch) return json(SESSION_GONE);
      return json(
        await this.#route(claims, { kind: "send", session: claims.session, browser, lines }),
      );
    }
    return new Response(null, { status: 405, headers: { allow: "GET, POST" } });
  }

  #claims(token: string | null): SessionClaims | undefined {
    if (!token) return undefined;
    const claims = this.#tokens.verify(token, 24 * 3600_000);
    if (!claims || typeof claims.s !== "string") return undefined;
    return { session: claims.s, node: typeof claims.n === "string" ? claims.n : undefined };
  }

  /** Serves `request` here when this node owns its session, else relays it to the owner. */
  #route(claims: SessionClaims, request: SessionRequest, signal?: AbortSignal): Promise<PollBody> {
    if (claims.node === undefined || claims.node === this.#relay.node) {
      return this.#serve(request, signal ?? new AbortController().signal);
    }
    return this.#relay.forward(claims.node, request, signal);
  }

  /** Answers a request for a session of this node, made here or relayed by another node. */
  async #serve(request: SessionRequest, signal: AbortSignal): Promise<PollBody> {
    const session = this.#sessions.get(request.session);
    // Only the browser that opened it may use the token.
    if (!session || session.closed || session.browser !== request.browser) return SESSION_GONE;
    switch (request.kind) {
      case "poll":
        return this.#poll(session, signal);
      case "close":
        this.#close(session);
        return SESSION_GONE;
      case "send":
        for (const line of request.lines) {
          if (session.closed) break;
          await session.connection.receive(line);
        }
        return session.closed ? SESSION_GONE : { status: 200 };
    }
  }

  async #open(identity: ConnectionIdentity): Promise<string> {
    // Other nodes must be able to reach the session before its token leaves.
    await this.#relay.listen();
    // Caps (DESIGN §12): a caller's oldest session, then the app's oldest, make room.
    const limits = this.#host.limits;
    const held = this.#byCaller.get(identity.caller);
    if (held && held.length >= limits.longPollSessionsPerClient) this.#close(held[0]!);
    if (this.#sessions.size >= limits.longPollSessions) {
      const oldest = this.#sessions.values().next().value;
      if (oldest) this.#close(oldest);
    }
    const id = randomBytes(16).toString("base64url");
    const queue: string[] = [];
    const state: { session?: LongPollSession } = {};
    const sink: ConnectionSink = {
      send: (text) => {
        const session = state.session;
        if (!session || session.closed) return;
        // A client that stops polling cannot make the server hold its messages without end.
        session.queued += text.length;
        if (session.queued > limits.outboundBytes) {
          this.#close(session);
          return;
        }
        queue.push(text);
        const waiter = session.waiter;
        if (waiter) {
          session.waiter = undefined;
          // Let the rest of this batch queue up so one response carries it all.
          queueMicrotask(() => waiter(this.#take(session)));
        }
      },
      close: () => {
        if (state.session) this.#close(state.session);
      },
    };
    const session: LongPollSession = {
      id,
      caller: identity.caller,
      browser: browserOf(identity),
      connection: new LiveConnection(this.#host, identity, sink),
      queue,
      queued: 0,
      closed: false,
    };
    state.session = session;
    this.#sessions.set(id, session);
    // Read again: closing the oldest above replaced the caller's list.
    const mine = this.#byCaller.get(identity.caller);
    if (mine) mine.push(session);
    else this.#byCaller.set(identity.caller, [session]);
    this.#touch(session);
    return this.#token(session);
  }

  #token(session: LongPollSession): string {
    return this.#tokens.sign({ s: session.id, n: this.#relay.node });
  }

  #poll(session: LongPollSession, signal: AbortSignal): Promise<PollBody> {
    this.#touch(session);
    const token = this.#token(session);
    if (session.queue.length > 0) {
      return Promise.resolve({ status: 200, token, messages: this.#take(session) });
    }
    // A newer poll replaces an older one still waiting (the client only keeps one).
    session.waiter?.([]);
    return new Promise((resolve) => {
      const finish = (messages: string[] | null) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        if (session.waiter === finish) session.waiter = undefined;
        this.#touch(session);
        if (messages === null || session.closed) resolve(SESSION_GONE);
        else if (messages.length === 0) resolve({ status: 204, token });
        else resolve({ status: 200, token, messages });
      };
      const onAbort = () => finish([]);
      if (signal.aborted) return onAbort();
      const timer = setTimeout(() => finish([]), this.#pollTimeoutMs);
      signal.addEventListener("abort", onAbort, { once: true });
      session.waiter = finish;
    });
  }

  /** Everything queued for `session`, emptying its queue. */
  #take(session: LongPollSession): string[] {
    session.queued = 0;
    return session.queue.splice(0);
  }

  #touch(session: LongPollSession): void {
    clearTimeout(session.idleTimer);
    session.idleTimer = setTimeout(
      () => this.#close(session),
      this.#idleTimeoutMs + this.#pollTimeoutMs,
    );
    session.idleTimer.unref?.();
  }

  #close(session: LongPollSession): void {
    if (session.closed) return;
    session.closed = true;
    clearTimeout(session.idleTimer);
    this.#sessions.delete(session.id);
    const mine = this.#byCaller.get(session.caller);
    if (mine) {
      const rest = mine.filter((s) => s !== session);
      if (rest.length === 0) this.#byCaller.delete(session.caller);
      else this.#byCaller.set(session.caller, rest);
    }
    session.waiter?.(null);
    void session.connection.close();
  }

  /**
   * Closes every session as a shutdown does (events in flight reply, views are saved for a
   * rejoin, `shutdownConcurrency` sessions at a time), then stops relaying.
   */
  async close(): Promise<void> {
    const connections = [...this.#sessions.values()].map((session) => session.connection);
    await drainAll(connections, this.#host.shutdownConcurrency, CLOSE_GOING_AWAY, "shutdown");
    await this.#relay.close();
  }
}
