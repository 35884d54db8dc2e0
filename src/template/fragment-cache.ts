/**
 * The bounded in-memory fragment caches behind `{% cache %}` (Django's cache backends for
 * template fragments): one per name `using=` refers to, each an LRU bounded in entries and in
 * characters.
 * @module
 */

/** Bounds of one fragment cache (`{% cache %}`); the least recently used fragment goes first. */
export interface FragmentCacheOptions {
  /**
   * Most fragments kept.
   * @default 1000
   */
  readonly maxEntries?: number;
  /**
   * Most characters (UTF-16 code units) of keys and fragments kept together; a fragment larger
   * than this is rendered but not kept.
   * @default 4194304
   */
  readonly maxChars?: number;
}

interface Entry {
  readonly text: string;
  /** `Date.now()` from which the entry is expired; `undefined`: never. */
  readonly expires: number | undefined;
  readonly size: number;
}

/**
 * One fragment cache: an LRU map from fragment key to rendered text, bounded in entries and in
 * characters (the keys hold the text of vary-on values, which may come from request data).
 */
export class FragmentCache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;
  readonly #maxChars: number;
  #chars = 0;

  constructor(options: FragmentCacheOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 1000;
    this.#maxChars = options.maxChars ?? 4_194_304;
  }

  /** The text kept under `key`, unless missing or expired. */
  get(key: string): string | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#drop(key, entry);
    if (entry.expires !== undefined && entry.expires <= Date.now()) return undefined;
    this.#entries.set(key, entry);
    this.#chars += entry.size;
    return entry.text;
  }

  /**
   * Keeps `text` under `key` for `timeout` seconds (`null`: until evicted). A timeout of zero or
   * less keeps nothing (and drops what was kept), as Django's cache backends do.
   */
  set(key: string, text: string, timeout: number | null): void {
    const old = this.#entries.get(key);
    if (old !== undefined) this.#drop(key, old);
    const size = key.length + text.length;
    if ((timeout !== null && timeout <= 0) || size > this.#maxChars || this.#maxEntries < 1) return;
    for (const [k, e] of this.#entries) {
      if (this.#entries.size < this.#maxEntries && this.#chars + size <= this.#maxChars) break;
      this.#drop(k, e);
    }
    this.#entries.set(key, {
      text,
      expires: timeout === null ? undefined : Date.now() + timeout * 1000,
      size,
    });
    this.#chars += size;
  }

  /** Fragments kept. */
  get size(): number {
    return this.#entries.size;
  }

  #drop(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#chars -= entry.size;
  }
}

/** The fragment caches of a loader, by the names `using=` refers to. */
export function fragmentCaches(
  options: Readonly<Record<string, FragmentCacheOptions>> = {},
): ReadonlyMap<string, FragmentCache> {
  const caches = new Map<string, FragmentCache>([["default", new FragmentCache(options.default)]]);
  for (const [name, bounds] of Object.entries(options))
    if (name !== "default") caches.set(name, new FragmentCache(bounds));
  return caches;
}
