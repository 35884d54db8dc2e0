/**
 * In-process state backend: the default for a single node.
 * @module
 */
import type { StateBackend, StoredView } from "./types.js";

/** Options of {@link MemoryStateBackend}. */
export interface MemoryStateBackendOptions {
  /** Clock in milliseconds (tests inject a fake one). */
  readonly now?: () => number;
  /** Above this many records the oldest are dropped. Default 100,000. */
  readonly maxEntries?: number;
}

/**
 * Snapshots in a `Map`, expired lazily on read and swept when the map is full. Records are kept
 * as JSON text so that a later mutation of the live view can never leak into its snapshot.
 */
export class MemoryStateBackend implements StateBackend {
  readonly #entries = new Map<string, { text: string; expiresAt: number }>();
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

  async get(key: string): Promise<StoredView | null> {
    const entry = this.#entries.get(key);
    if (!entry) return null;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return null;
    }
    return JSON.parse(entry.text) as StoredView;
  }

  async set(key: string, value: StoredView, ttlSeconds: number): Promise<void> {
    const now = this.#now();
    this.#entries.delete(key);
    if (this.#entries.size >= this.#max) this.#sweep(now);
    this.#entries.set(key, { text: JSON.stringify(value), expiresAt: now + ttlSeconds * 1000 });
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
