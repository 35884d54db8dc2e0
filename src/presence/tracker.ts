/**
 * Presence on top of pub/sub: who is on a topic, on every node. Each node (one per app) keeps
 * its own views' entries and a replica of every other node's, kept in step over one pub/sub
 * topic ({@link PRESENCE_CHANNEL}):
 *
 * - a change is published as `join`/`leave` with the node's sequence number; a receiver that
 *   sees a gap (a lost message, a node it never heard of) asks that node for its full `state`;
 * - a node with entries sends a heartbeat every quarter of `timeoutMs`; a node silent for half
 *   of it is taken for dead and its entries leave, so a killed node's presences disappear
 *   within `timeoutMs` everywhere; `close()` says `bye` so a graceful stop is immediate;
 * - every node tells its own subscribers of a topic what changed there (`presence_diff`,
 *   through the pub/sub's `publishLocal`), whichever node the change came from, so each view
 *   gets each diff once.
 *
 * Timers run only while there are entries to keep alive or to watch, and never hold the
 * process open.
 * @module
 */
import { randomBytes } from "node:crypto";
import { errorText, type Logger } from "../logger.js";
import type { PubSub, Unsubscribe } from "../pubsub/types.js";
import type { JsonObject } from "../state/serializable.js";
import type { PresenceDiff, PresenceList, PresenceMeta, ViewPresenceHooks } from "./types.js";

/** The pub/sub topic nodes replicate presence on. */
export const PRESENCE_CHANNEL = "djust.presence";

/** The defaults of the app options `presenceTimeoutMs` and `limits.presences*`. */
export const PRESENCE_DEFAULTS = Object.freeze({
  timeoutMs: 30_000,
  perTopic: 10_000,
  perView: 20,
});

/** Options of {@link Presence}. */
export interface PresenceOptions {
  /** A dead node's entries leave within this many ms. */
  readonly timeoutMs: number;
  /** Entries one topic may hold (all nodes together); further `track`s are refused. */
  readonly maxPerTopic: number;
  readonly logger: Logger;
}

interface Entry {
  readonly node: string;
  readonly topic: string;
  readonly key: string;
  readonly meta: PresenceMeta;
}

interface Node {
  /** The last change of the node this one applied. */
  seq: number;
  lastSeen: number;
  readonly entries: Map<string, Entry>;
  /** When this node last asked it for its state (asked at most once per heartbeat). */
  askedAt: number;
}

/** `[topic, key, meta]` of one entry in a `state` or `join` message. */
type WireEntry = [string, string, PresenceMeta];

type Message =
  | { t: "hb"; n: string; s: number }
  | { t: "join"; n: string; s: number; e: WireEntry }
  | { t: "leave"; n: string; s: number; r: string }
  | { t: "sync"; n: string; to?: string }
  | { t: "state"; n: string; s: number; e: WireEntry[] }
  | { t: "bye"; n: string };

/** Collects the joins and leaves of one change, per topic, and tells each topic once. */
class Changes {
  readonly #topics = new Map<string, { joins: PresenceList; leaves: PresenceList }>();

  add(kind: "joins" | "leaves", entry: Entry): void {
    let diff = this.#topics.get(entry.topic);
    if (!diff) this.#topics.set(entry.topic, (diff = { joins: {}, leaves: {} }));
    addMeta(diff[kind], entry);
  }

  send(pubsub: PubSub, logger: Logger): void {
    for (const [topic, { joins, leaves }] of this.#topics) {
      const diff: PresenceDiff = { event: "presence_diff", topic, joins, leaves };
      try {
        const sent = pubsub.publishLocal ? pubsub.publishLocal(topic, diff) : undefined;
        if (sent) sent.catch((error: unknown) => logDiffFailure(logger, topic, error));
      } catch (error) {
        logDiffFailure(logger, topic, error);
      }
    }
  }
}

function logDiffFailure(logger: Logger, topic: string, error: unknown): void {
  logger.error(`presence: the diff of "${topic}" could not be delivered`, {
    topic,
    error: errorText(error),
  });
}

function addMeta(list: PresenceList, entry: Entry): void {
  // Keys come from the application and replicas: never let one reach a prototype.
  const known = Object.hasOwn(list, entry.key) ? list[entry.key] : undefined;
  if (known) known.metas.push(entry.meta);
  else
    Object.defineProperty(list, entry.key, {
      value: { metas: [entry.meta] },
      enumerable: true,
      writable: true,
      configurable: true,
    });
}

/** The presence of one app node. */
export class Presence {
  /** This node's id, fresh per process: a restarted node is a new node. */
  readonly node = randomBytes(9).toString("base64url");
  readonly #pubsub: PubSub;
  readonly #options: PresenceOptions;
  /** Every node's entries by ref, this one's included. */
  readonly #nodes = new Map<string, Node>();
  /** Entries by topic, then ref. */
  readonly #topics = new Map<string, Map<string, Entry>>();
  readonly #self: Node;
  #subscription?: Promise<Unsubscribe | undefined>;
  #timer?: ReturnType<typeof setInterval>;
  #closed = false;
  /**
   * The presence hooks of a view that cannot track (an HTTP API call; the dead render's add a
   * notice): it reads who is there, and `track` does nothing (as `sendAfter` does there).
   */
  readonly listOnly: ViewPresenceHooks = {
    track: () => false,
    untrack: () => undefined,
    list: (topic) => this.list(topic),
  };

  constructor(pubsub: PubSub, options: PresenceOptions) {
    this.#pubsub = pubsub;
    this.#options = options;
    this.#self = { seq: 0, lastSeen: 0, entries: new Map(), askedAt: 0 };
    this.#nodes.set(this.node, this.#self);
  }

  /** The interval of heartbeats and of the check for dead nodes. */
  get #interval(): number {
    return Math.max(1, Math.floor(this.#options.timeoutMs / 4));
  }

  /**
   * Joins the other nodes (idempotent): listens on {@link PRESENCE_CHANNEL} and asks them for
   * their entries. Resolves once listening.
   */
  start(): Promise<void> {
    this.#subscription ??= this.#listen();
    return this.#subscription.then(() => undefined);
  }

  async #listen(): Promise<Unsubscribe | undefined> {
    try {
      const unsubscribe = await this.#pubsub.subscribe(PRESENCE_CHANNEL, (message) =>
        this.#receive(message),
      );
      this.#send({ t: "sync", n: this.node });
      return unsubscribe;
    } catch (error) {
      this.#options.logger.error("presence: could not listen to the other nodes", {
        error: errorText(error),
      });
      return undefined;
    }
  }

  /**
   * Adds an entry for `key` on `topic` and returns its ref, or `null` (logged) when the topic
   * already holds `maxPerTopic` entries.
   */
  track(topic: string, key: string, meta: JsonObject): string | null {
    if (!this.accepts(topic)) return null;
    void this.start();
    const ref = randomBytes(9).toString("base64url");
    const entry: Entry = { node: this.node, topic, key, meta: { ...meta, phx_ref: ref } };
    const changes = new Changes();
    this.#add(this.#self, ref, entry, changes);
    this.#self.seq += 1;
    this.#send({ t: "join", n: this.node, s: this.#self.seq, e: [topic, key, entry.meta] });
    changes.send(this.#pubsub, this.#options.logger);
    this.#schedule();
    return ref;
  }

  /**
   * Whether {@link track} on `topic` would add an entry now, after `pending` more (recorded by a
   * view not started yet): `false` once closed, or (logged) when the topic would hold
   * `maxPerTopic` entries.
   */
  accepts(topic: string, pending = 0): boolean {
    if (this.#closed) return false;
    if ((this.#topics.get(topic)?.size ?? 0) + pending < this.#options.maxPerTopic) return true;
    this.#options.logger.warn(`presence: "${topic}" is full; an entry was refused`, {
      topic,
      limit: this.#options.maxPerTopic,
    });
    return false;
  }

  /** Removes this node's entry `ref`. */
  untrack(ref: string): void {
    const entry = this.#self.entries.get(ref);
    if (!entry) return;
    const changes = new Changes();
    this.#remove(this.#self, ref, changes);
    this.#self.seq += 1;
    if (!this.#closed) this.#send({ t: "leave", n: this.node, s: this.#self.seq, r: ref });
    changes.send(this.#pubsub, this.#options.logger);
    this.#schedule();
  }

  /** Who is on `topic`, on every node this one hears from. */
  list(topic: string): PresenceList {
    void this.start();
    const list: PresenceList = {};
    for (const entry of this.#topics.get(topic)?.values() ?? []) addMeta(list, entry);
    return list;
  }

  /** Entries on `topic` (all nodes). */
  count(topic: string): number {
    return this.#topics.get(topic)?.size ?? 0;
  }

  #add(node: Node, ref: string, entry: Entry, changes: Changes): void {
    node.entries.set(ref, entry);
    let refs = this.#topics.get(entry.topic);
    if (!refs) this.#topics.set(entry.topic, (refs = new Map()));
    refs.set(ref, entry);
    changes.add("joins", entry);
  }

  #remove(node: Node, ref: string, changes: Changes): void {
    const entry = node.entries.get(ref);
    if (!entry) return;
    node.entries.delete(ref);
    const refs = this.#topics.get(entry.topic);
    refs?.delete(ref);
    if (refs?.size === 0) this.#topics.delete(entry.topic);
    changes.add("leaves", entry);
  }

  /** Drops a node and its entries (dead, or said bye). */
  #drop(id: string): void {
    const node = this.#nodes.get(id);
    if (!node || node === this.#self) return;
    this.#nodes.delete(id);
    const changes = new Changes();
    for (const ref of [...node.entries.keys()]) this.#remove(node, ref, changes);
    changes.send(this.#pubsub, this.#options.logger);
  }

  #send(message: Message): void {
    const failed = (error: unknown) =>
      this.#options.logger.error("presence: could not reach the other nodes", {
        error: errorText(error),
      });
    try {
      const sent = this.#pubsub.publish(PRESENCE_CHANNEL, message);
      if (sent) sent.catch(failed);
    } catch (error) {
      failed(error);
    }
  }

  #receive(raw: unknown): void {
    if (this.#closed || !isMessage(raw) || raw.n === this.node) return;
    const now = Date.now();
    let node = this.#nodes.get(raw.n);
    if (raw.t === "bye") {
      this.#drop(raw.n);
      return;
    }
    if (!node) {
      node = { seq: 0, lastSeen: now, entries: new Map(), askedAt: 0 };
      this.#nodes.set(raw.n, node);
    }
    node.lastSeen = now;
    switch (raw.t) {
      case "sync":
        if (raw.to === undefined || raw.to === this.node) this.#sendState();
        break;
      case "state":
        this.#replace(node, raw);
        break;
      case "hb":
        if (raw.s !== node.seq) this.#ask(raw.n, node, now);
        break;
      case "join":
      case "leave":
        if (raw.s !== node.seq + 1) {
          this.#ask(raw.n, node, now);
          break;
        }
        node.seq = raw.s;
        this.#apply(raw.n, node, raw);
        break;
    }
    this.#schedule();
  }

  #apply(id: string, node: Node, message: Message & { t: "join" | "leave" }): void {
    const changes = new Changes();
    if (message.t === "join") {
      const [topic, key, meta] = message.e;
      this.#add(node, meta.phx_ref, { node: id, topic, key, meta }, changes);
    } else {
      this.#remove(node, message.r, changes);
    }
    changes.send(this.#pubsub, this.#options.logger);
  }

  /** Replaces what this node knows of another with its full state. */
  #replace(node: Node, message: Message & { t: "state" }): void {
    const id = message.n;
    const changes = new Changes();
    const incoming = new Map(message.e.map((e) => [e[2].phx_ref, e] as const));
    for (const ref of [...node.entries.keys()]) {
      if (!incoming.has(ref)) this.#remove(node, ref, changes);
    }
    for (const [ref, [topic, key, meta]] of incoming) {
      if (!node.entries.has(ref)) this.#add(node, ref, { node: id, topic, key, meta }, changes);
    }
    node.seq = message.s;
    changes.send(this.#pubsub, this.#options.logger);
  }

  #ask(id: string, node: Node, now: number): void {
    if (now - node.askedAt < this.#interval) return;
    node.askedAt = now;
    this.#send({ t: "sync", n: this.node, to: id });
  }

  #sendState(): void {
    const entries: WireEntry[] = [];
    for (const entry of this.#self.entries.values()) {
      entries.push([entry.topic, entry.key, entry.meta]);
    }
    this.#send({ t: "state", n: this.node, s: this.#self.seq, e: entries });
  }

  /** Runs the heartbeat while this node has entries or hears from nodes that may have some. */
  #schedule(): void {
    const needed = !this.#closed && (this.#self.entries.size > 0 || this.#nodes.size > 1);
    if (needed && !this.#timer) {
      this.#timer = setInterval(() => this.#tick(), this.#interval);
      this.#timer.unref();
    } else if (!needed && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #tick(): void {
    if (this.#self.entries.size > 0) this.#send({ t: "hb", n: this.node, s: this.#self.seq });
    const deadline = Date.now() - this.#options.timeoutMs / 2;
    for (const [id, node] of this.#nodes) {
      if (node !== this.#self && node.lastSeen < deadline) this.#drop(id);
    }
    this.#schedule();
  }

  /**
   * Leaves the other nodes: says `bye` (they drop this node's entries at once), stops the
   * heartbeat and listening. Local entries are forgotten without diffs: the views are gone.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#self.entries.size > 0) {
      try {
        await this.#pubsub.publish(PRESENCE_CHANNEL, { t: "bye", n: this.node });
      } catch {
        // The pub/sub may already be closed; the others time this node out instead.
      }
    }
    clearInterval(this.#timer);
    this.#timer = undefined;
    const unsubscribe = await this.#subscription;
    try {
      await unsubscribe?.();
    } catch {
      // Already closed.
    }
    this.#nodes.clear();
    this.#topics.clear();
  }
}

const isString = (value: unknown): value is string => typeof value === "string";

function isWireEntry(value: unknown): value is WireEntry {
  if (!Array.isArray(value) || value.length !== 3) return false;
  const [topic, key, meta] = value as unknown[];
  return (
    isString(topic) &&
    isString(key) &&
    typeof meta === "object" &&
    meta !== null &&
    isString((meta as { phx_ref?: unknown }).phx_ref)
  );
}

/** Messages come from other nodes over a shared pub/sub: check their shape before use. */
function isMessage(value: unknown): value is Message {
  if (typeof value !== "object" || value === null) return false;
  const m = value as Record<string, unknown>;
  if (!isString(m.n)) return false;
  switch (m.t) {
    case "bye":
      return true;
    case "sync":
      return m.to === undefined || isString(m.to);
    case "hb":
      return Number.isInteger(m.s);
    case "join":
      return Number.isInteger(m.s) && isWireEntry(m.e);
    case "leave":
      return Number.isInteger(m.s) && isString(m.r);
    case "state":
      return Number.isInteger(m.s) && Array.isArray(m.e) && m.e.every(isWireEntry);
    default:
      return false;
  }
}
