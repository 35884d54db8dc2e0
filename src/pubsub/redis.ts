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
    const sub = await this.#sub.client();
    const channel = this.#prefix + topic;
    let listeners = this.#local.get(channel);
    const entry: PubSubListener = (message) => listener(message);
    if (!listeners) {
      listeners = new Set();
      this.#local.set(channel, listeners);
      listeners.add(entry);
      await sub.subscribe(channel, (text) => this.#deliver(channel, text));
    } else {
      listeners.add(entry);
    }
    return async () => {
      const current = this.#local.get(channel);
      if (!current) return;
      current.delete(entry);
      if (current.size === 0) {
        this.#local.delete(channel);
        // Once the pub/sub is closed there is nothing to unsubscribe from.
        await this.#sub.current?.unsubscribe(channel).catch(() => undefined);
      }
    };
  }

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
    const pub = await this.#pub.client();
    await pub.publish(this.#prefix + topic, JSON.stringify(message ?? null));
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
