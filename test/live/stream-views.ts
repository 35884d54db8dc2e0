/**
 * Views with streams, for the stream tests over WebSocket and in Chromium.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { z } from "zod";
import { eventHandler, html, LiveView } from "../../src/index.js";
import type { Rendered } from "../../src/render/tree.js";

export interface Song {
  id: number;
  name: string;
}

/** The songs "database": what mount streams, so a remount shows what the page showed. */
export const songs: Song[] = [];
export const mounts = { songs: 0 };
export const freed: WeakRef<object>[] = [];
setFlagsFromString("--expose-gc");
export const gc = runInNewContext("gc") as () => void;

export class SongsView extends LiveView {
  static override templateName = "streams.html";
  static override streams = { songs: { domId: (s: Song) => `song-${s.id}` } };
  heading = "Songs";
  count = 0;

  override mount(): void {
    mounts.songs++;
    this.stream("songs", songs);
  }

  @eventHandler({ params: z.object({ id: z.number().int(), name: z.string() }) })
  add(song: Song) {
    songs.push(song);
    this.streamInsert("songs", song);
  }

  @eventHandler({ params: z.object({ id: z.number().int(), name: z.string() }) })
  top(song: Song) {
    this.streamInsert("songs", song, { at: 0, limit: 3 });
  }

  @eventHandler({ params: z.object({ id: z.number().int(), name: z.string() }) })
  rename(song: Song) {
    this.streamInsert("songs", song, { updateOnly: true });
  }

  @eventHandler({ params: z.object({ id: z.number().int() }) })
  remove({ id }: { id: number }) {
    this.streamDelete("songs", { id });
  }

  @eventHandler({ params: z.object({ dom_id: z.string() }) })
  remove_dom({ dom_id }: { dom_id: string }) {
    this.streamDeleteByDomId("songs", dom_id);
  }

  @eventHandler
  replace_all() {
    this.stream("songs", [{ id: 100, name: "Only" }], { reset: true });
  }

  @eventHandler
  insert_then_delete() {
    this.streamInsert("songs", { id: 7, name: "Seven" });
    this.streamDelete("songs", { id: 7 });
  }

  /** An item made here, watched by a WeakRef: the render sends it, nothing keeps it. */
  @eventHandler({ params: z.object({ id: z.number().int() }) })
  add_fresh({ id }: { id: number }) {
    const item = { id, name: "fresh-item".repeat(1000) };
    freed.push(new WeakRef(item));
    this.streamInsert("songs", item);
  }

  /** The next song of the "database", appended (the e2e page's button). */
  @eventHandler
  add_next() {
    const id = songs.reduce((max, s) => Math.max(max, s.id), 0) + 1;
    const song = { id, name: `Song ${id}` };
    songs.push(song);
    this.streamInsert("songs", song);
  }

  @eventHandler
  bump() {
    this.count++;
  }

  @eventHandler({ params: z.object({ name: z.string() }) })
  into({ name }: { name: string }) {
    this.streamInsert(name, { id: 1, name: "x" });
    this.count = 999;
  }

  @eventHandler({ params: z.object({ name: z.string() }) })
  drop({ name }: { name: string }) {
    this.streamDeleteByDomId(name, "x-1");
  }
}

/** The html`` form: no `static streams`, the stream is started by `stream()` in mount. */
export class FeedView extends LiveView {
  title = "Feed";

  override mount(): void {
    this.stream("feed", [{ id: 1, text: "first" }]);
  }

  @eventHandler({ params: z.object({ id: z.number().int(), text: z.string() }) })
  post(item: { id: number; text: string }) {
    this.streamInsert("feed", item, { at: 0 });
  }

  override render(): Rendered {
    return html`<h2>${this.title}</h2>
      <ul id="feed" dj-update="stream">
        ${this.streams.feed?.map(
          (id, item: { text: string }) => html`<li id=${id}>${item.text}</li>`,
        )}
      </ul>`;
  }
}
