/**
 * Streams over a real WebSocket: the LV 1.2 `stream` entries a loop over `streams.<name>` sends
 * (template files and html``), items freed after the render that sent them and never in
 * snapshots, the restore rule (mount fills the streams again), and unknown stream names.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { serveLive } from "../support/live-server.js";
import { eventError, loadPage, RawClient, response, type PageInfo } from "./helpers.js";
import { FeedView, freed, gc, mounts, songs, SongsView } from "./stream-views.js";

const templates = fileURLToPath(new URL("../fixtures/templates", import.meta.url));

describe("streams", () => {
  const live = serveLive({ templateDirs: [templates] }, (app) => {
    app.live("/", SongsView).live("/feed/", FeedView);
  });
  const { backend } = live;

  async function joined(path = "/") {
    const page = await loadPage(`${live.url}${path}`);
    const client = await RawClient.connect(live.url, { cookie: page.cookie });
    live.track(client);
    const reply = await client.join(page, live.url, { url: `${live.url}${path}` });
    assert.equal(reply.payload.status, "ok", JSON.stringify(reply.payload));
    return { page, client, rendered: response(reply).rendered as Record<string, unknown> };
  }

  async function diffOf(client: RawClient, page: PageInfo, event: string, value: unknown) {
    return response(await client.event(page, "click", event, value)).diff as Record<
      string,
      unknown
    >;
  }

  it("renders the stream in the page and sends it again in the join reply", async () => {
    songs.splice(0, songs.length, { id: 1, name: "One" }, { id: 2, name: "Two" });
    const before = mounts.songs;
    const { page, rendered } = await joined();
    assert.match(
      page.html,
      /<ul id="songs" dj-update="stream"><li id="song-1">One<\/li><li id="song-2">Two<\/li><\/ul>/,
    );
    // The join restored the dead render's snapshot and ran mount again to fill the stream.
    assert.equal(mounts.songs, before + 2);
    assert.deepEqual(rendered[2], {
      s: ['<li id="', '">', "</li>"],
      k: { 0: { 0: "song-1", 1: "One" }, 1: { 0: "song-2", 1: "Two" }, kc: 2 },
      stream: [
        "0",
        [
          ["song-1", -1, null, null],
          ["song-2", -1, null, null],
        ],
        [],
      ],
    });
  });

  it("sends only the inserted item with its insert, then nothing for the stream", async () => {
    songs.splice(0, songs.length, { id: 1, name: "One" });
    const { page, client } = await joined();
    assert.deepEqual(await diffOf(client, page, "add", { id: "2", name: "Two" }), {
      2: {
        k: { 0: { 0: "song-2", 1: "Two" }, kc: 1 },
        stream: ["0", [["song-2", -1, null, null]], []],
      },
    });
    // An event that does not touch the stream sends nothing for it.
    assert.deepEqual(await diffOf(client, page, "bump", {}), { 1: "1" });
  });

  it("sends at, limit and updateOnly, deletes by item and by DOM id, and resets", async () => {
    songs.splice(0, songs.length);
    const { page, client, rendered } = await joined();
    // An empty stream still sends its statics, for the items of later diffs.
    assert.deepEqual(rendered[2], {
      s: ['<li id="', '">', "</li>"],
      k: { kc: 0 },
      stream: ["0", [], []],
    });
    assert.deepEqual(await diffOf(client, page, "top", { id: "5", name: "Five" }), {
      2: {
        k: { 0: { 0: "song-5", 1: "Five" }, kc: 1 },
        stream: ["0", [["song-5", 0, 3, null]], []],
      },
    });
    assert.deepEqual(await diffOf(client, page, "rename", { id: "5", name: "V" }), {
      2: {
        k: { 0: { 0: "song-5", 1: "V" }, kc: 1 },
        stream: ["0", [["song-5", -1, null, true]], []],
      },
    });
    assert.deepEqual(await diffOf(client, page, "remove", { id: "5" }), {
      2: { k: { kc: 0 }, stream: ["0", [], ["song-5"]] },
    });
    assert.deepEqual(await diffOf(client, page, "remove_dom", { dom_id: "song-9" }), {
      2: { k: { kc: 0 }, stream: ["0", [], ["song-9"]] },
    });
    assert.deepEqual(await diffOf(client, page, "replace_all", {}), {
      2: {
        k: { 0: { 0: "song-100", 1: "Only" }, kc: 1 },
        stream: ["0", [["song-100", -1, null, null]], [], true],
      },
    });
    // Deleting an item inserted by the same event drops the insert.
    assert.deepEqual(await diffOf(client, page, "insert_then_delete", {}), {
      2: { k: { kc: 0 }, stream: ["0", [], ["song-7"]] },
    });
  });

  it("keeps no item after the render that sent it, and none in the snapshot", async () => {
    songs.splice(0, songs.length, { id: 1, name: "Kept-nowhere-1" });
    const { page, client } = await joined();
    await diffOf(client, page, "add_fresh", { id: "2" });
    assert.equal(freed.length, 1);
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    assert.equal(freed[0]?.deref(), undefined, "the streamed item was garbage-collected");
    const saved = backend.get(page.id).then((s) => s?.savedAt);
    client.close();
    // Closing saves the snapshot: names only, no item.
    let stored = await backend.get(page.id);
    for (let i = 0; i < 100 && stored?.savedAt === (await saved); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      stored = await backend.get(page.id);
    }
    assert.ok(stored);
    assert.deepEqual(stored.streams, ["songs"]);
    assert.doesNotMatch(JSON.stringify(stored), /Kept-nowhere|fresh-item/);
  });

  it("refuses an operation on an unknown stream with not_found and keeps the view working", async () => {
    songs.splice(0, songs.length);
    const { page, client } = await joined();
    const reply = await client.event(page, "click", "into", { name: "nope" });
    assert.deepEqual(eventError(reply), {
      error: "not_found",
      message:
        'SongsView has no stream "nope": declare it in static streams or start it with stream().',
    });
    const refused = await client.event(page, "click", "drop", { name: "__proto__" });
    assert.equal(eventError(refused)?.error, "not_found");
    // Nothing changed (the handler stopped before touching state), and the stream still works.
    assert.deepEqual(await diffOf(client, page, "bump", {}), { 1: "1" });
    assert.deepEqual(await diffOf(client, page, "add", { id: "3", name: "Three" }), {
      2: {
        k: { 0: { 0: "song-3", 1: "Three" }, kc: 1 },
        stream: ["0", [["song-3", -1, null, null]], []],
      },
    });
  });

  it("streams from html`` with the same wire format", async () => {
    const { page, client, rendered } = await joined("/feed/");
    assert.match(
      page.html,
      /<ul id="feed" dj-update="stream">\s*<li id="feed-1">first<\/li>\s*<\/ul>/,
    );
    assert.deepEqual(rendered[1], {
      s: ['<li id="', '">', "</li>"],
      k: { 0: { 0: "feed-1", 1: "first" }, kc: 1 },
      stream: ["0", [["feed-1", -1, null, null]], []],
    });
    assert.deepEqual(await diffOf(client, page, "post", { id: "2", text: "second" }), {
      1: {
        k: { 0: { 0: "feed-2", 1: "second" }, kc: 1 },
        stream: ["0", [["feed-2", 0, null, null]], []],
      },
    });
  });
});
