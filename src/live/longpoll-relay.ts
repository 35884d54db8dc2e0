/**
 * Long-poll without sticky sessions (DESIGN §7). The node that opened a long-poll session owns
 * it: its {@link LiveConnection} runs the session's views there, and its queue holds the
 * messages the client has not polled yet, in order. A poll or a batch of frames that a load
 * balancer sends to another node is relayed to the owner over the app's pub/sub (each node
 * listens on a topic of its own), and the owner's answer comes back the same way, so every
 * frame and every message passes through the one place that orders them.
 *
 * When the owner is gone (its process died, or it shut down), the relaying node learns it from
 * the pub/sub — nobody listens on the owner's topic any more — and answers `410`: the client
 * opens a new session (on any node) and rejoins, and its views restore from their snapshots,
 * exactly as after a WebSocket reconnect. With `durability: "reply"` an acknowledged event is in
 * the snapshot, so re-homing loses none.
 * @module
 */
import { randomBytes } from "node:crypto";
import { ServiceUnavailable } from "../errors.js";
import { errorText, type Logger } from "../logger.js";
import type { PubSub, Unsubscribe } from "../pubsub/types.js";

/** The body of a long-poll answer, as the client reads it (the status travels in the JSON). */
export interface PollBody {
  readonly status: number;
  readonly token?: string;
  readonly messages?: string[];
}

/** What a long-poll request asks of the session's owner. */
export type SessionRequest =
  | { readonly kind: "poll"; readonly session: string; readonly browser: string }
  | {
      readonly kind: "send";
      readonly session: string;
      readonly browser: string;
      readonly lines: readonly string[];
    }
  /** The request broke a limit: the owner closes the session. */
  | { readonly kind: "close"; readonly session: string; readonly browser: string };

/** Answers a request for a session this node owns. */
export type ServeSession = (request: SessionRequest, signal: AbortSignal) => Promise<PollBody>;

/** Options of {@link LongPollRelay}. */
export interface LongPollRelayOptions {
  /** Longest a relayed request waits for the owner's answer (the client has given up by then). */
  readonly maxWaitMs: number;
  /** How often a relayed request that is still waiting checks that the owner is alive. */
  readonly checkMs?: number;
  /** Most frames a relayed batch may carry. */
  readonly maxBatch: number;
}

/** The answer for a session that no longer exists, or whose owner is gone. */
export const SESSION_GONE: PollBody = Object.freeze({ status: 410 });

/** The answer to a poll the client abandoned (nobody reads it). */
const ABANDONED: PollBody = Object.freeze({ status: 204 });

/** Prefix of each node's topic; a node's id is random, so no view can guess or reuse one. */
const TOPIC_PREFIX = "djust.longpoll.";

/** Messages on a node's topic: requests to the owner, and answers back to the relaying node. */
type RelayMessage =
  | { t: "req"; id: string; from: string; req: SessionRequest }
  | { t: "abort"; id: string; from: string }
  | { t: "reply"; id: string; body: PollBody };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `message` as a {@link RelayMessage}, or `null`: whatever else is on the topic is ignored. */
function relayMessage(message: unknown, maxBatch: number): RelayMessage | null {
  if (!isRecord(message) || typeof message.id !== "string") return null;
  const { t, id } = message;
  if (t === "reply") {
    const body = message.body;
    if (!isRecord(body) || typeof body.status !== "number") return null;
    const messages = body.messages;
    if (
      messages !== undefined &&
      !(Array.isArray(messages) && messages.every((m) => typeof m === "string"))
    ) {
      return null;
    }
    return {
      t,
      id,
      body: {
        status: body.status,
        ...(typeof body.token === "string" && { token: body.token }),
        ...(messages !== undefined && { messages: messages as string[] }),
      },
    };
  }
  if (typeof message.from !== "string") return null;
  if (t === "abort") return { t, id, from: message.from };
  if (t !== "req" || !isRecord(message.req)) return null;
  const { kind, session, browser, lines } = message.req;
  if (typeof session !== "string" || typeof browser !== "string") return null;
  let req: SessionRequest;
  if (kind === "poll" || kind === "close") {
    req = { kind, session, browser };
  } else if (
    kind === "send" &&
    Array.isArray(lines) &&
    lines.length <= maxBatch &&
    lines.every((line) => typeof line === "string")
  ) {
    req = { kind, session, browser, lines: lines as string[] };
  } else {
    return null;
  }
  return { t, id, from: message.from, req };
}

/** A relayed request waiting for the owner's answer. */
interface Waiting {
  finish(outcome: PollBody | Error): void;
}

/** The requests waiting on one owner, and the timer of its next liveness check. */
interface Watched {
  readonly waiting: Set<Waiting>;
  timer: NodeJS.Timeout | undefined;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * This node's end of the long-poll relay: forwards requests for sessions other nodes own, and
 * serves the requests other nodes forward for sessions it owns. Memory is bounded by the
 * requests in flight: one waiting entry per relayed HTTP request, one per request served for
 * another node (a session has at most one waiting poll: a newer one answers the older), and one
 * liveness watch per owner node that requests wait on (a Redis round trip per owner every
 * `checkMs`, not per request).
 */
export class LongPollRelay {
  /** This node's id, carried in the session tokens it signs. */
  readonly node = randomBytes(12).toString("base64url");
  readonly #pubsub: PubSub;
  readonly #serve: ServeSession;
  readonly #logger: Logger;
  readonly #maxWaitMs: number;
  readonly #checkMs: number;
  readonly #maxBatch: number;
  /** Requests this node relayed, by id, until answered. */
  readonly #waiting = new Map<string, Waiting>();
  /** Owners' topics with requests waiting on them (see {@link #watch}). */
  readonly #watched = new Map<string, Watched>();
  /** Requests served for other nodes, by `from:id`, so that an abort reaches its poll. */
  readonly #serving = new Map<string, AbortController>();
  #sequence = 0;
  #listening: Promise<Unsubscribe> | undefined;
  #closed = false;

  constructor(pubsub: PubSub, serve: ServeSession, logger: Logger, options: LongPollRelayOptions) {
    this.#pubsub = pubsub;
    this.#serve = serve;
    this.#logger = logger;
    this.#maxWaitMs = options.maxWaitMs;
    this.#checkMs = options.checkMs ?? 1000;
    this.#maxBatch = options.maxBatch;
  }

  /**
   * Subscribes to this node's topic (once; a failed attempt is retried by the next call). A
   * node listens before it hands out its first session token, so that the other nodes can reach
   * every session it owns. Rejects with the pub/sub's error (Redis down: `ServiceUnavailable`).
   */
  listen(): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("the long-poll relay is closed"));
    if (!this.#listening) {
      const listening = Promise.resolve(
        this.#pubsub.subscribe(TOPIC_PREFIX + this.node, (message) => this.#receive(message)),
      );
      this.#listening = listening;
      listening.catch(() => {
        if (this.#listening === listening) this.#listening = undefined;
      });
    }
    return this.#listening.then(() => undefined);
  }

  /**
   * Relays `request` to the node `owner` and resolves with its answer: {@link SESSION_GONE}
   * when nobody listens on the owner's topic (it died or shut down), or when it does not answer
   * within `maxWaitMs`. A poll whose `signal` aborts (the client went away) is withdrawn.
   * Rejects when the pub/sub fails (Redis down: `ServiceUnavailable`, answered with 503).
   */
  async forward(owner: string, request: SessionRequest, signal?: AbortSignal): Promise<PollBody> {
    await this.listen(); // the answer comes back on this node's topic
    const topic = TOPIC_PREFIX + owner;
    if (!(await this.#alive(topic))) return SESSION_GONE;
    const id = String(++this.#sequence);
    return new Promise<PollBody>((resolve, reject) => {
      const cap = setTimeout(() => finish(SESSION_GONE), this.#maxWaitMs);
      const onAbort = () => {
        this.#publish(topic, { t: "abort", id, from: this.node });
        finish(ABANDONED);
      };
      const finish = (outcome: PollBody | Error) => {
        if (this.#waiting.get(id) !== waiting) return;
        this.#waiting.delete(id);
        this.#unwatch(topic, waiting);
        clearTimeout(cap);
        signal?.removeEventListener("abort", onAbort);
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      const waiting: Waiting = { finish };
      this.#waiting.set(id, waiting);
      this.#watch(topic, waiting);
      signal?.addEventListener("abort", onAbort, { once: true });
      const message: RelayMessage = { t: "req", id, from: this.node, req: request };
      Promise.resolve(this.#pubsub.publish(topic, message)).catch((error: unknown) =>
        finish(asError(error)),
      );
    });
  }

  /**
   * Adds a request waiting on the owner of `topic` to that owner's watch: the owner may die
   * while it holds the request, so its liveness is checked every `checkMs` — once per owner,
   * however many requests wait on it.
   */
  #watch(topic: string, waiting: Waiting): void {
    const watched = this.#watched.get(topic);
    if (watched) {
      watched.waiting.add(waiting);
      return;
    }
    const entry: Watched = { waiting: new Set([waiting]), timer: undefined };
    this.#watched.set(topic, entry);
    const check = () => {
      entry.timer = setTimeout(() => {
        this.#alive(topic).then(
          (alive) => {
            if (this.#watched.get(topic) !== entry) return; // nothing waits any more
            if (alive) check();
            else for (const w of [...entry.waiting]) w.finish(SESSION_GONE);
          },
          (error: unknown) => {
            for (const w of [...entry.waiting]) w.finish(asError(error));
          },
        );
      }, this.#checkMs);
    };
    check();
  }

  #unwatch(topic: string, waiting: Waiting): void {
    const entry = this.#watched.get(topic);
    if (!entry?.waiting.delete(waiting) || entry.waiting.size > 0) return;
    clearTimeout(entry.timer);
    this.#watched.delete(topic);
  }

  /**
   * Whether a node listens on `topic`. A pub/sub that cannot count its subscribers is trusted to
   * deliver (a dead owner is then found by the `maxWaitMs` bound instead).
   */
  async #alive(topic: string): Promise<boolean> {
    if (!this.#pubsub.subscriberCount) return true;
    return (await this.#pubsub.subscriberCount(topic)) > 0;
  }

  #receive(raw: unknown): void {
    const message = relayMessage(raw, this.#maxBatch);
    if (!message) return;
    if (message.t === "reply") {
      this.#waiting.get(message.id)?.finish(message.body);
      return;
    }
    const key = `${message.from}:${message.id}`;
    if (message.t === "abort") {
      this.#serving.get(key)?.abort();
      return;
    }
    if (this.#closed) return;
    const controller = new AbortController();
    this.#serving.set(key, controller);
    const replyTo = TOPIC_PREFIX + message.from;
    this.#serve(message.req, controller.signal).then(
      (body) => {
        this.#serving.delete(key);
        this.#publish(replyTo, { t: "reply", id: message.id, body });
      },
      (error: unknown) => {
        this.#serving.delete(key);
        this.#logger.error("serving a relayed long-poll request failed", {
          error: errorText(error),
        });
        this.#publish(replyTo, { t: "reply", id: message.id, body: { status: 500 } });
      },
    );
  }

  /**
   * Publishes without waiting (the waiting side bounds its wait). A failure is logged unless it
   * is a Redis outage, which the Redis connection reports once for all.
   */
  #publish(topic: string, message: RelayMessage): void {
    const failed = (error: unknown) => {
      if (error instanceof ServiceUnavailable) return;
      this.#logger.error("relaying a long-poll message failed", { error: errorText(error) });
    };
    try {
      Promise.resolve(this.#pubsub.publish(topic, message)).catch(failed);
    } catch (error) {
      failed(error);
    }
  }

  /**
   * Stops listening. Requests this node relayed answer {@link SESSION_GONE}; requests it serves
   * for other nodes end with their sessions (closed by the long-poll server first).
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const waiting of [...this.#waiting.values()]) waiting.finish(SESSION_GONE);
    const listening = this.#listening;
    this.#listening = undefined;
    if (!listening) return;
    try {
      await (
        await listening
      )();
    } catch {
      // Never subscribed, or the pub/sub is already gone: nothing to undo.
    }
  }
}
