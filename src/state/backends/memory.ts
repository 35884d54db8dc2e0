/**
 * In-process state backend: the default for a single node.
 * @module
 */
import { applyDeltas, DeltaError } from "../delta.js";
import { COMPRESS_FROM, compressText, decompressText } from "./compression.js";
import type { StateSnapshot } from "../tracker.js";
import type { StateBackend, StoredPatch, StoredView } from "./types.js";

/**
 * A field's last whole encoding as JSON text, or compressed ({@link compressText}) when
 * {@link COMPRESS_FROM} characters or longer: a record mostly sits idle beside its live view
 * (it is read on a reconnect), and the rows of a table compress about twenty times.
 */
type Stored = string | Buffer[];

/**
 * A stored record, as JSON text so that a later mutation of the live view can never leak into
 * its snapshot: the parts other than the state ({@link metaText}), and each state field
 * (`names[i]`) with its encoding (`texts[i]`) and the deltas written since (`deltas[i]`; the
 * list is made on the first delta). A record whose state encodes in fewer than
 * {@link COMPRESS_FROM} characters is packed: its state is in `meta` too, and `names` and
 * `texts` are empty (a counter view's record is a third smaller so); a patch unpacks it.
 * Records are linked in the order of their last writes or touches (`older`, `newer`).
 */
interface Entry {
  readonly key: string;
  meta: string;
  names: string[];
  texts: Stored[];
  deltas: (string[] | undefined)[] | undefined;
  expiresAt: number;
  older: Entry | undefined;
  newer: Entry | undefined;
}

function store(text: string): Stored {
  return text.length < COMPRESS_FROM ? text : compressText(text);
}

function load(stored: Stored): string {
  return typeof stored === "string" ? stored : decompressText(stored);
}

const NO_NAMES: string[] = [];
const NO_TEXTS: Stored[] = [];

/**
 * The stored text of `record` (with its state when it is packed), the parts most views leave
 * empty (version, private fields, topics, flash) left out.
 */
function metaText(record: Partial<StoredView>): string {
  const { v: _v, ...rest } = record;
  const text: Record<string, unknown> = rest;
  if (rest.privateFields?.length === 0) delete text.privateFields;
  if (rest.topics?.length === 0) delete text.topics;
  if (rest.flash && Object.keys(rest.flash).length === 0) delete text.flash;
  return JSON.stringify(text);
}

/**
 * The record (or parts) a {@link metaText} holds, its empty parts back: new ones for each read,
 * as a record read from any store is the reader's own.
 */
function fromMetaText(text: string): StoredView {
  const parts = JSON.parse(text) as Partial<StoredView>;
  return { v: 1, privateFields: [], topics: [], flash: {}, ...parts } as StoredView;
}

/** Options of {@link MemoryStateBackend}. */
export interface MemoryStateBackendOptions {
  /** Clock in milliseconds (tests inject a fake one). */
  readonly now?: () => number;
  /** Above this many records the oldest are dropped. Default 100,000. */
  readonly maxEntries?: number;
}

/**
 * Snapshots in a `Map`, linked in the order of their last writes (a touch counts as one):
 * expired lazily on read and by each write from the least recently written on, the least
 * recently written dropped when it is full. Records are kept as JSON text, one text per state
 * field (compressed when long) plus the deltas written since, so that an incremental write
 * ({@link MemoryStateBackend.patch}) costs what changed.
 */
export class MemoryStateBackend implements StateBackend {
  readonly #entries = new Map<string, Entry>();
  /** The least and the most recently written records. */
  #oldest: Entry | undefined;
  #newest: Entry | undefined;
  readonly #now: () => number;
  readonly #max: number;

  constructor(options: MemoryStateBackendOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#max = options.maxEntries ?? 100_000;
  }

  /** Number of records held (expired ones included until swept). */
  get size(): number {
    return this.#entries.size;
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt <= this.#now()) {
      this.#remove(entry);
      return undefined;
    }
    return entry;
  }

  async get(key: string): Promise<StoredView | null> {
    const entry = this.#live(key);
    if (!entry) return null;
    if (entry.names === NO_NAMES) return fromMetaText(entry.meta);
    const state: StateSnapshot = {};
    for (const [i, field] of entry.names.entries()) {
      const base = JSON.parse(load(entry.texts[i] as Stored)) as StateSnapshot[string];
      const deltas = entry.deltas?.[i];
      try {
        state[field] = deltas ? applyDeltas(base, deltas) : base;
      } catch (error) {
        // As a record another process wrote: one that cannot be read is not there.
        if (error instanceof DeltaError) return null;
        throw error;
      }
    }
    return { ...fromMetaText(entry.meta), state };
  }

  async set(key: string, value: StoredView, ttlSeconds: number): Promise<void> {
    const now = this.#now();
    const previous = this.#entries.get(key);
    if (previous) this.#remove(previous);
    this.#makeRoom(now);
    const { state, ...meta } = value;
    const names = Object.keys(state);
    const texts = names.map((field) => JSON.stringify(state[field]));
    let length = 0;
    for (const text of texts) length += text.length;
    const packed = length < COMPRESS_FROM;
    const entry: Entry = {
      key,
      meta: metaText(packed ? value : meta),
      names: packed ? NO_NAMES : names,
      texts: packed ? NO_TEXTS : texts.map(store),
      deltas: undefined,
      expiresAt: now + ttlSeconds * 1000,
      older: undefined,
      newer: undefined,
    };
    this.#entries.set(key, entry);
    this.#append(entry);
  }

  async patch(key: string, patch: StoredPatch, ttlSeconds: number): Promise<boolean> {
    const entry = this.#live(key);
    if (!entry) return false;
    const packed = entry.names === NO_NAMES ? fromMetaText(entry.meta) : undefined;
    for (const field of patch.deltas.keys()) {
      const stored = packed ? Object.hasOwn(packed.state, field) : entry.names.includes(field);
      // A delta without its field cannot be applied: the caller writes the record whole.
      if (!stored && !patch.fields.has(field)) return false;
    }
    if (packed) {
      // Unpacked, as the patch stores by field (its meta is the patch's, below).
      const { state } = packed;
      entry.names = Object.keys(state);
      entry.texts = entry.names.map((field) => JSON.stringify(state[field]));
    }
    const { state: _state, ...meta } = patch.record;
    entry.meta = metaText(meta);
    for (const field of patch.removed) {
      const i = entry.names.indexOf(field);
      if (i < 0) continue;
      entry.names.splice(i, 1);
      entry.texts.splice(i, 1);
      entry.deltas?.splice(i, 1);
    }
    for (const [field, text] of patch.fields) {
      let i = entry.names.indexOf(field);
      if (i < 0) i = entry.names.push(field) - 1;
      entry.texts[i] = store(text);
      if (entry.deltas) entry.deltas[i] = undefined;
    }
    for (const [field, text] of patch.deltas) {
      const deltas = (entry.deltas ??= []);
      (deltas[entry.names.indexOf(field)] ??= []).push(text);
    }
    entry.expiresAt = this.#now() + ttlSeconds * 1000;
    // Now the most recently written.
    this.#unlink(entry);
    this.#append(entry);
    return true;
  }

  async touch(key: string, ttlSeconds: number): Promise<boolean> {
    const entry = this.#live(key);
    if (!entry) return false;
    entry.expiresAt = this.#now() + ttlSeconds * 1000;
    // Now the most recently written: expiry and eviction go by the order of the links.
    this.#unlink(entry);
    this.#append(entry);
    return true;
  }

  async delete(key: string): Promise<void> {
    const entry = this.#entries.get(key);
    if (entry) this.#remove(entry);
  }

  /**
   * Makes room for one record: drops the expired records from the least recently written on,
   * then the least recently written until there is room. One TTL for all, so the least
   * recently written expire first: this stops at the first record it keeps. The order is the
   * records' own links, not the map's: V8 keeps a deleted entry's slot in a `Map` until the
   * map is rebuilt, and every iteration starts at the first slot, so finding the first record
   * of a full map that drops one per write walked the slots of all those dropped before
   * (20-80 µs a write at the default 100,000 records, against 4 µs now).
   */
  #makeRoom(now: number): void {
    for (let entry = this.#oldest; entry; entry = this.#oldest) {
      if (entry.expiresAt > now && this.#entries.size < this.#max) break;
      this.#remove(entry);
    }
  }

  #remove(entry: Entry): void {
    this.#entries.delete(entry.key);
    this.#unlink(entry);
  }

  #append(entry: Entry): void {
    entry.older = this.#newest;
    entry.newer = undefined;
    if (this.#newest) this.#newest.newer = entry;
    else this.#oldest = entry;
    this.#newest = entry;
  }

  #unlink(entry: Entry): void {
    if (entry.older) entry.older.newer = entry.newer;
    else this.#oldest = entry.newer;
    if (entry.newer) entry.newer.older = entry.older;
    else this.#newest = entry.older;
    entry.older = entry.newer = undefined;
  }
}
