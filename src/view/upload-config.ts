/**
 * One allowed upload of a view (`this.allowUpload(name, options)`, Phoenix's `upload_config`):
 * its options, its entries as the browser described them, their errors, and which entries may
 * send bytes. Transport-free: the live layer attaches a {@link EntryStorage} (a temp file) when
 * an entry's upload channel joins, and reads and writes the entries in the view's step queue.
 *
 * Templates read `uploads.<name>` (its {@link UploadConfig.entries}, {@link UploadConfig.errors},
 * …); handlers call `consumeUploadedEntries`, `cancelUpload` and `uploadedEntries`.
 * @module
 */
import { randomBytes, randomUUID } from "node:crypto";
import { extname } from "node:path";
import { FORBIDDEN_KEYS } from "./validate.js";

/** Why an entry (or the whole upload) is refused (Phoenix's upload error atoms). */
export type UploadErrorKind =
  | "too_large"
  | "too_many_files"
  | "not_accepted"
  | "external_client_failure"
  | "writer_error"
  | "websocket_required";

/** Presigned-upload metadata an `external` function returns; `uploader` names the client uploader. */
export interface ExternalUploadMeta {
  /** The name of the client-side uploader (`window.djustUploaders[uploader]`), e.g. `"S3"`. */
  readonly uploader: string;
  readonly [key: string]: unknown;
}

/** Where a channel upload's bytes were written, as `consumeUploadedEntries` hands it over. */
export interface UploadedFile {
  /** Absolute path of the temp file; it is deleted after the consume callback returns. */
  readonly path: string;
}

/** Options of `allowUpload`. */
export interface AllowUploadOptions {
  /**
   * Accepted files: extensions (`".jpg"`), MIME types (`"image/png"`) and the wildcards
   * `"image/*"`, `"audio/*"`, `"video/*"`; or `"any"`. Required, as in Phoenix.
   */
  readonly accept: readonly string[] | "any";
  /** Files at once. @default 1 */
  readonly maxEntries?: number;
  /** Largest file in bytes, checked against the bytes actually received. @default 8_000_000 */
  readonly maxFileSize?: number;
  /**
   * Bytes per WebSocket chunk (lowered to what `limits.frameBytes` lets through).
   * @default 64_000
   */
  readonly chunkSize?: number;
  /** A silent upload channel is closed after this many ms. @default 10_000 */
  readonly chunkTimeout?: number;
  /** Start uploading as soon as files are chosen, not on submit. @default false */
  readonly autoUpload?: boolean;
  /**
   * Sign an upload that goes straight from the browser to storage (an S3 presigned POST, say)
   * instead of over the WebSocket: called once per entry at preflight with the entry and the
   * view; its result reaches the client's uploader named by `uploader`. Throwing refuses the
   * entry. @default undefined (uploads go over the WebSocket to a temp file)
   */
  readonly external?: (
    entry: UploadEntry,
    view: object,
  ) => ExternalUploadMeta | Promise<ExternalUploadMeta>;
}

/** One file of an upload, as templates and handlers see it. */
export interface UploadEntry {
  /** The client's reference of the file (unique within the upload). */
  readonly ref: string;
  /** The `ref` of the upload it belongs to. */
  readonly uploadRef: string;
  /** The upload's name. */
  readonly uploadName: string;
  /** A server-made id, handy as a storage key. */
  readonly uuid: string;
  /** File name as the browser gave it (never a path on the server). */
  readonly name: string;
  /** Size the browser announced; the server never accepts more bytes than this. */
  readonly size: number;
  /** MIME type the browser announced. */
  readonly type: string;
  readonly lastModified: number | null;
  /** Percent uploaded (0–100); 100 only once every byte arrived. */
  progress: number;
  /** All bytes arrived (channel uploads) or the client reported so (external). */
  done: boolean;
  /** Passed the upload's checks (size, accept, count). */
  valid: boolean;
  /** A token (or presigned metadata) was sent for it. */
  preflighted: boolean;
  /** This entry's errors (kinds). */
  errors: UploadErrorKind[];
  /** Presigned metadata of an external upload (`undefined` for channel uploads). */
  meta?: ExternalUploadMeta;
}

/** The bytes of one channel upload, provided by the transport (a temp file). */
export interface EntryStorage {
  readonly path: string;
  /** Deletes what was written; safe to call more than once. */
  discard(): Promise<void>;
}

/** Phoenix's defaults. */
const DEFAULT_MAX_FILE_SIZE = 8_000_000;
const DEFAULT_CHUNK_SIZE = 64_000;
const DEFAULT_CHUNK_TIMEOUT = 10_000;

/**
 * Entries one upload may hold beyond `maxEntries` (shown with a `too_many_files` error so the
 * user can remove some). A message listing more is refused whole: an attacker's thousand entries
 * never reach memory.
 */
export const MAX_EXTRA_ENTRIES = 16;
/** Longest file name, type and ref the server keeps. */
const MAX_NAME = 255;
const MAX_REF = 64;

const WILDCARDS = new Set(["image/*", "audio/*", "video/*"]);
// A small table of the extensions Phoenix's MIME library maps that apps most often accept; an
// extension outside it is still accepted by name, only not through its type.
const EXT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".png": "image/png",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".svg": "image/svg+xml",
  ".avif": "image/avif",
  ".pdf": "application/pdf",
  ".txt": "text/plain",
  ".csv": "text/csv",
  ".json": "application/json",
  ".zip": "application/zip",
  ".mp3": "audio/mpeg",
  ".mp4": "video/mp4",
  ".webm": "video/webm",
});

/** Why a preflight or a chunk was refused for the whole upload or one entry. */
export type EntryRegistration =
  | { readonly ok: true; readonly entry: UploadEntry; readonly maxBytes: number }
  | { readonly ok: false; readonly reason: "already_registered" | "disallowed" };

interface Slot {
  readonly entry: UploadEntry;
  /** `unregistered` until its upload channel joins; `invalid`/`failed` never may. */
  state: "unregistered" | "registered" | "invalid" | "failed";
  storage?: EntryStorage;
  /** Closes the upload channel carrying the entry's bytes, once the entry is gone. */
  release?: () => void;
  /** Bytes received so far (channel uploads). */
  received: number;
  /** Every byte is on disk and the file closed. */
  written: boolean;
}

/** An entry as the client describes it (`allow_upload`, or `uploads` of a form event). */
export interface ClientEntry {
  readonly ref: string;
  readonly name: string;
  readonly size: number;
  readonly type: string;
  readonly lastModified: number | null;
}

/** Reads one client entry; `null` when it is malformed. */
export function readClientEntry(value: unknown): ClientEntry | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const { ref, name, size, type, last_modified } = value as Record<string, unknown>;
  if (typeof ref !== "string" || ref.length === 0 || ref.length > MAX_REF) return null;
  // A ref becomes a key of the reply's entries/errors objects: never a prototype key.
  if (FORBIDDEN_KEYS.has(ref)) return null;
  if (typeof name !== "string" || typeof type !== "string") return null;
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) return null;
  return {
    ref,
    // Only the last path segment, and bounded: a name is shown, never used as a path.
    name: name.split(/[\\/]/).pop()!.slice(0, MAX_NAME),
    size,
    type: type.slice(0, MAX_NAME).toLowerCase(),
    lastModified: typeof last_modified === "number" ? last_modified : null,
  };
}

/**
 * One allowed upload. Public fields are what templates read (`uploads.avatar.entries`,
 * `uploads.avatar.errors`, `uploads.avatar.ref`, …).
 */
export class UploadConfig {
  readonly name: string;
  /** Random id; the file input's `id` and `data-phx-upload-ref`. */
  ref: string;
  /** The `accept` attribute (`""` for any). */
  readonly accept: string;
  readonly maxEntries: number;
  readonly maxFileSize: number;
  readonly chunkSize: number;
  readonly chunkTimeout: number;
  readonly autoUpload: boolean;
  /** Whether uploads go straight to storage (`external`). */
  readonly isExternal: boolean;
  /** The entries the browser listed, in order. */
  entries: UploadEntry[] = [];
  /** Errors of the whole upload (`too_many_files`). */
  errors: UploadErrorKind[] = [];
  readonly #external: AllowUploadOptions["external"];
  readonly #types: ReadonlySet<string>;
  readonly #exts: ReadonlySet<string>;
  readonly #any: boolean;
  readonly #slots = new Map<string, Slot>();

  /** @throws TypeError for options Phoenix would refuse (no `accept`, a non-positive size). */
  constructor(name: string, options: AllowUploadOptions) {
    if (typeof name !== "string" || name.length === 0) {
      throw new TypeError("allowUpload: the name must be a non-empty string");
    }
    this.name = name;
    this.ref = `phx-${randomBytes(9).toString("base64url")}`;
    const accept = options?.accept;
    if (accept === "any") {
      this.#any = true;
      this.#types = new Set();
      this.#exts = new Set();
      this.accept = "";
    } else if (Array.isArray(accept) && accept.length > 0) {
      const types = new Set<string>();
      const exts = new Set<string>();
      for (const item of accept as readonly unknown[]) {
        if (typeof item !== "string") throw new TypeError("allowUpload: accept holds strings");
        const spec = item.toLowerCase();
        if (spec.startsWith(".") && spec.length > 1) {
          exts.add(spec);
          const type = EXT_TYPES[spec];
          if (type) types.add(type);
        } else if (WILDCARDS.has(spec) || /^[a-z]+\/[a-z0-9.+-]+$/.test(spec)) {
          types.add(spec);
        } else {
          throw new TypeError(
            `allowUpload: invalid accept entry ${JSON.stringify(item)} (an extension like ".jpg", a MIME type like "image/png", or "image/*")`,
          );
        }
      }
      this.#any = false;
      this.#types = types;
      this.#exts = exts;
      this.accept = (accept as readonly string[]).join(",");
    } else {
      throw new TypeError('allowUpload: `accept` is required (a list of types, or "any")');
    }
    this.maxEntries = positive(options.maxEntries, 1, "maxEntries");
    this.maxFileSize = positive(options.maxFileSize, DEFAULT_MAX_FILE_SIZE, "maxFileSize");
    this.chunkSize = positive(options.chunkSize, DEFAULT_CHUNK_SIZE, "chunkSize");
    this.chunkTimeout = positive(options.chunkTimeout, DEFAULT_CHUNK_TIMEOUT, "chunkTimeout");
    this.autoUpload = options.autoUpload === true;
    if (options.external !== undefined && typeof options.external !== "function") {
      throw new TypeError("allowUpload: `external` must be a function");
    }
    this.#external = options.external;
    this.isExternal = options.external !== undefined;
  }

  /** The entry with client ref `ref`. */
  entry(ref: string): UploadEntry | undefined {
    return this.#slots.get(ref)?.entry;
  }

  /**
   * Adds the entries the browser lists (known refs are kept as they are). Invalid entries are
   * kept with their errors, so the page can show them. `false` when the message was refused
   * whole (more than `maxEntries` + {@link MAX_EXTRA_ENTRIES} entries).
   */
  putEntries(listed: readonly ClientEntry[]): boolean {
    const fresh = listed.filter((client) => !this.#slots.has(client.ref));
    if (this.entries.length + fresh.length > this.maxEntries + MAX_EXTRA_ENTRIES) {
      this.#putConfigError("too_many_files");
      return false;
    }
    // One file at a time: choosing another replaces the previous one (Phoenix).
    if (this.maxEntries === 1 && listed.length === 1 && fresh.length === 1) {
      for (const entry of [...this.entries]) void this.#drop(entry.ref);
    }
    for (const client of fresh) {
      const entry: UploadEntry = {
        ref: client.ref,
        uploadRef: this.ref,
        uploadName: this.name,
        uuid: randomUUID(),
        name: client.name,
        size: client.size,
        type: client.type,
        lastModified: client.lastModified,
        progress: 0,
        done: false,
        valid: true,
        preflighted: false,
        errors: [],
      };
      const problem =
        client.size > this.maxFileSize
          ? "too_large"
          : !this.#accepted(client)
            ? "not_accepted"
            : undefined;
      if (problem) {
        entry.valid = false;
        entry.errors.push(problem);
      }
      this.entries.push(entry);
      this.#slots.set(entry.ref, {
        entry,
        state: problem ? "invalid" : "unregistered",
        received: 0,
        written: false,
      });
    }
    this.#recount();
    return true;
  }

  #accepted(client: ClientEntry): boolean {
    if (this.#any) return true;
    const type = client.type;
    const slash = type.indexOf("/");
    if (slash > 0 && this.#types.has(`${type.slice(0, slash)}/*`)) return true;
    if (this.#types.has(type)) return true;
    return this.#exts.has(extname(client.name).toLowerCase());
  }

  /** Whether the upload as a whole has more entries than `maxEntries`. */
  get tooMany(): boolean {
    return this.entries.length > this.maxEntries;
  }

  #recount(): void {
    const has = this.errors.includes("too_many_files");
    if (this.tooMany && !has) this.errors = [...this.errors, "too_many_files"];
    else if (!this.tooMany && has) this.errors = this.errors.filter((e) => e !== "too_many_files");
  }

  #putConfigError(kind: UploadErrorKind): void {
    if (!this.errors.includes(kind)) this.errors = [...this.errors, kind];
  }

  /**
   * Marks the listed valid entries (up to `maxEntries`) as preflighted and returns them, in
   * order. Nothing is preflighted while the upload has too many entries, unless it uploads
   * automatically (then the first `maxEntries` go).
   */
  preflight(refs: readonly string[]): UploadEntry[] {
    if (this.tooMany && !this.autoUpload) return [];
    const wanted = new Set(refs);
    const out: UploadEntry[] = [];
    this.entries.forEach((entry, index) => {
      if (!wanted.has(entry.ref) || index >= this.maxEntries) return;
      if (!entry.valid || entry.preflighted) return;
      entry.preflighted = true;
      out.push(entry);
    });
    return out;
  }

  /** Runs the `external` signer for `entry` (preflight of an external upload). */
  async sign(entry: UploadEntry, view: object): Promise<ExternalUploadMeta> {
    const external = this.#external;
    if (!external) throw new TypeError(`upload "${this.name}" is not external`);
    const meta = await external(entry, view);
    if (typeof meta !== "object" || meta === null || typeof meta.uploader !== "string") {
      throw new TypeError(`external upload "${this.name}": the metadata needs an \`uploader\``);
    }
    entry.meta = meta;
    return meta;
  }

  /**
   * An upload channel asks to carry `ref`'s bytes: allowed once per preflighted, valid entry.
   * `maxBytes` is what the browser announced (never more than `maxFileSize`). `release` is
   * called when the entry goes (consumed, cancelled, replaced, its view closed): the channel
   * closes, so the client stops sending.
   */
  register(ref: string, storage: EntryStorage, release: () => void): EntryRegistration {
    const slot = this.#slots.get(ref);
    if (!slot || !slot.entry.preflighted || this.isExternal) {
      return { ok: false, reason: "disallowed" };
    }
    if (slot.state === "registered") return { ok: false, reason: "already_registered" };
    if (slot.state !== "unregistered") return { ok: false, reason: "disallowed" };
    slot.state = "registered";
    slot.storage = storage;
    slot.release = release;
    return { ok: true, entry: slot.entry, maxBytes: slot.entry.size };
  }

  /**
   * Counts `bytes` received for `ref`; `false` (and nothing counted) when they would pass the
   * announced size.
   */
  received(ref: string, bytes: number): boolean {
    const slot = this.#slots.get(ref);
    if (!slot || slot.state !== "registered") return false;
    if (slot.received + bytes > slot.entry.size) return false;
    slot.received += bytes;
    return true;
  }

  /** Whether every announced byte of `ref` arrived (the file may still be being written). */
  allReceived(ref: string): boolean {
    const slot = this.#slots.get(ref);
    return slot !== undefined && slot.state === "registered" && slot.received === slot.entry.size;
  }

  /** The transport wrote and closed `ref`'s file: it may now be reported done and consumed. */
  markWritten(ref: string): void {
    const slot = this.#slots.get(ref);
    if (slot && this.allReceived(ref)) slot.written = true;
  }

  /** Whether `ref`'s file is complete on disk. */
  complete(ref: string): boolean {
    return this.#slots.get(ref)?.written === true;
  }

  /**
   * Applies a client progress report: a percentage, capped by the bytes actually received for
   * channel uploads (so `done` means every byte is on disk); trusted for external uploads once
   * signed.
   * Returns whether anything changed.
   */
  progress(ref: string, percent: number): boolean {
    const slot = this.#slots.get(ref);
    if (!slot || slot.state === "invalid" || slot.state === "failed") return false;
    const entry = slot.entry;
    // An external entry may only report what the storage it was signed for received: one never
    // signed (no preflight) has nowhere it could have gone.
    if (this.isExternal && entry.meta === undefined) return false;
    let value = Math.max(0, Math.min(100, Math.floor(percent)));
    if (!this.isExternal) {
      const truth = entry.size === 0 ? 0 : Math.floor((slot.received / entry.size) * 100);
      value = this.complete(ref) ? value : Math.min(value, truth, 99);
    }
    if (value <= entry.progress) return false;
    entry.progress = value;
    if (value === 100) entry.done = true;
    return true;
  }

  /** Records an entry's failure (`too_large` while streaming, a client or writer failure). */
  fail(ref: string, kind: UploadErrorKind): void {
    const slot = this.#slots.get(ref);
    if (!slot) return;
    slot.state = "failed";
    slot.entry.valid = false;
    if (!slot.entry.errors.includes(kind)) slot.entry.errors.push(kind);
    void slot.storage?.discard();
  }

  /** Removes `ref` (cancel), deleting what was written. */
  cancel(ref: string): Promise<void> {
    return this.#drop(ref);
  }

  async #drop(ref: string): Promise<void> {
    const slot = this.#slots.get(ref);
    if (!slot) return;
    this.#slots.delete(ref);
    this.entries = this.entries.filter((entry) => entry.ref !== ref);
    this.#recount();
    slot.release?.();
    await slot.storage?.discard();
  }

  /**
   * Completed entries (done and valid) and the others. An entry that failed after it was done
   * (a byte past its size, a client's error report) is not completed: its file is gone.
   */
  uploaded(): { completed: UploadEntry[]; inProgress: UploadEntry[] } {
    const completed: UploadEntry[] = [];
    const inProgress: UploadEntry[] = [];
    for (const entry of this.entries) {
      (entry.done && entry.valid ? completed : inProgress).push(entry);
    }
    return { completed, inProgress };
  }

  /**
   * Hands each completed entry to `fn` (its temp file, or its presigned metadata), then drops it
   * and deletes the file, whatever `fn` did.
   * @throws Error when entries are still uploading (Phoenix raises too).
   */
  async consume<T>(
    fn: (file: UploadedFile & { meta?: ExternalUploadMeta }, entry: UploadEntry) => T | Promise<T>,
  ): Promise<T[]> {
    const { completed, inProgress } = this.uploaded();
    if (inProgress.some((entry) => entry.valid)) {
      throw new Error(`cannot consume upload "${this.name}" while entries are still uploading`);
    }
    const results: T[] = [];
    for (const entry of completed) {
      const slot = this.#slots.get(entry.ref);
      const path = slot?.storage?.path ?? "";
      try {
        results.push(await fn(entry.meta ? { path, meta: entry.meta } : { path }, entry));
      } finally {
        await this.#drop(entry.ref);
      }
    }
    return results;
  }

  /** Deletes every temp file and forgets every entry (the view closed). */
  async discardAll(): Promise<void> {
    const slots = [...this.#slots.values()];
    this.#slots.clear();
    this.entries = [];
    this.errors = [];
    for (const slot of slots) slot.release?.();
    await Promise.all(slots.map((slot) => slot.storage?.discard()));
  }
}

/**
 * The errors of an upload (`uploadErrors(upload)`, the upload-wide ones such as
 * `too_many_files`) or of one of its entries (`uploadErrors(upload, entry)`).
 */
export function uploadErrors(upload: UploadConfig, entry?: UploadEntry): UploadErrorKind[] {
  if (!entry) return [...upload.errors];
  return [...(upload.entry(entry.ref)?.errors ?? [])];
}

/** The uploads a view allowed, by name and by ref. */
export class ViewUploads {
  /** Name → config; what templates read as `uploads`. */
  readonly byName: Record<string, UploadConfig> = Object.create(null) as Record<
    string,
    UploadConfig
  >;
  /** Set by every change; the render step re-renders what reads `uploads` and clears it. */
  changed = false;

  allow(name: string, options: AllowUploadOptions): UploadConfig {
    const existing = this.byName[name];
    if (existing && existing.entries.length > 0) {
      throw new Error(
        `allowUpload("${name}"): the upload has entries; consume or cancel them first`,
      );
    }
    const config = new UploadConfig(name, options);
    this.byName[name] = config;
    this.changed = true;
    return config;
  }

  /**
   * Adds the entries a form event lists (`uploads: { <config ref>: [entries] }`); unknown refs
   * and malformed entries are ignored, as Phoenix ignores stale inputs.
   */
  putListed(listed: unknown): void {
    if (typeof listed !== "object" || listed === null || Array.isArray(listed)) return;
    for (const [ref, entries] of Object.entries(listed as Record<string, unknown>)) {
      const config = this.byRef(ref);
      if (!config || !Array.isArray(entries)) continue;
      const read = entries.map(readClientEntry).filter((e): e is ClientEntry => e !== null);
      config.putEntries(read);
      this.changed = true;
    }
  }

  /** The config whose ref is `ref`. */
  byRef(ref: unknown): UploadConfig | undefined {
    if (typeof ref !== "string") return undefined;
    for (const config of Object.values(this.byName)) if (config.ref === ref) return config;
    return undefined;
  }

  /** The config named `name`. @throws Error when the view never allowed it. */
  get(name: string): UploadConfig {
    const config = this.byName[name];
    if (!config)
      throw new Error(`no upload named "${name}" was allowed (call allowUpload in mount)`);
    return config;
  }

  /** Name → ref, recorded in snapshots so a restored view keeps its inputs' ids. */
  refs(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, config] of Object.entries(this.byName)) out[name] = config.ref;
    return out;
  }

  /** Gives the configs the refs a snapshot recorded (after mount re-created them). */
  adoptRefs(refs: Readonly<Record<string, string>>): void {
    for (const [name, ref] of Object.entries(refs)) {
      const config = this.byName[name];
      if (config && typeof ref === "string") config.ref = ref;
    }
  }

  /** Deletes every temp file of every upload. */
  async discardAll(): Promise<void> {
    await Promise.all(Object.values(this.byName).map((config) => config.discardAll()));
  }
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`allowUpload: \`${name}\` must be a positive integer`);
  }
  return value;
}
