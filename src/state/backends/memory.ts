/**
 * In-process state backend: the default for a single node.
 * @module
 */
import { applyDeltas, DeltaError } from "../delta.js";
import type { StateSnapshot } from "../tracker.js";
import type { StateBackend, StoredPatch, StoredView } from "./types.js";

/**
 * A stored record as JSON text, so that a later mutation of the live view can never leak into
 * its snapshot: the parts other than the state, and each state field with its deltas.
 */
interface Entry {
  meta: string;
  fields: Map<string, { text: string; deltas?: string[] }>;
  expiresAt: number;
}

/** Options of {@link MemoryStateBackend}. */
export interface MemoryStateBackendOptions {
  /** Clock in milliseconds (tests inject a fake one). */
  readonly now?: () => number;
  /** Above this many records the oldest are dropped. Default 100,000. */
  readonly maxEntries?: number;
}

/**
 * Snapshots in a `Map`, expired lazily on read and swept when the map is full. Records are kept
 * as JSON text, one text per state field plus the deltas written since, so that an incremental
 * write ({@link MemoryStateBackend.patch}) costs what changed.
 */
export class MemoryStateBackend implements StateBackend {
  readonly #entries = new Map<string, Entry>();
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
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  async get(key: string): Promise<StoredView | null> {
    const entry = this.#live(key);
    if (!entry) return null;
    const state: StateSnapshot = {};
    for (const [field, { text, deltas }] of entry.fields) {
      const base = JSON.parse(text) as StateSnapshot[string];
      try {
        state[field] = deltas ? applyDeltas(base, deltas) : base;
      } catch (error) {
        // As a record another process wrote: one that cannot be read is not there.
        if (error instanceof DeltaError) return null;
        throw error;
      }
    }
    return { ...(JSON.parse(entry.meta) as StoredView), state };
  }

  async set(key: string, value: StoredView, ttlSeconds: number): Promise<void> {
    const now = this.#now();
    this.#entries.delete(key);
    if (this.#entries.size >= this.#max) this.#sweep(now);
    const { state, ...meta } = value;
    const fields = new Map<string, { text: string }>();
    for (const field of Object.keys(state)) {
      fields.set(field, { text: JSON.stringify(state[field]) });
    }
    this.#entries.set(key, {
      meta: JSON.stringify(meta),
      fields,
      expiresAt: now + ttlSeconds * 1000,
    });
  }

  async patch(key: string, patch: StoredPatch, ttlSeconds: number): Promise<boolean> {
    const entry = this.#live(key);
    if (!entry) return false;
    for (const field of patch.deltas.keys()) {
      // A delta without its field cannot be applied: the caller writes the record whole.
      if (!entry.fields.has(field) && !patch.fields.has(field)) return false;
    }
    const { state: _state, ...meta } = patch.record;
    entry.meta = JSON.stringify(meta);
    for (const field of patch.removed) entry.fields.delete(field);
    for (const [field, text] of patch.fields) entry.fields.set(field, { text });
    for (const [field, text] of patch.deltas) {
      const stored = entry.fields.get(field) as { deltas?: string[] };
      (stored.deltas ??= []).push(text);
    }
    entry.expiresAt = this.#now() + ttlSeconds * 1000;
    return true;
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  // Drops expired records, then the oldest (Map order = insertion order) until there is room.
  #sweep(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) this.#entries.delete(key);
    }
    for (const key of this.#entries.keys()) {
      if (this.#entries.size < this.#max) break;
      this.#entries.delete(key);
    }
  }
}
