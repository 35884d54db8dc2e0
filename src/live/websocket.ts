/**
 * The WebSocket transport: a `ws` server without its own HTTP server, taking the upgrades of
 * `/djust/live/websocket` (after an `Origin` check), one {@link LiveConnection} per socket, and
 * a sweeper for sockets gone silent.
 * @module
 */
import { constants as bufferConstants } from "node:buffer";
import type { IncomingMessage } from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Duplex } from "node:stream";
import { constants as zlibConstants, deflateRawSync, inflateRawSync } from "node:zlib";
import { WebSocketServer, type PerMessageDeflateOptions, type RawData, type WebSocket } from "ws";
import { errorText, type Logger } from "../logger.js";
import { ServiceUnavailable } from "../errors.js";
import { drainAll, LiveConnection, type ConnectionSink } from "./channel.js";
import type { ConnectionIdentity, LiveHost, WebSocketCompression } from "./host.js";
import { HeaderPairs } from "./identity.js";
import { sameOrigin, viaHttps } from "../auth/origin.js";
import { CLOSE_SERVICE_RESTART, HEARTBEAT_MS, WEBSOCKET_PATH } from "./protocol.js";

/** Identifies the sender of an upgrade request (its headers and remote address). */
export type IdentifyConnection = (
  headers: HeaderPairs,
  remoteAddress: string | undefined,
) => Promise<ConnectionIdentity>;

/** A socket silent for two heartbeat intervals (and a margin) is gone. */
const SILENT_MS = 2 * HEARTBEAT_MS + 5_000;
const SWEEP_MS = 15_000;

/**
 * The parts of ws's per-socket permessage-deflate extension (`ws._extensions`, not public API)
 * that djust manages: the negotiated parameters and the options, which ws only reads once the
 * extension is accepted, and the compression of the server's messages ({@link compress}) and
 * inflate of the client's ({@link inflater}), which replace ws's zlib streams.
 */
interface DeflateExtension {
  params: Readonly<Record<string, unknown>>;
  _options: Readonly<Record<string, unknown>>;
  /** ws's sender compresses the messages of at least this many bytes. */
  _threshold: number;
  /** ws's sender calls it for each message it compresses (an own property replaces ws's). */
  compress: Compress;
  /** ws's receiver calls it for each compressed frame (an own property replaces ws's). */
  decompress: Decompress;
  /** The compressed fragments of a message whose last frame has not come yet. */
  [FRAGMENTS]?: Buffer[] | undefined;
}

type Compress = (
  this: DeflateExtension,
  data: Buffer | string,
  fin: boolean,
  callback: (error: Error | null, compressed?: Buffer) => void,
) => void;

type Decompress = (
  this: DeflateExtension,
  data: Buffer,
  fin: boolean,
  callback: (error: Error | null, inflated?: { readonly length: number }) => void,
) => void;

const FRAGMENTS = Symbol("compressed fragments");
/** What a sender leaves off the end of each compressed message (RFC 7692 §7.2.1). */
const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);
/**
 * {@link TRAILER} and then an empty final block: the inflate of a message so completed ends
 * the stream, and zlib then allocates no window (32 KiB, allocated and freed again for each
 * message otherwise) for a message whose output fits its first chunk.
 */
const FINAL_TRAILER = Buffer.concat([TRAILER, Buffer.from([0x01, 0x00, 0x00, 0xff, 0xff])]);
const NOTHING = Buffer.alloc(0);
const SYNC_FLUSH = zlibConstants.Z_SYNC_FLUSH;
const MAX_LENGTH = bufferConstants.MAX_LENGTH;

/** A module of ws's own that it does not export, the one ws itself loaded. */
function wsInternal(name: string): Record<string, unknown> {
  const require = createRequire(import.meta.url);
  return require(join(dirname(require.resolve("ws")), "lib", name)) as Record<string, unknown>;
}

/** The key under which ws's receiver finds the close code of an error it is handed. */
const STATUS_CODE = ((key) => (typeof key === "symbol" ? key : undefined))(
  wsInternal("constants.js").kStatusCode,
);

/**
 * How the server's messages are compressed: level 1, the fastest, within 5% of the default
 * level's size on the 1,000-row table's join reply.
 */
const DEFLATE = { level: 1, memLevel: 4 } as const;
/**
 * The server's window, 1 KiB. Live payloads repeat within a row's width (one comprehension
 * entry after another), so a small window costs nothing: the 1,000-row table's join reply
 * deflates to 9.7 kB with it, 10.9 kB with 32 KiB.
 */
const SERVER_WINDOW_BITS = 10;
/** The smallest window zlib's raw deflate makes (it turns 8 bits into 9). */
const MIN_WINDOW_BITS = 9;

/**
 * Compresses one of the server's messages in one synchronous call, in place of ws's zlib
 * stream: ws would make a stream per socket (some 90 KiB of zlib state, kept until the socket
 * closes) and compress on the thread pool; a stream made, used and closed for one message
 * costs about 100 µs of CPU more than the call. Every message is compressed alone (the server
 * does not carry its context over, `server_no_context_takeover`, which it always answers), so
 * nothing is kept between messages. ws's sender holds its queue until the callback, called at
 * once here. Each message is whole (`fin`): djust's only sender, {@link SocketLink.send},
 * never sends one in fragments.
 */
const compress: Compress = function (data, _fin, callback) {
  // The client may have asked for a window smaller still (a maximum: a smaller one is fine).
  const asked = this.params.server_max_window_bits;
  const compressed = deflateRawSync(data, {
    ...DEFLATE,
    windowBits:
      typeof asked === "number" ? Math.min(asked, SERVER_WINDOW_BITS) : SERVER_WINDOW_BITS,
    // Ends the message with an empty stored block (a sync flush), which is then left off.
    finishFlush: SYNC_FLUSH,
  });
  callback(null, compressed.subarray(0, compressed.length - TRAILER.length));
};

/** zlib's default output chunk: the largest an inflate starts with. */
const MAX_CHUNK = 16 * 1024;

/**
 * Inflates a client's compressed messages (browsers compress every one, heartbeats too) in
 * one synchronous call each, in place of ws's zlib stream: ws would keep that stream, some
 * 25 KiB of zlib state and buffers, for the life of every socket after its first compressed
 * message, and inflate each message on the thread pool. The client may not carry its
 * compression context over (`client_no_context_takeover`, which the server asks for), so each
 * message inflates alone. A message that would inflate past `limit` bytes stops there, and
 * ws's receiver refuses it as it refuses any message past its `maxPayload` (1009); one that
 * does not inflate fails the socket. ws's receiver waits for the callback, which is called a
 * microtask later, as its own inflate would call it later.
 */
function inflater(frameBytes: number): Decompress {
  const limit = Math.min(frameBytes, MAX_LENGTH);
  return function decompress(data, fin, callback) {
    if (!fin) {
      // A copy: `data` is a view into the read it came in, which may be far larger.
      (this[FRAGMENTS] ??= []).push(Buffer.from(data));
      queueMicrotask(() => callback(null, NOTHING));
      return;
    }
    const fragments = this[FRAGMENTS];
    this[FRAGMENTS] = undefined;
    const input = Buffer.concat(
      fragments ? [...fragments, data, FINAL_TRAILER] : [data, FINAL_TRAILER],
    );
    let inflated: { readonly length: number };
    try {
      inflated = inflateRawSync(input, {
        maxOutputLength: limit,
        // Output buffers sized to the message (zlib's default is 16 KiB a call).
        chunkSize: Math.min(Math.max(input.length * 8, 1024), MAX_CHUNK),
      });
    } catch (error) {
      const tooLarge = (error as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE";
      if (!tooLarge) {
        // As ws's own inflate fails it: 1007, the message's data is not what it claims.
        if (STATUS_CODE) (error as Record<symbol, number>)[STATUS_CODE] = 1007;
        queueMicrotask(() => callback(error as Error));
        return;
      }
      // Only its length is read before the receiver refuses it.
      inflated = { length: limit + 1 };
    }
    queueMicrotask(() => callback(null, inflated));
  };
}

/**
 * The negotiated parameter sets, shared by the sockets that negotiated the same: ws keeps a
 * null-prototype object per socket, which V8 holds as a dictionary (about 280 B). The server's
 * settings leave a few possible sets; past {@link MAX_PARAM_SETS} a socket keeps its own.
 */
const paramSets = new Map<string, Readonly<Record<string, unknown>>>();
const MAX_PARAM_SETS = 16;

/**
 * Makes the permessage-deflate extension ws negotiated for `ws`, if any, share its parameters
 * and `options` (ws's per-socket copy of the server's options) with other sockets, and
 * compress and inflate each message in one call.
 */
function shareDeflateExtension(
  ws: WebSocket,
  options: Readonly<Record<string, unknown>>,
  decompress: Decompress,
): void {
  const extensions = (ws as unknown as { _extensions?: Record<string, unknown> })._extensions;
  const extension = extensions?.["permessage-deflate"];
  if (typeof extension !== "object" || extension === null || !("params" in extension)) {
    return;
  }
  const ours = extension as DeflateExtension;
  if ("_options" in ours) ours._options = options;
  if (typeof ours.params === "object" && ours.params !== null) {
    const key = JSON.stringify(ours.params);
    let shared = paramSets.get(key);
    if (!shared && paramSets.size < MAX_PARAM_SETS) {
      shared = Object.freeze({ ...ours.params });
      paramSets.set(key, shared);
    }
    if (shared) ours.params = shared;
    const asked = ours.params.server_max_window_bits;
    // No window that small: this client's messages go plain, as permessage-deflate allows.
    if (typeof asked === "number" && asked < MIN_WINDOW_BITS) ours._threshold = Infinity;
    else if (ours.params.server_no_context_takeover === true) ours.compress = compress;
    if (ours.params.client_no_context_takeover === true) ours.decompress = decompress;
  }
}

/**
 * One open WebSocket: the sink its {@link LiveConnection} writes to and the time of its last
 * frame (for the sweeper). Everything per socket lives here, and the socket's event handlers
 * are shared functions that find it through the socket, so an idle socket holds no closures.
 */
class SocketLink implements ConnectionSink {
  connection!: LiveConnection;
  lastSeen = Date.now();

  constructor(
    readonly ws: WebSocket,
    readonly outboundBytes: number,
  ) {}

  /**
   * Sends `text`, unless the client has left more than `limits.outboundBytes` unread: then the
   * socket is dropped (DESIGN §12). A close frame would only queue behind the unread data, so
   * the socket is terminated and its buffers freed at once.
   */
  send(text: string): void {
    const ws = this.ws;
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount + text.length > this.outboundBytes) {
      ws.terminate();
      return;
    }
    ws.send(text);
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }
}

/** Upgrade-handshake headers, meaningless once the WebSocket is open. */
const HANDSHAKE_HEADERS: ReadonlySet<string> = new Set([
  "connection",
  "upgrade",
  "sec-websocket-key",
  "sec-websocket-version",
  "sec-websocket-extensions",
]);

/**
 * ws's permessage-deflate settings. Both sides compress each message alone, so the server keeps
 * no zlib state between messages ({@link compress}, {@link inflater}).
 */
function deflateOptions(
  compression: WebSocketCompression | false,
): PerMessageDeflateOptions | false {
  if (!compression) return false;
  return {
    threshold: compression.threshold,
    // ws honours the threshold only without context takeover; with it, every message (a
    // 90-byte event reply too) would be compressed and every socket would hold zlib state.
    // Each live message stands alone anyway (one join reply, one diff).
    serverNoContextTakeover: true,
    clientNoContextTakeover: true,
    // No window named either way: ws refuses the handshake (400) of a client that offers less
    // than the server's named window (`server_max_window_bits=9`), or that does not offer to
    // let the server choose its own (Firefox offers plain permessage-deflate). The server's
    // window is SERVER_WINDOW_BITS or what the client asked, if smaller (see compress); the
    // client's is the client's memory (each inflate here is one call, see inflater).
  };
}

/** The WebSocket endpoint of one app. */
export class WebSocketEndpoint {
  readonly #host: LiveHost;
  readonly #identify: IdentifyConnection;
  readonly #logger: Logger;
  readonly #wss: WebSocketServer;
  /** What ws copies into each socket's permessage-deflate extension, as one shared object. */
  readonly #deflateOptions: Readonly<Record<string, unknown>> | undefined;
  readonly #decompress: Decompress;
  // Tracks the open sockets; ws's own tracking would add a set entry and a close listener per
  // socket for nothing.
  readonly #sockets = new Map<WebSocket, SocketLink>();
  readonly #sweeper: ReturnType<typeof setInterval>;
  // One set of handlers for every socket (`this` is the socket), made here and not inside the
  // upgrade: a closure made there would pin the upgrade request, its head buffer and the
  // identity lookup's scope for as long as the socket stays open.
  readonly #onMessage: (this: WebSocket, data: RawData, isBinary: boolean) => void;
  readonly #onClose: (this: WebSocket) => void;

  constructor(host: LiveHost, identify: IdentifyConnection, logger: Logger) {
    this.#host = host;
    this.#identify = identify;
    this.#logger = logger;
    const perMessageDeflate = deflateOptions(host.perMessageDeflate);
    this.#wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      // ws applies it to the inflated size too: a small compressed frame that inflates past it
      // closes the socket (1009) before more is inflated.
      maxPayload: host.limits.frameBytes,
      perMessageDeflate,
    });
    this.#deflateOptions = perMessageDeflate
      ? Object.freeze({ ...perMessageDeflate, isServer: true, maxPayload: host.limits.frameBytes })
      : undefined;
    this.#decompress = inflater(host.limits.frameBytes);
    const sockets = this.#sockets;
    this.#sweeper = setInterval(() => {
      const now = Date.now();
      for (const link of sockets.values()) {
        if (now - link.lastSeen > SILENT_MS) link.ws.terminate();
      }
    }, SWEEP_MS);
    this.#sweeper.unref();
    this.#onMessage = function (this: WebSocket, data: RawData, isBinary: boolean): void {
      const link = sockets.get(this);
      if (!link) return;
      link.lastSeen = Date.now();
      const buffer = Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.isBuffer(data)
          ? data
          : Buffer.from(data);
      // Binary frames are upload chunks (`lvu:` channels); text frames everything else.
      if (isBinary) void link.connection.receiveBinary(buffer);
      else void link.connection.receive(buffer.toString("utf8"), buffer.byteLength);
    };
    this.#onClose = function (this: WebSocket): void {
      const link = sockets.get(this);
      if (!link) return;
      sockets.delete(this);
      void link.connection.close();
    };
  }

  /** Open WebSocket connections. */
  get size(): number {
    return this.#sockets.size;
  }

  /**
   * Takes a Node `upgrade` event for the WebSocket path (`false` for other URLs). A cross-site
   * `Origin` is refused with 403; a failed identification destroys the socket.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    // The client's own URL is the path as is; parsing (normalisation) is for anything else.
    const raw = req.url ?? "/";
    const query = raw.indexOf("?");
    if (
      (query < 0 ? raw : raw.slice(0, query)) !== WEBSOCKET_PATH &&
      new URL(raw, "http://localhost").pathname !== WEBSOCKET_PATH
    )
      return false;
    // The connection keeps these headers as its views' `request.headers` for as long as it
    // is open; the handshake's own headers say nothing about the user and are left out.
    const headers = HeaderPairs.fromNode(req.headers, HANDSHAKE_HEADERS);
    const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
    const secure = viaHttps(encrypted, headers, this.#host.cookies.trustedProxyCount);
    if (!sameOrigin(req.headers.origin, req.headers.host, secure)) {
      socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return true;
    }
    void this.#identify(headers, req.socket.remoteAddress).then(
      (identity) => {
        if (socket.destroyed) return;
        this.#wss.handleUpgrade(req, socket, head, (ws) => this.#attach(ws, identity));
      },
      (error: unknown) => {
        if (error instanceof ServiceUnavailable) {
          // Redis (sessions) down or stalled: refuse at once; the client retries with backoff.
          socket.end(
            `HTTP/1.1 503 Service Unavailable\r\nRetry-After: ${error.retryAfter}\r\n` +
              "Connection: close\r\nContent-Length: 0\r\n\r\n",
          );
          return;
        }
        this.#logger.error("WebSocket upgrade failed", { error: errorText(error) });
        socket.destroy();
      },
    );
    return true;
  }

  #attach(ws: WebSocket, identity: ConnectionIdentity): void {
    const options = this.#deflateOptions;
    if (options) shareDeflateExtension(ws, options, this.#decompress);
    const link = new SocketLink(ws, this.#host.limits.outboundBytes);
    link.connection = new LiveConnection(this.#host, identity, link);
    this.#sockets.set(ws, link);
    ws.on("message", this.#onMessage);
    ws.on("close", this.#onClose);
    ws.on("error", onError);
  }

  /**
   * Closes every WebSocket from the server side, each once its events in flight have replied
   * and its views are saved (clients reconnect and restore them). `code` defaults to 1012
   * "service restart".
   */
  async disconnectAll(code: number = CLOSE_SERVICE_RESTART): Promise<void> {
    const connections = [...this.#sockets.values()].map((link) => link.connection);
    this.#sockets.clear();
    await drainAll(connections, this.#host.shutdownConcurrency, code, "server restart");
  }

  /** Stops the sweeper and the `ws` server (after {@link disconnectAll}). */
  close(): void {
    clearInterval(this.#sweeper);
    this.#wss.close();
  }
}

function onError(this: WebSocket): void {
  this.terminate();
}
