/**
 * Redis connections, shared by every Redis adapter (state backend, pub/sub, rate limits,
 * sessions): the one place that turns `{ url }` or a node-redis client into a connected client.
 * A {@link RedisConnection} connects on first use and once, listens for the client's `error`
 * events (logging through the app's logger, so a Redis outage never crashes Node with an
 * unhandled `'error'` event), and closes only a connection it opened itself.
 * @module
 */
import { createClient } from "redis";
import { stderrLogger, type Logger } from "./logger.js";

function clientFor(url: string) {
  return createClient({ url });
}

/** A node-redis v6 client (with the default modules `createClient({ url })` gives). */
export type RedisClient = ReturnType<typeof clientFor>;

/** `url`, else env `REDIS_URL`, else `redis://127.0.0.1:6379`. */
export function redisUrl(url?: string): string {
  return url ?? (process.env.REDIS_URL || "redis://127.0.0.1:6379");
}

/**
 * Where an adapter's Redis connection comes from: a URL (the adapter opens and closes its own
 * connection) or a client (used as it is; see {@link RedisConnection}). Every Redis adapter's
 * options extend this.
 */
export interface RedisConnectionOptions {
  /** `redis://…` URL of a connection the adapter opens and closes. Default: env `REDIS_URL`, else `redis://127.0.0.1:6379`. */
  readonly url?: string;
  /**
   * A node-redis client to use instead of opening a connection. An open client stays the
   * caller's: the adapter never closes it. A client not yet connected is connected on first use
   * and then closed by the adapter's `close()`. A {@link RedisConnection} is shared the same way.
   */
  readonly client?: RedisClient | RedisConnection;
  /** Where connection errors are logged. Default: stderr. */
  readonly logger?: Logger;
}

/** How long `close()` waits for pending commands before dropping the connection. */
const CLOSE_TIMEOUT_MS = 1000;

/**
 * One Redis connection as an adapter uses it: opened by the first {@link client} call (an app
 * that never needs Redis opens nothing), closed once by {@link close}, after which use is
 * refused instead of opening a connection nothing would close.
 *
 * It attaches its own `error` listener to the client: the first error of an outage is logged
 * as one line through the logger (node-redis keeps reconnecting by itself), and the return of
 * the connection as another. On a borrowed client the listener is removed again by `close()`.
 *
 * @example
 * ```ts
 * const redis = new RedisConnection({ url: process.env.REDIS_URL }, "MyStore");
 * await (await redis.client()).set("k", "v");
 * await redis.close();
 * ```
 */
export class RedisConnection {
  /** Names this connection in log lines and in the refusal after close (`"MyStore is closed"`). */
  readonly name: string;
  readonly #logger: Logger;
  readonly #raw: RedisClient;
  /** Set when this connection borrows another {@link RedisConnection} (which owns the client). */
  readonly #parent: RedisConnection | undefined;
  readonly #created: boolean;
  #connectedHere = false;
  #connecting: Promise<RedisClient> | undefined;
  #open: RedisClient | undefined;
  #closed = false;
  #down = false;
  readonly #onError = (error: unknown): void => {
    if (this.#down) return;
    this.#down = true;
    const message = error instanceof Error ? error.message || error.name : String(error);
    this.#logger.error(`${this.name}: Redis connection error: ${message} (reconnecting)`, {
      error: message,
    });
  };
  readonly #onReady = (): void => {
    if (!this.#down) return;
    this.#down = false;
    this.#logger.info(`${this.name}: Redis connection restored`);
  };

  /**
   * @param options `{ url }` or `{ client }` (not both), and the logger.
   * @param name Names the connection in log lines and errors.
   */
  constructor(options: RedisConnectionOptions = {}, name = "Redis") {
    if (options.url !== undefined && options.client !== undefined) {
      throw new TypeError(`${name}: pass either url or client, not both`);
    }
    this.name = name;
    this.#logger = options.logger ?? stderrLogger;
    const given = options.client;
    if (given instanceof RedisConnection) {
      // The lender listens for errors and decides when the client closes.
      this.#parent = given;
      this.#raw = given.#raw;
      this.#created = false;
      return;
    }
    this.#parent = undefined;
    this.#raw = given ?? clientFor(redisUrl(options.url));
    this.#created = given === undefined;
    this.#raw.on("error", this.#onError);
    this.#raw.on("ready", this.#onReady);
  }

  /**
   * Whether this connection opened its client (made it from a URL, or connected a client that
   * was given unconnected), and so closes it in {@link close}. A borrowed connection is `false`.
   */
  get owned(): boolean {
    return this.#parent === undefined && (this.#created || this.#connectedHere);
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The connected client; the first call connects it unless it is already open. */
  client(): Promise<RedisClient> {
    if (this.#closed) return Promise.reject(new Error(`${this.name} is closed`));
    if (this.#parent) return this.#parent.client();
    if (this.#connecting) return this.#connecting;
    if (this.#raw.isOpen) {
      this.#open = this.#raw;
      this.#connecting = Promise.resolve(this.#raw);
      return this.#connecting;
    }
    this.#connectedHere = true;
    const connecting = this.#raw.connect().then(
      () => (this.#open = this.#raw),
      (error: unknown) => {
        // A failed attempt (e.g. closed meanwhile) is not cached: the next call tries again.
        if (this.#connecting === connecting) this.#connecting = undefined;
        throw error;
      },
    );
    this.#connecting = connecting;
    return connecting;
  }

  /** The client if it is connected and this connection is not closed, without connecting it. */
  get current(): RedisClient | undefined {
    if (this.#closed) return undefined;
    return this.#parent ? this.#parent.current : this.#open;
  }

  /**
   * A second connection with this one's client options and logger (for a pub/sub subscriber,
   * which needs a connection of its own). It is owned by whoever called this: its
   * {@link close} closes it.
   */
  duplicate(name = this.name): RedisConnection {
    return new RedisConnection({ client: this.#raw.duplicate(), logger: this.#logger }, name);
  }

  /**
   * Closes the client if this connection opened it (waiting up to a second for pending
   * commands, then dropping the socket), including one still connecting; a borrowed client stays
   * open and loses this connection's error listener. Later {@link client} calls reject.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#parent) return;
    const owned = this.owned;
    const pending = this.#connecting;
    this.#connecting = this.#open = undefined;
    if (!owned) {
      this.#raw.off("error", this.#onError);
      this.#raw.off("ready", this.#onReady);
      return;
    }
    // The error listener stays on a client this connection owned: nothing else listens there.
    pending?.catch(() => undefined);
    await closeClient(this.#raw, pending);
  }
}

/** Resolves when `promise` settles or after `ms`, whichever comes first; never rejects. */
async function within(promise: Promise<unknown>, ms: number): Promise<"settled" | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
    timer.unref();
  });
  const settled = promise.then(
    () => "settled" as const,
    () => "settled" as const,
  );
  const outcome = await Promise.race([settled, timeout]);
  clearTimeout(timer);
  return outcome;
}

/**
 * Closes `client` gracefully when it is ready (waiting a bounded time for pending commands),
 * else drops its socket: there is nothing to drain, and waiting for a Redis that may be down
 * would make shutdown hang.
 */
async function closeClient(
  client: RedisClient,
  connecting: Promise<unknown> | undefined,
): Promise<void> {
  if (!client.isOpen) return;
  if (!client.isReady) {
    client.destroy();
    // node-redis lets a connect begun before destroy() finish when it does not fail; wait for
    // it (boundedly) and drop that socket too, or it would stay open with nothing using it.
    if (connecting) {
      await within(connecting, CLOSE_TIMEOUT_MS);
      client.destroy();
    }
    return;
  }
  if ((await within(client.close(), CLOSE_TIMEOUT_MS)) === "timeout") client.destroy();
}
