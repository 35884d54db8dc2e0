/**
 * The presence entries of one connected view (`track`/`untrack`): made on its first `track`,
 * bounded per view, and all left when the view ends. What `mount` tracks before the instance
 * exists is recorded by {@link EarlyPresence} and applied once the view is admitted, so a view
 * refused after `mount` leaves no entry behind.
 * @module
 */
import type { Logger } from "../logger.js";
import type { Presence } from "../presence/tracker.js";
import type { PresenceList, ViewPresenceHooks } from "../presence/types.js";
import type { JsonObject } from "../state/serializable.js";

interface Tracked {
  readonly topic: string;
  readonly key: string;
  readonly ref: string;
}

/** The entries one view tracks. */
export class ViewPresence {
  readonly #entries: Tracked[] = [];
  #closed = false;

  constructor(
    readonly presence: Presence,
    /** Entries this view may hold (`limits.presencesPerView`). */
    readonly limit: number,
    readonly logger: Logger,
    readonly view: string,
  ) {}

  /** Tracks `key` on `topic`; tracking it again replaces its meta. `false` when refused. */
  track(topic: string, key: string, meta: JsonObject): boolean {
    if (this.#closed) return false;
    const again = this.#entries.findIndex((e) => e.topic === topic && e.key === key);
    if (again < 0 && this.#entries.length >= this.limit) return refused(this, topic);
    if (again >= 0) this.presence.untrack((this.#entries.splice(again, 1)[0] as Tracked).ref);
    const ref = this.presence.track(topic, key, meta);
    if (ref === null) return false;
    this.#entries.push({ topic, key, ref });
    return true;
  }

  /** Leaves `topic` (only `key` on it, when given). */
  untrack(topic: string, key?: string): void {
    for (let i = this.#entries.length - 1; i >= 0; i--) {
      const entry = this.#entries[i] as Tracked;
      if (entry.topic !== topic || (key !== undefined && entry.key !== key)) continue;
      this.#entries.splice(i, 1);
      this.presence.untrack(entry.ref);
    }
  }

  /** The view ended: every entry leaves. */
  close(): void {
    this.#closed = true;
    for (const entry of this.#entries.splice(0)) this.presence.untrack(entry.ref);
  }
}

/** What a view refused over its limit of entries says (logged), and returns. */
function refused(
  { logger, view, limit }: { logger: Logger; view: string; limit: number },
  topic: string,
): false {
  logger.warn(`${view}: presence entry refused (${limit} per view)`, { view, topic, limit });
  return false;
}

type Call = ["track", string, string, JsonObject] | ["untrack", string, string | undefined];

/**
 * What a connected `mount` tracks before the instance exists: recorded, then replayed. Each
 * `track` answers as the view's own would (refused over the view's or the topic's limit).
 */
export class EarlyPresence implements ViewPresenceHooks {
  readonly #calls: Call[] = [];
  /** The topic and key of each entry the recorded calls leave tracked. */
  readonly #tracked: [topic: string, key: string][] = [];

  constructor(
    readonly presence: Presence,
    /** Entries the view may hold (`limits.presencesPerView`). */
    readonly limit: number,
    readonly logger: Logger,
    readonly view: string,
  ) {}

  /** Forgets what was recorded (a failed restore's calls, before its view mounts afresh). */
  discard(): void {
    this.#calls.length = 0;
    this.#tracked.length = 0;
  }

  track(topic: string, key: string, meta: JsonObject): boolean {
    if (!this.#tracked.some(([t, k]) => t === topic && k === key)) {
      if (this.#tracked.length >= this.limit) return refused(this, topic);
      const pending = this.#tracked.filter(([t]) => t === topic).length;
      if (!this.presence.accepts(topic, pending)) return false;
      this.#tracked.push([topic, key]);
    }
    this.#calls.push(["track", topic, key, meta]);
    return true;
  }

  untrack(topic: string, key?: string): void {
    for (let i = this.#tracked.length - 1; i >= 0; i--) {
      const [t, k] = this.#tracked[i] as [string, string];
      if (t === topic && (key === undefined || k === key)) this.#tracked.splice(i, 1);
    }
    this.#calls.push(["untrack", topic, key]);
  }

  list(topic: string): PresenceList {
    return this.presence.list(topic);
  }

  /** Applies what was recorded to `target`. */
  replay(target: ViewPresenceHooks): void {
    for (const call of this.#calls) {
      if (call[0] === "track") target.track(call[1], call[2], call[3]);
      else target.untrack(call[1], call[2]);
    }
    this.#calls.length = 0;
  }
}
