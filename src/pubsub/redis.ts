/**
 * Redis pub/sub for many nodes (node-redis v6): `broadcast` on any node reaches `handleInfo` of
 * every subscribed view on every node.
 * @module
 */
import { RedisConnection, type RedisConnectionOptions } from "../redis.js";
import type { PubSub, PubSubListener, Unsubscribe } from "./types.js";

/** Options of {@link RedisPubSub}: `{ url }` or `{ client }` (see {@link RedisConnectionOptions}). */
export interface RedisPubSubOptions extends RedisConnectionOptions {
  /** Prefix of the Redis channel names, so apps can share a server. Default `"djust:"`. */
  readonly prefix?: string;
}

/**
 * Pub/sub over Redis `PUBLISH`/`SUBSCRIBE`. Publishes on the given connection (its own for a
 * URL) and subscribes on a second one it opens for that (a subscribed connection can run no
 * other command); each Redis channel is subscribed once however many views listen to it.
 */
export class RedisPubSub implements PubSub {
  readonly #prefix: string;
  readonly #local = new Map<string, Set<PubSubListener>>();
  readonly #pub: RedisConnection;
  readonly #sub: RedisConnection;

  constructor(options: RedisPubSubOptions = {}) {
    this.#prefix = options.prefix ?? "djust:";
    this.#pub = new RedisConnection(options, "RedisPubSub");
    // Always opened (and so closed) by this pub/sub, whatever the publishing connection is.
    this.#sub = this.#pub.duplicate();
  }

  async subscribe(topic: string, listener: PubSubListener): Promise<Unsubscribe> {
    const channel = this.#prefix + topic;
    let listeners = this.#local.get(channel);
    const entry: PubSubListener = (message) => listener(message);
    const unsubscribe = async () => {
      const current = this.#local.get(channel);
      if (!current?.delete(entry) || current.size > 0) return;
      this.#local.delete(channel);
      // Once the pub/sub is closed there is nothing to unsubscribe from.
      await this.#sub.current?.unsubscribe(channel).catch(() => undefined);
    };
    if (!listeners) {
      listeners = new Set();
      this.#local.set(channel, listeners);
      listeners.add(entry);
      try {
        await this.#sub.run("SUBSCRIBE", (sub) => sub.subscribe(channel, this.#onMessage));
      } catch (error) {
        // Not listening after all: the channel must not look subscribed to the next caller.
        await unsubscribe();
        throw error;
      }
    } else {
      listeners.add(entry);
    }
    return unsubscribe;
  }

  // One listener for every channel: a SUBSCRIBE that timed out but went through later and is
  // then repeated adds nothing twice (node-redis keeps a channel's listeners in a set).
  readonly #onMessage = (text: string, channel: string): void => this.#deliver(channel, text);

  #deliver(channel: string, text: string): void {
    const listeners = this.#local.get(channel);
    if (!listeners) return;
    for (const listener of [...listeners]) {
      let message: unknown;
      try {
        message = JSON.parse(text);
      } catch {
        continue;
      }
      listener(message);
    }
  }

  async publish(topic: string, message: unknown): Promise<void> {
    const text = JSON.stringify(message ?? null);
    await this.#pub.run("PUBLISH", (pub) => pub.publish(this.#prefix + topic, text));
  }

  /** Subscribed connections of `topic` on the Redis server, this node's included. */
  async subscriberCount(topic: string): Promise<number> {
    const channel = this.#prefix + topic;
    const counts = await this.#pub.run("PUBSUB", (pub) => pub.pubSubNumSub(channel));
    return Number(counts[channel] ?? 0);
  }

  /** Delivers to this process's listeners of `topic` without going through Redis. */
  publishLocal(topic: string, message: unknown): void {
    const text = JSON.stringify(message ?? null);
    queueMicrotask(() => this.#deliver(this.#prefix + topic, text));
  }

  /**
   * Closes the subscribing connection and, if this pub/sub opened it, the publishing one
   * (including ones still being opened); later calls reject. A client passed in stays open.
   */
  async close(): Promise<void> {
    this.#local.clear();
    await Promise.all([this.#sub.close(), this.#pub.close()]);
  }
}
