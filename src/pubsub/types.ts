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
  /** Releases connections; called by `app.close()`. */
  close?(): void | Promise<void>;
}
