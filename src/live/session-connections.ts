/**
 * The live connections of this node by the session they joined with, and their end with it:
 * when a session ends (logout, the rotation of a login), the `SessionManager` of whichever node
 * ended it announces it on the app's pub/sub ({@link SESSION_ENDED_TOPIC}), and every node
 * closes the connections that joined with it. Phoenix does the same with `live_socket_id` and
 * a "disconnect" broadcast. The client reconnects and its rejoin runs as whoever its cookie now
 * names (anonymous after a logout), so no connection keeps acting for a user who logged out.
 *
 * One subscription per node, not one per connection: a connection costs an entry in one map
 * and no closure, and Redis holds one channel for it however many connections there are.
 * @module
 */
import { endedSession, SESSION_ENDED_TOPIC } from "../auth/session.js";
import type { PubSub, Unsubscribe } from "../pubsub/types.js";

/** A connection that ends with its session. */
export interface SessionBound {
  /** Closes the connection because its session ended. */
  sessionEnded(): void;
}

/** This node's connections by session (keyed by `sessionDigest`, as announced). */
export class SessionConnections {
  readonly #pubsub: PubSub;
  /**
   * Most sessions have one connection, some a few (tabs): exactly sized arrays, replaced on
   * change, rather than a `Set` per session.
   */
  readonly #bySession = new Map<string, readonly SessionBound[]>();
  #listening?: Promise<Unsubscribe>;

  constructor(pubsub: PubSub) {
    this.#pubsub = pubsub;
  }

  /**
   * Subscribes to session ends once (later calls wait for that subscription). A connection is
   * accepted only after it resolved, so an end announced once the connection exists reaches it.
   * Rejects when the pub/sub fails (Redis down); the next call tries again.
   */
  listen(): Promise<void> {
    if (!this.#listening) {
      const listening = Promise.resolve(
        this.#pubsub.subscribe(SESSION_ENDED_TOPIC, (message) => this.#ended(message)),
      );
      this.#listening = listening;
      listening.catch(() => {
        if (this.#listening === listening) this.#listening = undefined;
      });
    }
    return this.#listening.then(() => undefined);
  }

  /** Records that `connection` joined with the session `key`. */
  add(key: string, connection: SessionBound): void {
    const held = this.#bySession.get(key);
    this.#bySession.set(key, held ? held.concat(connection) : [connection]);
  }

  /** Forgets `connection` (it closed). */
  remove(key: string, connection: SessionBound): void {
    const held = this.#bySession.get(key);
    if (!held) return;
    const rest = held.filter((known) => known !== connection);
    if (rest.length === 0) this.#bySession.delete(key);
    else if (rest.length !== held.length) this.#bySession.set(key, rest);
  }

  /** Number of sessions with a connection on this node. */
  get size(): number {
    return this.#bySession.size;
  }

  #ended(message: unknown): void {
    const key = endedSession(message);
    if (key === undefined) return;
    const held = this.#bySession.get(key);
    if (!held) return;
    this.#bySession.delete(key);
    for (const connection of held) connection.sessionEnded();
  }

  /** Ends the subscription (the app closes). Fails quietly: the pub/sub may be closed already. */
  async close(): Promise<void> {
    const listening = this.#listening;
    this.#listening = undefined;
    try {
      await (
        await listening
      )?.();
    } catch {
      // Closed or never subscribed: nothing to end.
    }
  }
}
