/**
 * Streams (Phoenix LiveView's `stream`): long lists the server sends once and then forgets. A
 * view queues operations on a stream (`stream`, `streamInsert`, `streamDelete`, …); the next
 * render sends the inserted items and the operations, and drops them. Nothing of a stream is
 * state: its items are never kept after that render and never in snapshots; only its name and
 * the ref that marks its children in the page live as long as the view.
 * @module
 */
import { UnknownStream } from "../errors.js";
import {
  STREAM_ROWS,
  STREAM_SOURCE,
  type StreamInsert,
  type StreamPatch,
  type StreamRows,
  type StreamSource,
} from "../render/tree.js";

/** How a stream names its items in the page (`static streams = { songs: { domId } }`). */
export interface StreamConfig {
  /**
   * The DOM id of an item: unique in the page, stable for the item.
   * @default (item) => `${name}-${item.id}`
   */
  domId?(item: never): string;
}

/** Options of `stream(name, items, options)`. */
export interface StreamOptions {
  /**
   * Where the items go: `-1` appends, `0` prepends, `n` inserts at index n.
   * @default -1
   */
  readonly at?: number;
  /** Remove every item of the stream from the page first. @default false */
  readonly reset?: boolean;
  /** Children to keep after each insert: `n > 0` the first n, `n < 0` the last -n. */
  readonly limit?: number;
}

/** Options of `streamInsert(name, item, options)`. */
export interface StreamInsertOptions {
  /** `-1` appends, `0` prepends, `n` inserts at index n. @default -1 */
  readonly at?: number;
  /** Children to keep after the insert: `n > 0` the first n, `n < 0` the last -n. */
  readonly limit?: number;
  /** Update the item only when it is on the page already; never add it. @default false */
  readonly updateOnly?: boolean;
}

/** The operations of a stream since its last render, as a template loop reads them. */
export interface StreamRender {
  /** `[domId, item]` per inserted item, in the order they go into the page. */
  readonly entries: readonly (readonly [string, unknown])[];
  readonly patch: StreamPatch;
}

interface Pending {
  readonly item: unknown;
  readonly insert: StreamInsert;
}

/**
 * One stream of a view: what a template iterates (`{% for dom_id, item in streams.songs %}`) and
 * what html`` maps (`this.streams.songs.map((domId, song) => html`…`)`).
 */
export class LiveStream implements StreamSource {
  readonly #domId: (item: unknown) => string;
  /** Inserts since the last render by DOM id: a later insert of the same id replaces it. */
  #inserts = new Map<string, Pending>();
  #deletes: string[] = [];
  #reset = false;

  constructor(
    /** The stream's name (`streams.<name>` in templates). */
    readonly name: string,
    /** Marks the stream's children in the page (`data-phx-stream`). */
    readonly ref: string,
    config: StreamConfig | undefined,
  ) {
    this.#domId = (config?.domId as ((item: unknown) => string) | undefined) ?? defaultDomId(name);
  }

  /** The DOM id of `item` in this stream. */
  domIdOf(item: unknown): string {
    const id = this.#domId(item);
    if (typeof id !== "string" || id === "") {
      throw new TypeError(`stream "${this.name}": domId must return a non-empty string`);
    }
    return id;
  }

  /** Queues `item` for the next render. */
  insert(item: unknown, options: StreamInsertOptions = {}): void {
    const domId = this.domIdOf(item);
    const insert: StreamInsert = {
      domId,
      at: options.at ?? -1,
      limit: options.limit ?? null,
      updateOnly: options.updateOnly ?? null,
    };
    // Phoenix renders the latest insert of an id, at the place of that latest insert.
    this.#inserts.delete(domId);
    this.#inserts.set(domId, { item, insert });
  }

  /** Queues the removal of the child `domId`, and drops an insert of it queued before. */
  deleteDomId(domId: string): void {
    this.#inserts.delete(domId);
    if (!this.#deletes.includes(domId)) this.#deletes.push(domId);
  }

  /** Forgets every queued operation and removes all the stream's children at the next render. */
  reset(): void {
    this.#inserts.clear();
    this.#deletes = [];
    this.#reset = true;
  }

  /** Whether the next render has anything to send for this stream. */
  get pending(): boolean {
    return this.#inserts.size > 0 || this.#deletes.length > 0 || this.#reset;
  }

  /** The queued operations, in the order they go to the page. */
  [STREAM_SOURCE](): StreamRender {
    const entries: (readonly [string, unknown])[] = [];
    const inserts: StreamInsert[] = [];
    for (const [domId, pending] of this.#inserts) {
      entries.push([domId, pending.item]);
      inserts.push(pending.insert);
    }
    return {
      entries,
      patch: { ref: this.ref, inserts, deletes: this.#deletes.slice(), reset: this.#reset },
    };
  }

  /**
   * The html`` form of a stream loop: one row per inserted item, rendered by `row`, as the
   * comprehension the client patches into the `dj-update="stream"` container.
   */
  map<T>(row: (domId: string, item: T) => unknown): StreamRows {
    const { entries, patch } = this[STREAM_SOURCE]();
    return { [STREAM_ROWS]: patch, rows: entries.map(([domId, item]) => row(domId, item as T)) };
  }

  /** Drops every queued operation: the render that sent them is done. */
  clear(): void {
    if (this.#inserts.size > 0) this.#inserts = new Map();
    if (this.#deletes.length > 0) this.#deletes = [];
    this.#reset = false;
  }
}

function defaultDomId(name: string): (item: unknown) => string {
  return (item) => {
    const id =
      typeof item === "object" && item !== null ? (item as { id?: unknown }).id : undefined;
    if (id === undefined || id === null) {
      throw new TypeError(
        `stream "${name}": an item has no "id"; give the stream a domId in static streams`,
      );
    }
    return `${name}-${String(id)}`;
  };
}

/** A class with `static streams`. */
interface StreamsClass {
  readonly streams?: Readonly<Record<string, StreamConfig>>;
}

/**
 * The streams of one view: those declared in `static streams` and those started with
 * `stream()`. Created on first use; the refs count up per view, as Phoenix's do per socket.
 */
export class ViewStreams {
  readonly #byName = new Map<string, LiveStream>();
  readonly #declared: Readonly<Record<string, StreamConfig>>;
  #nextRef = 0;

  constructor(owner: StreamsClass) {
    this.#declared = owner.streams ?? {};
  }

  /** The stream `name`, started now when `create` (by `stream()`) or declared. */
  get(name: string, create: boolean, viewName: string): LiveStream {
    let stream = this.#byName.get(name);
    if (stream) return stream;
    const declared = Object.hasOwn(this.#declared, name) ? this.#declared[name] : undefined;
    if (!create && declared === undefined) throw new UnknownStream(viewName, name);
    stream = new LiveStream(name, String(this.#nextRef++), declared);
    this.#byName.set(name, stream);
    return stream;
  }

  /** Every declared stream, and every started one: the template's `streams`. */
  forTemplate(viewName: string): Record<string, LiveStream> {
    for (const name of Object.keys(this.#declared)) this.get(name, false, viewName);
    const out: Record<string, LiveStream> = Object.create(null) as Record<string, LiveStream>;
    for (const [name, stream] of this.#byName) out[name] = stream;
    return out;
  }

  /** Names of the streams started so far (a snapshot records them; see the restore rule). */
  get names(): string[] {
    return [...this.#byName.keys()];
  }

  /** Whether any stream has operations for the next render. */
  get pending(): boolean {
    for (const stream of this.#byName.values()) if (stream.pending) return true;
    return false;
  }

  /** Drops every stream's queued operations after the render that sent them. */
  clear(): void {
    for (const stream of this.#byName.values()) stream.clear();
  }
}
