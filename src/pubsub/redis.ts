/**
 * Redis pub/sub for many nodes (node-redis v6): `broadcast` on any node reaches `handleInfo` of
 * every subscribed view on every node.
 * @module
 */
import { connectRedis, redisUrl, type RedisClient } from "../state/backends/redis.js";
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
  readonly #url: string;
  readonly #prefix: string;
  readonly #local = new Map<string, Set<PubSubListener>>();
  #pub?: RedisClient;
  #sub?: RedisClient;
  #connecting?: Promise<void>;

  constructor(options: RedisPubSubOptions = {}) {
    this.#url = redisUrl(options.url);
    this.#prefix = options.prefix ?? "djust:";
  }

  #closed = false;

  async #connect(): Promise<void> {
    // After close(), connecting again would leak a client that reconnects forever.
    if (this.#closed) throw new Error("RedisPubSub is closed");
    this.#connecting ??= (async () => {
      const pub = await connectRedis(this.#url);
      const sub = await connectRedis(pub.duplicate());
      this.#pub = pub;
      this.#sub = sub;
    })();
    await this.#connecting;
  }

  async subscribe(topic: string, listener: PubSubListener): Promise<Unsubscribe> {
    await this.#connect();
    const channel = this.#prefix + topic;
    let listeners = this.#local.get(channel);
    const entry: PubSubListener = (message) => listener(message);
    if (!listeners) {
      listeners = new Set();
      this.#local.set(channel, listeners);
      listeners.add(entry);
      await this.#sub?.subscribe(channel, (text) => this.#deliver(channel, text));
    } else {
      listeners.add(entry);
    }
    return async () => {
      const current = this.#local.get(channel);
      if (!current) return;
      current.delete(entry);
      if (current.size === 0) {
        this.#local.delete(channel);
        await this.#sub?.unsubscribe(channel).catch(() => undefined);
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
    await this.#connect();
    await this.#pub?.publish(this.#prefix + topic, JSON.stringify(message ?? null));
  }

  /** Closes both connections, including ones still being opened; later calls reject. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#local.clear();
    const pending = this.#connecting;
    this.#connecting = undefined;
    await pending?.catch(() => undefined);
    const clients = [this.#sub, this.#pub];
    this.#sub = this.#pub = undefined;
    await Promise.all(clients.map((c) => c?.close().catch(() => undefined)));
  }
}
