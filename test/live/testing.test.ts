/**
 * `djust/testing`: LiveViewTestClient drives views through the same pipeline as the socket.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import {
  eventHandler,
  LiveView,
  html,
  type AsyncOutcome,
  type LiveRequest,
  type Params,
  type Rendered,
  type StreamInsertOptions,
} from "../../src/index.js";
import { MemoryStateBackend } from "../../src/state/backends/memory.js";
import type { StoredPatch } from "../../src/state/backends/types.js";
import { MemoryPubSub } from "../../src/pubsub/memory.js";
import { AccessDenied, LiveViewTestClient } from "../../src/testing/index.js";
import {
  ChatView,
  CounterView,
  FeedView,
  FormView,
  mounts,
  RefundView,
  SecretView,
  type FeedRow,
} from "./views.js";

describe("LiveViewTestClient", () => {
  it("mounts once (dead render handed to the connected view) and runs clicks", async () => {
    const before = mounts.counter;
    const view = await LiveViewTestClient.mount(CounterView);
    assert.equal(mounts.counter, before + 1);
    assert.equal(view.restored, true);
    const result = await view.click("add", { by: 4 });
    assert.deepEqual(result.reply, { count: 4 });
    assert.deepEqual(result.diff, { "1": "4", r: { count: 4 } });
    assert.equal(view.assigns.count, 4);
    assert.match(view.render(), /<span id="count">4<\/span>/);
  });

  it("injects services: a factory is called per view with the request, a class or value is passed as is", async () => {
    class Clock {
      now() {
        return "t";
      }
    }
    const seen: Params[] = [];
    class InjectedView extends LiveView {
      path = "";
      override setup(request: LiveRequest, params: Params) {
        seen.push(params);
        this.path = (params.pathOf as () => string)();
        void request;
      }
      override render(): Rendered {
        return html`<p>${this.path}</p>`;
      }
    }
    let made = 0;
    const services = {
      pathOf: (request: LiveRequest) => {
        made++;
        return () => request.url.pathname;
      },
      Clock,
      limit: 5,
    };
    const view = await LiveViewTestClient.mount(InjectedView, { url: "http://t/inj/", services });
    assert.ok(made >= 1, "the factory ran");
    assert.equal(made, seen.length, "one call per setup (dead render and connected view)");
    for (const params of seen) {
      assert.equal(params.Clock, Clock, "a class is passed, not called");
      assert.equal(params.limit, 5);
    }
    assert.match(view.render(), /<p>\/inj\/<\/p>/);
  });

  it("reports refused events like the socket does", async () => {
    const view = await LiveViewTestClient.mount(CounterView);
    assert.equal((await view.click("mount")).error?.error, "not_found");
    assert.equal((await view.click("add", { by: "x" })).error?.error, "validation_error");
    const boom = await view.click("boom");
    assert.equal(boom.error?.error, "handler_error");
    assert.equal(view.assigns.count, 100, "state a failing handler left is kept and rendered");
  });

  it("records pushed events, flashes, titles and navigation", async () => {
    const view = await LiveViewTestClient.mount(CounterView, { url: "http://t/?page=3" });
    assert.equal(view.assigns.page, "3");
    await view.click("effects");
    assert.deepEqual(view.pushedEvents, [["highlight", { id: 7 }]]);
    assert.deepEqual(view.flash, { info: "Saved!" });
    assert.equal(view.title, "New title");
    await view.click("nav");
    assert.equal(view.redirectedTo, "/other/");
    await view.click("next_page");
    assert.equal(view.url.search, "?page=2");
    assert.equal(view.assigns.page, "2");
    await view.patch("/?page=9");
    assert.equal(view.assigns.page, "9");
  });

  it("applies a pushPatch made during the connected mount, as the socket join does", async () => {
    class PatchOnMountView extends CounterView {
      override mount(): void {
        if (this.connected) this.pushPatch("/?page=5");
      }
    }
    const view = await LiveViewTestClient.mount(PatchOnMountView, { deadRender: false });
    assert.deepEqual(view.navigations, [{ kind: "patch", to: "/?page=5", replace: false }]);
    assert.equal(view.url.search, "?page=5");
    assert.equal(view.assigns.page, "5");
    assert.match(view.render(), /<i>5<\/i>/);
  });

  it("submits URL-encoded forms with string coercion", async () => {
    const view = await LiveViewTestClient.mount(FormView);
    await view.submit("save", { name: "Tea", qty: 2 });
    assert.deepEqual(view.assigns.saved, { name: "Tea", qty: 2 });
    assert.match(view.render(), /Tea × 2/);
  });

  it("checks permissions with the given user", async () => {
    const anon = await LiveViewTestClient.mount(RefundView);
    assert.equal((await anon.click("refund")).error?.error, "unauthenticated");
    const staff = await LiveViewTestClient.mount(RefundView, {
      user: { id: 1, permissions: ["orders.refund"] },
    });
    assert.equal((await staff.click("refund")).error, undefined);
    assert.equal(staff.assigns.done, true);
    await assert.rejects(LiveViewTestClient.mount(SecretView), AccessDenied);
  });

  it("delivers broadcasts between clients sharing a pub/sub", async () => {
    const pubsub = new MemoryPubSub();
    const a = await LiveViewTestClient.mount(ChatView, { pubsub });
    const b = await LiveViewTestClient.mount(ChatView, { pubsub });
    await a.event("say", { text: "hello" });
    await b.settle();
    assert.deepEqual(b.assigns.lines, ["hello"]);
    assert.match(b.render(), /<li>hello<\/li>/);
    assert.equal(b.takePushes().length, 1);
    await a.close();
    await b.close();
  });
});

describe("a view's maps and sets in its snapshot", () => {
  type Row = { id: number; qty: number };
  class IndexView extends LiveView {
    byId = new Map<string, Row>(Array.from({ length: 50 }, (_, i) => [`r${i}`, { id: i, qty: 0 }]));
    tags = new Set(["a", "b"]);
    @eventHandler({ params: z.object({ key: z.string() }) })
    replace({ key }: { key: string }) {
      const row = this.byId.get(key);
      if (row) this.byId.set(key, { ...row, qty: row.qty + 1 });
    }
    @eventHandler({ params: z.object({ key: z.string() }) })
    drop({ key }: { key: string }) {
      this.byId.delete(key);
      this.tags.delete("a");
      this.tags.add(key);
    }
    override render() {
      return html`<p>${this.byId.size} ${[...this.tags].join(",")}</p>`;
    }
  }

  it("stores a handler's writes to them as edits of their entries, and restores them exactly", async () => {
    const stateBackend = new MemoryStateBackend();
    const stored: { field: string; ops: string | null }[] = [];
    const patch = stateBackend.patch.bind(stateBackend);
    stateBackend.patch = (key, written, ttl) => {
      for (const [field, text] of written.deltas) stored.push({ field, ops: text });
      for (const field of written.fields.keys()) stored.push({ field, ops: null });
      return patch(key, written, ttl);
    };
    const view = await LiveViewTestClient.mount(IndexView, { stateBackend });
    const saved = () => new Promise((resolve) => setTimeout(resolve, 300));
    // The first write after the join stores the fields whole (the view does not know what the
    // store holds of them); the later ones, what changed.
    await view.event("drop", { key: "r1" });
    await saved();
    stored.length = 0;
    await view.event("replace", { key: "r7" });
    await view.event("drop", { key: "r20" });
    await view.event("replace", { key: "r49" });
    await saved();
    // The public state as the wire shows it (a map as an object in its order, a set as a list).
    const live = JSON.stringify(view.assigns);
    await view.close();
    // Each write carried the edits of the entries, never a whole map or set.
    assert.ok(stored.length > 0);
    assert.deepEqual(
      stored.filter((s) => s.ops === null),
      [],
    );
    assert.ok(
      stored.every((s) => (s.ops?.length ?? 0) < 200),
      JSON.stringify(stored),
    );
    const again = await LiveViewTestClient.mount(IndexView, {
      stateBackend,
      id: view.id,
      deadRender: false,
    });
    assert.equal(again.restored, true);
    assert.equal(JSON.stringify(again.assigns), live);
    const { byId, tags } = again.assigns as { byId: Record<string, Row>; tags: string[] };
    assert.equal(byId.r7?.qty, 1);
    assert.equal(byId.r49?.qty, 1);
    assert.equal(Object.hasOwn(byId, "r20"), false);
    assert.deepEqual(tags, ["b", "r1", "r20"]);
    await again.close();
  });
});

describe("objects a view shares from mount", () => {
  type Row = { id: number; qty: number };
  type Group = { name: string; rows: Row[] };
  class PinView extends LiveView {
    groups: Group[] = [];
    selected: Row | null = null;
    pinned: Group[] = [];
    override mount() {
      this.groups = [{ name: "a", rows: [{ id: 0, qty: 0 }] }];
      this.selected = this.groups[0]!.rows[0]!; // shared with `groups`
    }
    @eventHandler
    rename() {
      this.groups[0]!.name = "b";
    }
    @eventHandler
    pin() {
      this.pinned = [this.groups[0]!];
    }
    @eventHandler
    bump() {
      this.selected!.qty++;
    }
    override render() {
      // The groups' rows are not read here: only the handlers reach them.
      return html`<p>${this.selected?.qty} ${this.groups.map((g) => g.name).join()} ${this.pinned.length}</p>`;
    }
  }

  it("a field that took a shared row's group later is stored changed with the row", async () => {
    const stateBackend = new MemoryStateBackend();
    // Mounted connected (as live navigation mounts): the sharing is the view's own, and stays
    // in the snapshot it writes (test/live/shared-objects.test.ts).
    const view = await LiveViewTestClient.mount(PinView, { stateBackend, deadRender: false });
    // Each event's write lands before the next event (writes close together are one).
    const saved = () => new Promise((resolve) => setTimeout(resolve, 300));
    await view.event("rename"); // the group is handed out, its row is not
    await saved();
    await view.event("pin");
    await saved();
    await view.event("bump");
    await saved();
    // What a reconnect or another node would restore, read before the view closes.
    const state = (await stateBackend.get(view.id))?.state as
      { groups: Group[]; pinned: Group[] } | undefined;
    assert.equal(state?.groups[0]?.rows[0]?.qty, 1);
    assert.equal(state?.pinned[0]?.rows[0]?.qty, 1);
    await view.close();
  });
});

describe("a view's arrays moved or given anew, in its snapshot", () => {
  /** A memory store that keeps what each incremental write said of `rows`. */
  class Recording extends MemoryStateBackend {
    readonly rows: (string | undefined)[] = [];
    override async patch(key: string, patch: StoredPatch, ttl: number): Promise<boolean> {
      if (patch.fields.has("rows")) throw new Error("rows stored whole");
      this.rows.push(patch.deltas.get("rows"));
      return super.patch(key, patch, ttl);
    }
  }

  it("stores what moved as splices, and restores the array as it is", async () => {
    const stateBackend = new Recording();
    const view = await LiveViewTestClient.mount(FeedView, { stateBackend, deadRender: false });
    const saved = () => new Promise((resolve) => setTimeout(resolve, 300));
    await view.event("bump"); // the first write is whole
    await saved();
    for (const event of ["append", "drop", "roll", "bump"]) {
      await view.event(event);
      await saved();
    }
    // One small edit list per event, against a field of some 36 kB.
    assert.equal(stateBackend.rows.length, 4);
    for (const text of stateBackend.rows) assert.ok(text !== undefined && text.length < 100, text);
    assert.deepStrictEqual(JSON.parse(stateBackend.rows[2]!), [
      ["p", [], 0, 1, []],
      ["p", [], 999, 0, [{ id: 1001, name: "row 1001", qty: 0 }]],
    ]);
    const rows = (await stateBackend.get(view.id))?.state.rows as FeedRow[] | undefined;
    assert.deepStrictEqual(
      rows,
      (view.view as FeedView).rows.map((r) => ({ ...r })),
    );
    assert.equal(rows?.find((r) => r.id === 500)?.qty, 2);
    await view.close();
  });
});

interface Track {
  id: number;
  title: string;
}

/** What `TracksView.mount` streams: where its tracks live, so a restore shows them again. */
const catalogue: Track[] = [];

class TracksView extends LiveView {
  override mount(): void {
    this.stream("tracks", catalogue);
  }

  /** Hook event (JSON, uncoerced): the insert's options as the test gives them. */
  @eventHandler({ params: "any" })
  put({ track, options }: { track: Track; options?: StreamInsertOptions }) {
    this.streamInsert("tracks", track, options);
  }

  @eventHandler({ params: "any" })
  save(track: Track) {
    catalogue.push(track);
    this.streamInsert("tracks", track);
  }

  @eventHandler({ params: z.object({ id: z.number().int() }) })
  remove({ id }: { id: number }) {
    this.streamDelete("tracks", { id });
  }

  @eventHandler
  replace() {
    this.stream("tracks", [{ id: 9, title: "Nine" }], { reset: true });
  }

  @eventHandler
  later() {
    this.startAsync("later", () => ({ id: 8, title: "Eight" }));
  }

  override handleAsync(_name: string, outcome: AsyncOutcome): void {
    if (outcome.ok) this.streamInsert("tracks", outcome.result as Track);
  }

  override handleInfo(track: unknown): void {
    this.streamInsert("tracks", track as Track, { at: 1 });
  }

  override handleParams(params: Params): void {
    if (params.extra) this.streamInsert("tracks", { id: 7, title: String(params.extra) });
  }

  override render(): Rendered {
    return html`<ul id="tracks" dj-update="stream">${this.streams.tracks?.map(
      (domId, t: Track) =>
        html`<li id=${domId}>${t.title}<button dj-click="remove" dj-value-id=${t.id}>x</button></li>`,
    )}</ul>`;
  }
}

describe("LiveViewTestClient and streams: render() shows the rows the browser keeps", () => {
  /** The DOM ids of the stream's rows, in page order. */
  const rows = (view: LiveViewTestClient) =>
    [...view.render().matchAll(/<li id="([^"]+)"/g)].map((m) => m[1]);
  const track = (id: number, title = `T${id}`) => ({ id, title });

  it("shows the rows mount streamed, and appends an insert", async () => {
    catalogue.splice(0, Infinity, track(1), track(2));
    const view = await LiveViewTestClient.mount(TracksView);
    assert.deepEqual(rows(view), ["tracks-1", "tracks-2"]);
    await view.event("put", { track: track(3) });
    assert.deepEqual(rows(view), ["tracks-1", "tracks-2", "tracks-3"]);
    assert.ok(view.has("#tracks-3", "T3"));
    await view.close();
  });

  it("places inserts by `at`, trims by `limit`, updates an id shown in place", async () => {
    catalogue.splice(0, Infinity, track(1), track(2));
    const view = await LiveViewTestClient.mount(TracksView);
    await view.event("put", { track: track(3), options: { at: 0 } });
    assert.deepEqual(rows(view), ["tracks-3", "tracks-1", "tracks-2"]);
    await view.event("put", { track: track(4), options: { at: 1 } });
    assert.deepEqual(rows(view), ["tracks-3", "tracks-4", "tracks-1", "tracks-2"]);
    await view.event("put", { track: track(5), options: { at: 0, limit: 3 } });
    assert.deepEqual(rows(view), ["tracks-5", "tracks-3", "tracks-4"]);
    await view.event("put", { track: track(6), options: { limit: -2 } });
    assert.deepEqual(rows(view), ["tracks-4", "tracks-6"]);
    // Inserted again: updated where it is (not moved to `at`, and no limit applies).
    await view.event("put", { track: track(4, "Four"), options: { at: -1, limit: 1 } });
    assert.deepEqual(rows(view), ["tracks-4", "tracks-6"]);
    assert.ok(view.has("#tracks-4", "Four"));
    // update-only: changes a row shown, adds none.
    await view.event("put", { track: track(6, "Six"), options: { updateOnly: true } });
    await view.event("put", { track: track(10), options: { updateOnly: true } });
    assert.deepEqual(rows(view), ["tracks-4", "tracks-6"]);
    assert.ok(view.has("#tracks-6", "Six"));
    await view.close();
  });

  it("removes deleted rows (a per-row button found with element()) and resets", async () => {
    catalogue.splice(0, Infinity, track(1), track(2), track(3));
    const view = await LiveViewTestClient.mount(TracksView);
    await view.element("#tracks-2 button").click();
    assert.deepEqual(rows(view), ["tracks-1", "tracks-3"]);
    await view.click("replace");
    assert.deepEqual(rows(view), ["tracks-9"]);
    await view.close();
  });

  it("applies the inserts of info messages, patches and async deliveries", async () => {
    catalogue.splice(0, Infinity, track(1), track(2));
    const view = await LiveViewTestClient.mount(TracksView);
    await view.sendInfo(track(5));
    await view.patch("/?extra=Seven");
    await view.click("later");
    await view.settle();
    assert.deepEqual(rows(view), ["tracks-1", "tracks-5", "tracks-2", "tracks-7", "tracks-8"]);
    await view.close();
  });

  it("after a restore shows what the join sends: the rows mount streams again", async () => {
    catalogue.splice(0, Infinity, track(1));
    const stateBackend = new MemoryStateBackend();
    const first = await LiveViewTestClient.mount(TracksView, { stateBackend });
    await first.event("save", track(2));
    await first.event("put", { track: track(3) }); // never saved: gone after a reconnect, as in Phoenix
    await first.close();
    const again = await LiveViewTestClient.mount(TracksView, {
      stateBackend,
      id: first.id,
      deadRender: false,
    });
    assert.equal(again.restored, true);
    assert.deepEqual(rows(again), ["tracks-1", "tracks-2"]);
    await again.close();
  });
});
