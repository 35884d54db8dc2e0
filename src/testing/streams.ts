/**
 * The children of each stream container as the browser keeps them. The tree a live view keeps
 * for its next diff holds no stream item (the browser patches them into the page and the server
 * forgets them), so the test client applies each render's stream operations to its own list of
 * rows, the way the official client's `DOMPatch` does, and prints that list where the tree has
 * the stream's loop.
 * @module
 */
import { entryHtml, type StreamHtml } from "../render/html.js";
import type {
  Comprehension,
  ComprehensionEntry,
  Rendered,
  Slot,
  StreamPatch,
} from "../render/tree.js";
import { UNCHANGED } from "../render/tree.js";

/** One child of a stream container: kept as its loop entry, so components in it stay current. */
interface Row {
  readonly domId: string;
  readonly loop: Comprehension;
  readonly entry: ComprehensionEntry;
}

/** A stream loop of a render: one carrying its operations. */
type StreamLoop = Comprehension & { readonly stream: StreamPatch };

/** The rows of every stream of one view's page, by stream ref. */
export class StreamRows {
  readonly #rows = new Map<string, Row[]>();

  /**
   * A join's full render: the browser removes every row of the view's stream containers,
   * keeping only those the join inserts again.
   */
  join(rendered: Rendered): void {
    this.#rows.clear();
    this.apply(rendered);
  }

  /**
   * Applies one render's stream operations (its tree before the diff dropped the items): as
   * the browser, every reset and delete of the render first, then the inserts.
   */
  apply(rendered: Rendered): void {
    const loops: StreamLoop[] = [];
    collect(rendered.dynamics, loops);
    for (const { stream } of loops) {
      if (stream.reset) this.#rows.set(stream.ref, []);
      for (const domId of stream.deletes) this.#delete(domId);
    }
    for (const loop of loops) this.#insert(loop);
  }

  /** The rows of a stream's container, for {@link LiveInstance.html}. */
  readonly html: StreamHtml = (ref, components) => {
    let html = "";
    for (const row of this.#rows.get(ref) ?? []) html += entryHtml(row.loop, row.entry, components);
    return html;
  };

  /** A delete names a DOM id, which the browser looks up in the whole page. */
  #delete(domId: string): void {
    for (const rows of this.#rows.values()) {
      const at = rows.findIndex((row) => row.domId === domId);
      if (at >= 0) rows.splice(at, 1);
    }
  }

  #insert(loop: StreamLoop): void {
    const { stream, entries } = loop;
    let rows = this.#rows.get(stream.ref);
    if (!rows) this.#rows.set(stream.ref, (rows = []));
    stream.inserts.forEach((insert, i) => {
      const row = { domId: insert.domId, loop, entry: entries[i] as ComprehensionEntry };
      const shown = rows.findIndex((r) => r.domId === insert.domId);
      // A child already shown is morphed where it is: neither moved nor limited.
      if (shown >= 0) {
        rows[shown] = row;
        return;
      }
      if (insert.updateOnly) return;
      if (insert.at === -1) rows.push(row);
      else if (insert.at >= 0) rows.splice(Math.min(insert.at, rows.length), 0, row);
      // The official client places a child at -1, 0 or an index, and nowhere else.
      else return;
      const { limit } = insert;
      if (limit === null) return;
      if (limit < 0) rows.splice(0, Math.max(0, rows.length + limit));
      else rows.splice(limit);
    });
  }
}

/**
 * The stream loops of a render, in page order. A stream's rows are printed whole, so a loop
 * nested in one is not looked into.
 */
function collect(slots: readonly Slot[], out: StreamLoop[]): void {
  for (const slot of slots) {
    if (slot === UNCHANGED || typeof slot === "string") continue;
    if (slot.type === "rendered") collect(slot.dynamics, out);
    else if (slot.type === "comprehension") {
      if (slot.stream) out.push(slot as StreamLoop);
      else for (const entry of slot.entries) collect(entry.dynamics, out);
    }
  }
}
