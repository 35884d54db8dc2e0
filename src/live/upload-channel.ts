/**
 * Upload channels (Phoenix's `upload_channel`): after a preflight (`allow_upload`) the client
 * joins `lvu:<entry ref>` with the entry's signed token and sends the file as binary `chunk`
 * pushes, each acknowledged before the next. Bytes go to a temp file and are counted as they
 * arrive: one byte past the size the preflight accepted fails the entry (`too_large`) and closes
 * the channel, the connection stays. The token is bound to its view and entry, and an entry
 * registers once: a forged, reused or foreign token is refused.
 * @module
 */
import { errorText } from "../logger.js";
import type { UploadConfig } from "../view/upload-config.js";
import { pushFrame, replyFrame, type BinaryFrame, type Frame } from "./frame.js";
import type { Logger } from "../logger.js";
import type { LiveInstance } from "./instance.js";
import { isRecord } from "./params.js";
import { CHANNEL_EVENTS, UPLOAD_CHUNK_EVENT, UPLOAD_TOPIC_PREFIX } from "./protocol.js";
import type { TokenSigner } from "./token.js";
import { TempFileWriter } from "./upload-writer.js";

/** What an upload token says: the view, the upload and the entry it may carry bytes for. */
export interface UploadClaims {
  readonly view: string;
  readonly upload: string;
  readonly entry: string;
}

/** Signs the token of one preflighted entry. */
export function signUploadToken(signer: TokenSigner, claims: UploadClaims): string {
  return signer.sign({ v: claims.view, u: claims.upload, e: claims.entry });
}

/** The claims of a genuine upload token, else `null`. */
export function verifyUploadToken(
  signer: TokenSigner,
  token: unknown,
  maxAgeMs: number,
): UploadClaims | null {
  const payload = signer.verify(token, maxAgeMs);
  if (!payload) return null;
  const { v, u, e } = payload;
  if (typeof v !== "string" || typeof u !== "string" || typeof e !== "string") return null;
  return { view: v, upload: u, entry: e };
}

/**
 * Bytes of one frame's header at most (kind, four lengths, four fields of up to 255 bytes): the
 * chunk size a preflight announces leaves room for it within `limits.frameBytes`.
 */
export const BINARY_HEADER_MAX = 5 + 4 * 255;

/** The chunk size to announce for `config` under a frame limit of `frameBytes`. */
export function chunkSizeFor(config: UploadConfig, frameBytes: number): number {
  return Math.max(1, Math.min(config.chunkSize, frameBytes - BINARY_HEADER_MAX));
}

interface OpenUpload {
  readonly topic: string;
  readonly joinRef: string | null;
  readonly instance: LiveInstance;
  readonly config: UploadConfig;
  readonly entry: string;
  readonly writer: TempFileWriter;
  /** A chunk is being written: a client must wait for its reply before sending the next. */
  busy: boolean;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * What uploads need of the app (a `LiveHost` is one; the test client makes its own): the
 * token signer and its max age, the frame limit the chunk size must fit, the logger.
 */
export interface UploadHost {
  readonly uploadTokens: TokenSigner;
  readonly tokenMaxAgeMs: number;
  readonly limits: { readonly frameBytes: number };
  readonly env: { readonly logger: Logger };
}

/** How the upload channels of one connection reach the rest of it. */
export interface UploadChannelHost {
  readonly host: UploadHost;
  send(frame: Frame): void;
  /** The view joined on this connection with id `id`. */
  findView(id: string): LiveInstance | undefined;
}

/** The upload channels open on one connection. */
export class UploadChannels {
  readonly #owner: UploadChannelHost;
  readonly #open = new Map<string, OpenUpload>();

  constructor(owner: UploadChannelHost) {
    this.#owner = owner;
  }

  /** Whether `topic` is an upload channel's. */
  static isUploadTopic(topic: string): boolean {
    return topic.startsWith(UPLOAD_TOPIC_PREFIX);
  }

  /** Open upload channels. */
  get size(): number {
    return this.#open.size;
  }

  /**
   * Joins `lvu:<ref>` with `{ token }`: the token must be genuine, name this entry and a view
   * joined on this connection, and the entry must not have registered before. Replies `ok` or
   * `error` with `reason` `invalid_token`, `disallowed`, `already_registered` or `writer_error`.
   */
  async join(frame: Frame): Promise<void> {
    const owner = this.#owner;
    const refuse = (reason: string) => owner.send(replyFrame(frame, "error", { reason }));
    const token = isRecord(frame.payload) ? frame.payload.token : undefined;
    const claims = verifyUploadToken(owner.host.uploadTokens, token, owner.host.tokenMaxAgeMs);
    const entryRef = frame.topic.slice(UPLOAD_TOPIC_PREFIX.length);
    if (!claims || claims.entry !== entryRef) return refuse("invalid_token");
    const instance = owner.findView(claims.view);
    const config = instance?.uploadByRef(claims.upload);
    if (!instance || !config) return refuse("disallowed");
    if (this.#open.has(frame.topic)) return refuse("already_registered");
    let writer: TempFileWriter;
    try {
      writer = await TempFileWriter.create();
    } catch (error) {
      owner.host.env.logger.error("upload: cannot create a temp file", { error: errorText(error) });
      return refuse("writer_error");
    }
    const open: OpenUpload = {
      topic: frame.topic,
      joinRef: frame.joinRef,
      instance,
      config,
      entry: entryRef,
      writer,
      busy: false,
    };
    const registered = config.register(entryRef, writer, () => this.#close(open));
    if (!registered.ok) {
      await writer.discard();
      return refuse(registered.reason);
    }
    this.#open.set(frame.topic, open);
    this.#arm(open);
    owner.send(replyFrame(frame, "ok", {}));
    if (registered.maxBytes === 0) {
      // A zero-byte file is complete as soon as it registers, and no progress report can say so
      // (a client's percentage of an empty file is 0/0): the server marks it done itself.
      await this.#finish(open);
      await instance.uploadCompleted(config, entryRef);
    }
  }

  /**
   * One binary frame. A `chunk` on a joined upload channel is written and acknowledged; past
   * the entry's size it fails the entry (`file_size_limit_exceeded`, the channel closes).
   */
  async binary(frame: BinaryFrame): Promise<void> {
    const owner = this.#owner;
    const open = this.#open.get(frame.topic);
    if (!open || (frame.joinRef !== null && frame.joinRef !== open.joinRef)) {
      owner.send(
        replyFrame(frame, "error", {
          reason: UploadChannels.isUploadTopic(frame.topic)
            ? "unmatched topic"
            : "binary frames are accepted on upload channels only",
        }),
      );
      return;
    }
    if (frame.event !== UPLOAD_CHUNK_EVENT) {
      owner.send(replyFrame(frame, "error", { reason: `unknown upload event "${frame.event}"` }));
      return;
    }
    if (open.busy) {
      owner.send(
        replyFrame(frame, "error", { reason: "chunk sent before the last was acknowledged" }),
      );
      return;
    }
    const chunk = frame.payload;
    if (chunk.byteLength === 0) {
      // Nothing to write or count: the bundled client sends one empty chunk for an empty file,
      // which the join already completed (its file closed, its timer stopped).
      owner.send(replyFrame(frame, "ok", {}));
      return;
    }
    if (!open.config.received(open.entry, chunk.byteLength)) {
      owner.send(
        replyFrame(frame, "error", {
          reason: "file_size_limit_exceeded",
          limit: open.config.entry(open.entry)?.size ?? 0,
        }),
      );
      await this.#fail(open, "too_large");
      return;
    }
    this.#arm(open);
    open.busy = true;
    try {
      await open.writer.write(chunk);
    } catch (error) {
      owner.host.env.logger.error("upload: writing a chunk failed", { error: errorText(error) });
      owner.send(replyFrame(frame, "error", { reason: "writer_error" }));
      await this.#fail(open, "writer_error");
      return;
    } finally {
      open.busy = false;
    }
    if (open.config.allReceived(open.entry)) await this.#finish(open);
    owner.send(replyFrame(frame, "ok", {}));
  }

  /** The client left an upload channel (done, or cancelled). */
  leave(frame: Frame): void {
    const open = this.#open.get(frame.topic);
    this.#owner.send(replyFrame(frame, "ok", {}));
    if (!open) return;
    this.#forget(open);
    // A channel left before every byte arrived leaves a partial file nobody will consume.
    if (!open.config.complete(open.entry)) void open.writer.discard();
  }

  /** Every byte arrived: the file is closed and kept for the consumer. */
  async #finish(open: OpenUpload): Promise<void> {
    clearTimeout(open.timer);
    open.timer = undefined;
    await open.writer.close();
    open.config.markWritten(open.entry);
  }

  /** The entry failed: its file goes, the channel closes, the view shows the error. */
  async #fail(open: OpenUpload, kind: "too_large" | "writer_error"): Promise<void> {
    this.#close(open);
    await open.instance.uploadFailed(open.config, open.entry, kind);
  }

  /**
   * Closes `open` on the server's side (`phx_close`: the client's channel closes and its
   * uploader stops, without an error); a chunk still on its way is answered as on any unknown
   * topic. Nothing when the channel already went.
   */
  #close(open: OpenUpload): void {
    if (this.#open.get(open.topic) !== open) return;
    this.#forget(open);
    this.#owner.send(pushFrame(open.joinRef, open.topic, CHANNEL_EVENTS.close, {}));
  }

  #forget(open: OpenUpload): void {
    clearTimeout(open.timer);
    this.#open.delete(open.topic);
  }

  /** (Re)starts the chunk timeout: a channel silent for `chunkTimeout` ms is cancelled. */
  #arm(open: OpenUpload): void {
    clearTimeout(open.timer);
    open.timer = setTimeout(() => {
      if (this.#open.get(open.topic) !== open) return;
      this.#close(open);
      void open.instance.uploadCancelled(open.config, open.entry);
    }, open.config.chunkTimeout);
    open.timer.unref();
  }

  /** Closes the channels of `instance` (it left); its view deletes the files. */
  closeFor(instance: LiveInstance): void {
    for (const open of [...this.#open.values()]) {
      if (open.instance === instance) this.#forget(open);
    }
  }

  /** Closes every channel (the connection closed); the views delete the files. */
  closeAll(): void {
    for (const open of [...this.#open.values()]) this.#forget(open);
  }
}
