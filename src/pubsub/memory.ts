/**
 * In-process pub/sub: the default for a single node.
 * @module
 */
import type { PubSub, PubSubListener, Unsubscribe } from "./types.js";

/**
 * One subscription. Its own object (rather than a wrapper closure around the listener) so that
 * one function subscribed twice is two subscriptions, at the cost of a small record: a topic
 * can have as many subscriptions as there are connected views.
 */
class Subscription {
  constructor(readonly listener: PubSubListener) {}
}

/**
 * Topics and listeners in this process's memory. Messages are delivered asynchronously and as
 * a JSON copy, exactly as the Redis adapter delivers them, so code that works on one node keeps
 * working on many (a listener cannot mutate what another listener sees).
 */
export class MemoryPubSub implements PubSub {
  readonly #topics = new Map<string, Set<Subscription>>();

  subscribe(topic: string, listener: PubSubListener): Unsubscribe {
    let listeners = this.#topics.get(topic);
    if (!listeners) this.#topics.set(topic, (listeners = new Set()));
    const entry = new Subscription(listener);
    listeners.add(entry);
    return () => {
      const current = this.#topics.get(topic);
      if (!current) return;
      current.delete(entry);
      if (current.size === 0) this.#topics.delete(topic);
    };
  }

  publish(topic: string, message: unknown): void {
    const listeners = this.#topics.get(topic);
    if (!listeners || listeners.size === 0) return;
    const text = JSON.stringify(message ?? null);
    for (const { listener } of [...listeners]) {
      queueMicrotask(() => listener(JSON.parse(text)));
    }
  }

  /** In one process, publishing is local. */
  publishLocal(topic: string, message: unknown): void {
    this.publish(topic, message);
  }

  /** Listeners of `topic` in this process. */
  subscriberCount(topic: string): number {
    return this.#topics.get(topic)?.size ?? 0;
  }

  /** Number of topics with at least one listener. */
  get topicCount(): number {
    return this.#topics.size;
  }

  close(): void {
    this.#topics.clear();
  }
}
