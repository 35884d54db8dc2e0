/**
 * Redis connections, shared by every Redis adapter (state backend, pub/sub, rate limits,
 * sessions): the one place that turns `{ url }` or a node-redis client into a connected client.
 * A {@link RedisConnection} connects on first use and once, listens for the client's `error`
 * events (logging through the app's logger, so a Redis outage never crashes Node with an
 * unhandled `'error'` event), and closes only a connection it opened itself.
 * @module
 */
import { createHash } from "node:crypto";
import { createClient } from "redis";
import { ServiceUnavailable } from "./errors.js";
import { stderrLogger, type Logger } from "./logger.js";

function clientFor(url: string, timeoutMs = REDIS_TIMEOUT_MS) {
  // The command timeout drops a command node-redis still queues (Redis down or stalled) when
  // `run` gives up on it, so an outage does not pile commands up for the reconnect.
  return createClient({ url, commandOptions: { timeout: timeoutMs } });
}

/** A node-redis v6 client (with the default modules `createClient({ url })` gives). */
export type RedisClient = ReturnType<typeof clientFor>;

/** Default bound of every Redis operation, in milliseconds (the app's `redisTimeoutMs`). */
export const REDIS_TIMEOUT_MS = 1000;

/** What a client is told when Redis does not answer: no exception text, the log has it. */
export const UNAVAILABLE_MESSAGE =
  "Service temporarily unavailable: the shared store did not answer. Try again shortly.";

/**
 * The text of a Redis error for a log line. Node reports a refused connection to a host with
 * several addresses as an `AggregateError` whose own message is empty: use its parts' messages.
 */
export function redisErrorText(error: unknown): string {
  if (error instanceof AggregateError && !error.message) {
    const parts = error.errors.map((part: unknown) => redisErrorText(part));
    return [...new Set(parts)].join("; ") || error.name;
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return error.message || (typeof code === "string" ? code : error.name);
  }
  return String(error);
}

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
  /**
   * Bound of every operation, connecting included, in milliseconds: past it the operation
   * fails with {@link ServiceUnavailable} (`503 service_unavailable`) instead of waiting for a
   * Redis that is down or stalled. `createApp` passes its `redisTimeoutMs`.
   * @default 1000
   */
  readonly timeoutMs?: number;
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
  /** Bound of every {@link run}, in milliseconds. */
  readonly timeoutMs: number;
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
    const text = redisErrorText(error);
    this.#noteDown(`Redis connection error: ${text} (reconnecting)`, text);
  };
  readonly #onReady = (): void => {
    this.#noteUp();
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
    this.timeoutMs =
      options.timeoutMs ?? (given instanceof RedisConnection ? given.timeoutMs : REDIS_TIMEOUT_MS);
    if (given instanceof RedisConnection) {
      // The lender listens for errors and decides when the client closes.
      this.#parent = given;
      this.#raw = given.#raw;
      this.#created = false;
      return;
    }
    this.#parent = undefined;
    this.#raw = given ?? clientFor(redisUrl(options.url), this.timeoutMs);
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

  /**
   * Runs `operation` on the connected client, bounded by {@link timeoutMs} (connecting
   * included). A Redis that is down, stalled or answers with an error makes it reject with
   * {@link ServiceUnavailable}, whose cause is the Redis error; the first failure of an outage
   * is logged as one line, and the first success after it as another. After {@link close} it
   * rejects with `"<name> is closed"`.
   * @param what Names the operation in the log line (`"GET"`, `"PUBLISH"`).
   */
  async run<T>(what: string, operation: (client: RedisClient) => Promise<T>): Promise<T> {
    const work = this.client().then(operation);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    });
    try {
      const value = await Promise.race([work, timeout]);
      this.#noteUp();
      return value;
    } catch (error) {
      if (this.#closed) throw error;
      // The abandoned operation may still settle later: nothing is listening any more.
      work.catch(() => undefined);
      const text = redisErrorText(error);
      this.#noteDown(`Redis ${what} failed: ${text}; answering 503 until Redis is back`, text);
      throw new ServiceUnavailable(UNAVAILABLE_MESSAGE, error);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Whether the last operation or connection event failed (Redis down or stalled). */
  get down(): boolean {
    return this.#parent ? this.#parent.down : this.#down;
  }

  // One line per outage for the whole client, however many connections borrow it.
  #noteDown(line: string, error: string): void {
    if (this.#parent) return this.#parent.#noteDown(line, error);
    if (this.#down) return;
    this.#down = true;
    this.#logger.error(`${this.name}: ${line}`, { error });
  }

  #noteUp(): void {
    if (this.#parent) return this.#parent.#noteUp();
    if (!this.#down) return;
    this.#down = false;
    this.#logger.info(`${this.name}: Redis connection restored`);
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
    return new RedisConnection(
      { client: this.#raw.duplicate(), logger: this.#logger, timeoutMs: this.timeoutMs },
      name,
    );
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

/** A Lua script run by its SHA1, sent again when Redis does not know it. */
export class RedisScript {
  readonly #sha1: string;
  constructor(readonly source: string) {
    this.#sha1 = createHash("sha1").update(source).digest("hex");
  }

  /** Runs the script with `options` on `client`. */
  async run(
    client: RedisClient,
    options: { keys: string[]; arguments: string[] },
  ): Promise<unknown> {
    try {
      return await client.evalSha(this.#sha1, options);
    } catch (error) {
      // The script cache is empty after a restart or failover; EVAL runs and re-caches it.
      if (!String((error as Error)?.message ?? error).includes("NOSCRIPT")) throw error;
      return client.eval(this.source, options);
    }
  }
}

/** Resolves when `promise` settles or after `ms`, whichever comes first; never rejects. */
export async function within(
  promise: Promise<unknown>,
  ms: number,
): Promise<"settled" | "timeout"> {
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
