/**
 * The pub/sub interface behind `this.subscribe(topic)` / `this.broadcast(topic, message)`.
 * @module
 */

/** Called with each message published on a subscribed topic. */
export type PubSubListener = (message: unknown) => void;

/** Stops one subscription. */
export type Unsubscribe = () => void | Promise<void>;

/**
 * Delivers messages to every listener of a topic, in this process or (Redis) on every node.
 * Messages must be JSON-serializable so that every adapter delivers the same value.
 */
export interface PubSub {
  subscribe(topic: string, listener: PubSubListener): Unsubscribe | Promise<Unsubscribe>;
  publish(topic: string, message: unknown): void | Promise<void>;
  /**
   * Delivers `message` to this process's listeners of `topic` only, as `publish` would deliver
   * it (asynchronously, a JSON copy). Presence uses it: every node tells its own views what
   * changed, so each view gets a change once however many nodes learn of it. An adapter
   * without it gets no presence diffs.
   */
  publishLocal?(topic: string, message: unknown): void | Promise<void>;
  /**
   * How many processes listen to `topic` now (Redis: `PUBSUB NUMSUB`, its subscribed
   * connections). The long-poll relay asks it to learn at once that the node owning a session
   * is gone; an adapter without it makes a relayed request wait for its bound instead.
   */
  subscriberCount?(topic: string): number | Promise<number>;
  /** Releases connections; called by `app.close()`. */
  close?(): void | Promise<void>;
}
