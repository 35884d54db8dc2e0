// A playlist kept in the page, not in the view: mount streams the songs, handlers insert,
// update and delete single rows, and nothing of a song stays in memory after it was sent.
import { z } from "zod";
import { LiveView, eventHandler, html, type Rendered } from "../../src/index.js";

export interface Song {
  id: number;
  title: string;
}

/** Where songs live (a database in a real app). */
export const catalog: Song[] = [
  { id: 1, title: "Blue in Green" },
  { id: 2, title: "So What" },
];

export class PlaylistView extends LiveView {
  static override templateName = "songs.html";
  // Optional: the default DOM id is `${name}-${item.id}`.
  static override streams = { songs: { domId: (song: Song) => `song-${song.id}` } };

  playlist = "Kind of Blue";

  override mount(): void {
    // Runs again when the view is restored from a snapshot: streams are never stored.
    this.stream("songs", catalog);
  }

  @eventHandler({ params: z.object({ title: z.string().min(1) }) })
  add({ title }: { title: string }) {
    const song = { id: catalog.length + 1, title };
    catalog.push(song);
    this.streamInsert("songs", song, { at: 0, limit: 50 });
  }

  @eventHandler({ params: z.object({ id: z.number().int() }) })
  remove({ id }: { id: number }) {
    this.streamDelete("songs", { id });
  }

  @eventHandler
  clear() {
    this.stream("songs", [], { reset: true });
  }
}

/** The same stream with html``: `map` renders the rows inserted since the last render. */
export class FeedView extends LiveView {
  override mount(): void {
    this.stream("posts", [{ id: 1, text: "Hello" }]);
  }

  override render(): Rendered {
    return html`<ul id="posts" dj-update="stream">
      ${this.streams.posts?.map(
        (domId, post: { text: string }) => html`<li id=${domId}>${post.text}</li>`,
      )}
    </ul>`;
  }
}
