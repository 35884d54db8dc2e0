/**
 * Redis pub/sub for many nodes (node-redis v6): `broadcast` on any node reaches `handleInfo` of
 * every subscribed view on every node.
 * @module
 */
import { connectRedis, LazyRedis, redisUrl, type RedisClient } from "../state/backends/redis.js";
import type { PubSub, PubSubListener, Unsubscribe } from "./types.js";

/** Options of {@link RedisPubSub}. */
export interface RedisPubSubOptions {
  /** `redis://…` URL; default env `REDIS_URL`, else `redis://127.0.0.1:6379`. */
  readonly url?: string;
  /** Prefix of the Redis channel names, so apps can share a server. Default `"djust:"`. */
  readonly prefix?: string;
}

/**
 * Pub/sub over Redis `PUBLISH`/`SUBSCRIBE`. One publishing and one subscribing connection per
 * process; each Redis channel is subscribed once however many views listen to it.
 */
export class RedisPubSub implements PubSub {
  readonly #prefix: string;
  readonly #local = new Map<string, Set<PubSubListener>>();
  readonly #redis: LazyRedis<{ pub: RedisClient; sub: RedisClient }>;

  constructor(options: RedisPubSubOptions = {}) {
    const url = redisUrl(options.url);
    this.#prefix = options.prefix ?? "djust:";
    this.#redis = new LazyRedis(
      "RedisPubSub",
      async () => {
        const pub = await connectRedis(url);
        return { pub, sub: await connectRedis(pub.duplicate()) };
      },
      async ({ pub, sub }) => {
        await Promise.all([sub.close(), pub.close()]);
      },
    );
  }

  async subscribe(topic: string, listener: PubSubListener): Promise<Unsubscribe> {
    const { sub } = await this.#redis.get();
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
        await this.#redis.current?.sub.unsubscribe(channel).catch(() => undefined);
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
    const { pub } = await this.#redis.get();
    await pub.publish(this.#prefix + topic, JSON.stringify(message ?? null));
  }

  /** Closes both connections, including ones still being opened; later calls reject. */
  close(): Promise<void> {
    this.#local.clear();
    return this.#redis.close();
  }
}
