/**
 * LiveComponents over a real WebSocket: cids and the diff's `c` key as LV 1.2 sends them (shared
 * statics by cid reference), events routed by `cid` through the view's pipeline, per-component
 * change tracking, `sendUpdate`, the two-phase `cids_will_destroy`/`cids_destroyed` removal, the
 * snapshot that restores every component's state, and the refusals of bad targets.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { beforeEach, describe, it } from "node:test";
import { serveLive } from "../support/live-server.js";
import { eventError, loadPage, RawClient, response, type PageInfo } from "./helpers.js";
import { BadgeView, BigPage, Counter, CounterPage, renders, unmounted } from "./component-views.js";
import { z } from "zod";
import { eventHandler, html, LiveComponent, liveComponent, LiveView } from "../../src/index.js";
import { restorable } from "../../src/live/snapshot.js";
import { ClientTree, stripClientAttributes, type WirePayload } from "../support/phoenix-client.js";
import type { StoredPatch } from "../../src/state/backends/types.js";

const templates = fileURLToPath(new URL("../fixtures/templates", import.meta.url));

type Wire = Record<string, unknown>;

/** A component whose `update` refuses an empty label. */
class Picky extends LiveComponent {
  id = "";
  label = "";
  override update(assigns: { label?: unknown }) {
    if (assigns.label === "") throw new Error("Picky needs a label");
    this.label = String(assigns.label);
  }
  override render() {
    return html`<p>${this.label}</p>`;
  }
}

class PickyPage extends LiveView {
  label = "first";
  @eventHandler({ params: z.object({ label: z.string() }) })
  set({ label }: { label: string }) {
    this.label = label;
  }
  override render() {
    return html`<main>${liveComponent(Picky, { id: "p", label: this.label })}</main>`;
  }
}

/**
 * A component its own event changes, which also asks its parent component (`sendUpdate`) to
 * place it again with a new assign: it renders twice in one step.
 */
class Cell extends LiveComponent {
  id = "";
  rows = [0, 0, 0];
  k = 0;
  override update(assigns: { id?: unknown; k?: unknown }) {
    if (typeof assigns.k === "number" && assigns.k !== this.k) {
      this.k = assigns.k;
      this.rows[2] = assigns.k;
    }
  }
  @eventHandler({ params: z.object({ at: z.number().int(), k: z.number().int() }) })
  bump({ at, k }: { at: number; k: number }) {
    this.rows[at]! += 10;
    this.sendUpdate(Grid, "g", { k });
  }
  override render() {
    return html`<div>${this.rows.map((n) => html`<i>${n}</i>`)}</div>`;
  }
}

class Grid extends LiveComponent {
  id = "";
  k = 0;
  override render() {
    return html`<section>${this.k}${liveComponent(Cell, { id: "c", k: this.k })}</section>`;
  }
}

class NestedPage extends LiveView {
  override render() {
    return html`<main>${liveComponent(Grid, { id: "g" })}</main>`;
  }
}

/**
 * Components of one template: the second's `update` sends the first new assigns, so the first
 * renders twice in one pass, after the second was sent as a difference from its first render.
 */
class Poked extends LiveComponent {
  id = "";
  v = "x";
  override update(assigns: { id?: unknown; v?: unknown; poke?: unknown }) {
    if (typeof assigns.v === "string") this.v = assigns.v;
    if (typeof assigns.poke === "string") this.sendUpdate(Poked, assigns.poke, { v: "late" });
  }
  override render() {
    return html`<div>${this.v}|same</div>`;
  }
}

class PokePage extends LiveView {
  ids: string[] = [];
  @eventHandler
  add() {
    this.ids = ["b1", "b2"];
  }
  override render() {
    return html`<main>${this.ids.map((id, i) => liveComponent(Poked, { id, ...(i === 1 && { poke: "b1" }) }))}</main>`;
  }
}

class PokedPage extends PokePage {
  override mount() {
    this.add();
  }
}

/** A component with a child, placed again (with new assigns) by its sibling's `update`. */
class Leaf extends LiveComponent {
  id = "";
  override render() {
    return html`<i>${this.id}</i>`;
  }
}

class Box extends LiveComponent {
  id = "";
  n = 0;
  override update(assigns: { n?: unknown }) {
    if (typeof assigns.n === "number") this.n = assigns.n;
  }
  override render() {
    return html`<div>${this.n}${liveComponent(Leaf, { id: "leaf" })}</div>`;
  }
}

class Poker extends LiveComponent {
  id = "";
  n = 0;
  override update(assigns: { n?: unknown }) {
    this.n = Number(assigns.n);
    this.sendUpdate(Box, "box", { n: this.n * 10 });
  }
  override render() {
    return html`<p>${this.n}</p>`;
  }
}

class BoxPage extends LiveView {
  n = 0;
  @eventHandler
  bump() {
    this.n++;
  }
  override render() {
    return html`<main>${liveComponent(Box, { id: "box", n: this.n })}${liveComponent(Poker, { id: "p", n: this.n })}</main>`;
  }
}

/** Places {@link Picky}: its render succeeds in a pass that Picky's `update` then fails. */
class Shown extends LiveComponent {
  id = "";
  v = 0;
  label = "";
  override update(assigns: { v?: unknown; label?: unknown }) {
    this.v = Number(assigns.v);
    this.label = String(assigns.label);
  }
  override render() {
    return html`<b>${this.v}${liveComponent(Picky, { id: "p", label: this.label })}</b>`;
  }
}

class PairPage extends LiveView {
  v = 0;
  label = "first";
  @eventHandler({ params: z.object({ v: z.number().int(), label: z.string() }) })
  set({ v, label }: { v: number; label: string }) {
    this.v = v;
    this.label = label;
  }
  override render() {
    return html`<main>${liveComponent(Shown, { id: "s", v: this.v, label: this.label })}</main>`;
  }
}

/** A template component whose template fails while `count` is 3 (it places an unknown name). */
class Flaky extends LiveComponent {
  static override templateName = "components/flaky.html";
  id = "";
  label = "";
  count = 0;
  @eventHandler({ params: z.object({ count: z.number().int(), label: z.string() }) })
  set({ count, label }: { count: number; label: string }) {
    this.count = count;
    this.label = label;
  }
}

class FlakyPage extends LiveView {
  override render() {
    return html`<main>${liveComponent(Flaky, { id: "f" })}</main>`;
  }
}

/** A template component: placed by {@link Card}, and updated by its page's `sendUpdate`. */
class Chip extends LiveComponent {
  static override templateName = "components/chip.html";
  id = "";
  label = "";
  k = 0;
}

class Card extends LiveComponent {
  static override templateName = "components/card.html";
  id = "";
  label = "";
}

/**
 * `go` updates the chip (`sendUpdate`), then the card places it again with a new label: the chip
 * renders twice in one pass; `show` places another chip, of the same template.
 */
class CardPage extends LiveView {
  title = "t0";
  other = false;
  @eventHandler
  show() {
    this.other = true;
  }
  @eventHandler({ params: z.object({ title: z.string(), k: z.number().int() }) })
  go({ title, k }: { title: string; k: number }) {
    this.title = title;
    this.sendUpdate(Chip, "chip", { k });
  }
  override render() {
    return html`<main>${liveComponent(Card, { id: "card", label: this.title })}${this.other ? liveComponent(Chip, { id: "other", label: "x" }) : ""}</main>`;
  }
}

describe("LiveComponents", () => {
  const live = serveLive({ templateDirs: [templates] }, (app) => {
    app
      .live("/", CounterPage)
      .live("/big/", BigPage)
      .live("/badges/", BadgeView)
      .live("/picky/", PickyPage)
      .live("/nested/", NestedPage)
      .live("/pokes/", PokePage)
      .live("/pokes-mounted/", PokedPage)
      .live("/boxes/", BoxPage)
      .live("/pair/", PairPage)
      .live("/flaky/", FlakyPage)
      .live("/cards/", CardPage);
    app.component(Counter).component(Chip);
  });
  const { backend, logger } = live;

  beforeEach(() => {
    renders.clear();
    unmounted.length = 0;
  });

  async function joined(path = "/", client?: RawClient, page?: PageInfo) {
    page ??= await loadPage(`${live.url}${path}`);
    client ??= await RawClient.connect(live.url, { cookie: page.cookie });
    live.track(client);
    const reply = await client.join(page, live.url, { url: `${live.url}${path}` });
    assert.equal(reply.payload.status, "ok", JSON.stringify(reply.payload));
    return { page, client, rendered: response(reply).rendered as Wire };
  }

  function target(client: RawClient, page: PageInfo, cid: unknown, event: string, value = {}) {
    return client.push(`lv:${page.id}`, "event", { type: "click", event, value, cid });
  }

  const diffOf = (reply: Awaited<ReturnType<RawClient["push"]>>) => response(reply).diff as Wire;

  it("sends each component under c, referenced by cid from the parent, statics shared by cid", async () => {
    const { rendered } = await joined();
    // The loop's entries hold cids (integers), as Phoenix sends a component's place.
    assert.deepEqual((rendered[1] as Wire).k, { 0: { 0: 1 }, 1: { 0: 2 }, 2: { 0: 3 }, kc: 3 });
    const c = rendered.c as Record<string, Wire>;
    assert.deepEqual(Object.keys(c), ["1", "2", "3"]);
    // The first is whole, with the root flag the client needs to stamp data-phx-component.
    assert.ok(Array.isArray(c[1]?.s));
    assert.equal(c[1]?.r, 1);
    assert.deepEqual(c[1] && [c[1][0], c[1][1], c[1][2], c[1][3]], ["a", "A", "0", "1"]);
    // The others take cid 1's statics and values (positive: sent in the same map) and send
    // only what differs: the id, the label and myself.
    assert.deepEqual(c[2], { 0: "b", 1: "B", 3: "2", s: 1 });
    assert.deepEqual(c[3], { 0: "c", 1: "C", 3: "3", s: 2 });
  });

  it("runs a component's event on that component alone: only its render and its diff", async () => {
    const { page, client } = await joined();
    renders.clear();
    const reply = await target(client, page, 2, "inc");
    assert.deepEqual(diffOf(reply), { c: { 2: { 2: "1" } } });
    assert.deepEqual([...renders], [["b", 1]]);
    // The view's own change renders the view and no component.
    renders.clear();
    const renamed = await client.event(page, "click", "rename", { title: "New" });
    assert.deepEqual(diffOf(renamed), { 0: "New" });
    assert.equal(renders.size, 0);
  });

  it("runs the pipeline for component events: validation, the reply, permissions, rate limits", async () => {
    const { page, client } = await joined();
    const bad = await target(client, page, 1, "add", { by: "x" });
    assert.deepEqual(eventError(bad), {
      error: "validation_error",
      message: "Invalid parameters.",
      details: { by: ["Enter a whole number."] },
    });
    const added = await target(client, page, 1, "add", { by: "4" });
    assert.deepEqual(diffOf(added), { c: { 1: { 2: "4" } }, r: { count: 4 } });
    const denied = await target(client, page, 1, "reset");
    // An anonymous caller missing a permission is unauthenticated (DESIGN §10).
    assert.deepEqual(eventError(denied), {
      error: "unauthenticated",
      message: "Authentication credentials were not provided or are invalid.",
    });
    assert.equal(diffOf(await target(client, page, 1, "once")).c !== undefined, true);
    const limited = await target(client, page, 1, "once");
    assert.equal(eventError(limited)?.error, "rate_limited");
    const unknown = await target(client, page, 1, "nope");
    assert.deepEqual(eventError(unknown), {
      error: "not_found",
      message: 'Counter has no handler "nope".',
    });
  });

  it("applies sendUpdate from the view to the named component only", async () => {
    const { page, client } = await joined();
    renders.clear();
    const reply = await client.event(page, "click", "poke", { id: "c", count: "7" });
    assert.deepEqual(diffOf(reply), { c: { 3: { 2: "7" } } });
    assert.deepEqual([...renders], [["c", 1]]);
    // A component not on the page: logged, nothing sent.
    const missing = await client.event(page, "click", "poke", { id: "zz", count: "1" });
    assert.equal(response(missing).diff, undefined);
    assert.ok(logger.lines.some((l) => /sendUpdate to Counter with id "zz"/.test(l.message)));
  });

  it("destroys a removed component only once the client confirms, and answers its cids", async () => {
    const { page, client } = await joined();
    const dropped = await client.event(page, "click", "drop", {});
    assert.deepEqual(diffOf(dropped), { 1: { k: { kc: 2 } } });
    const will = await client.push(`lv:${page.id}`, "cids_will_destroy", { cids: [3] });
    assert.deepEqual(will.payload, { status: "ok", response: {} });
    // Still there until the second phase: its events still run.
    assert.deepEqual(diffOf(await target(client, page, 3, "inc")), { c: { 3: { 2: "1" } } });
    const destroyed = await client.push(`lv:${page.id}`, "cids_destroyed", { cids: [3, 99] });
    assert.deepEqual(destroyed.payload, { status: "ok", response: { cids: [3] } });
    assert.deepEqual(unmounted, ["c"]);
    const late = await target(client, page, 3, "inc");
    assert.deepEqual(eventError(late), {
      error: "not_found",
      message: "Component 3 of CounterPage was removed from the page.",
    });
    // Placed again: a new component (new cid), sharing statics with one the client has.
    const back = await client.event(page, "click", "add", { name: "c" });
    assert.deepEqual(diffOf(back), {
      1: { k: { 2: { 0: 4 }, kc: 3 } },
      c: { 4: { 0: "c", 1: "C", 3: "4", s: -2 } },
    });
  });

  it("keeps a component placed again between the two phases, and sends it whole", async () => {
    const { page, client } = await joined();
    await target(client, page, 3, "inc");
    await client.event(page, "click", "drop", {});
    await client.push(`lv:${page.id}`, "cids_will_destroy", { cids: [3] });
    const back = diffOf(await client.event(page, "click", "add", { name: "c" }));
    const c = back.c as Record<string, Wire>;
    // Same cid, state kept, sent afresh (the client reset its render of it): built on the
    // tree of cid 2, which the client has, instead of merged into its own.
    assert.deepEqual((back[1] as Wire).k, { 2: { 0: 3 }, kc: 3 });
    assert.deepEqual(c[3], { 0: "c", 1: "C", 2: "1", 3: "3", s: -2 });
    const destroyed = await client.push(`lv:${page.id}`, "cids_destroyed", { cids: [3] });
    assert.deepEqual(destroyed.payload, { status: "ok", response: { cids: [] } });
    assert.deepEqual(diffOf(await target(client, page, 3, "inc")), { c: { 3: { 2: "2" } } });
    assert.deepEqual(unmounted, []);
  });

  it("refuses bad targets with a clear error, keeps the state and the socket", async () => {
    const { page, client } = await joined();
    await target(client, page, 1, "inc");
    // Another page's components: cids 1-5 exist there, only 1-3 here.
    const other = await joined("/big/");
    assert.deepEqual(Object.keys((other.rendered.c as Wire) ?? {}), ["1", "2", "3", "4", "5"]);
    const foreign = await target(client, page, 5, "inc");
    assert.deepEqual(eventError(foreign), {
      error: "not_found",
      message: "CounterPage has no component 5.",
    });
    for (const cid of ["1", 1.5, -1, null, { cid: 1 }]) {
      const refused = await target(client, page, cid, "inc");
      assert.deepEqual(
        eventError(refused),
        {
          error: "validation_error",
          message: "cid must be a non-negative integer.",
          details: { cid: ["cid must be a non-negative integer."] },
        },
        JSON.stringify(cid),
      );
    }
    for (const cids of [undefined, "3", [1, "2"], [-1]]) {
      const reply = await client.push(`lv:${page.id}`, "cids_destroyed", { cids });
      assert.deepEqual(reply.payload, {
        status: "error",
        response: {
          error: "validation_error",
          message: "cids must be a list of non-negative integers.",
          details: { cids: ["cids must be a list of non-negative integers."] },
        },
      });
    }
    // Nothing was lost and the socket still works.
    assert.deepEqual(diffOf(await target(client, page, 1, "inc")), { c: { 1: { 2: "2" } } });
    assert.equal(client.closeCode, undefined);
  });

  it("renders again after a component's update failed the render: its placement is not kept", async () => {
    const { page, client } = await joined("/picky/");
    const failed = await client.event(page, "click", "set", { label: "" });
    assert.deepEqual(eventError(failed), { error: "handler_error", message: "Internal error." });
    assert.deepEqual(live.logger.lines.at(-1), {
      level: "error",
      message: "live channel failed to handle a frame",
    });
    // The next render places the component again, as any render does.
    const diff = diffOf(await client.event(page, "click", "set", { label: "fine" }));
    assert.deepEqual(diff, { c: { 1: { 0: "fine" } } });
    assert.equal(client.closeCode, undefined);
  });

  it("shows after a failed render what the components that rendered in it changed", async () => {
    const { page, client, rendered } = await joined("/pair/");
    const tree = new ClientTree(page.id, rendered as WirePayload);
    // Shown renders its new value, then Picky's update fails the pass: the client gets nothing.
    const failed = await client.event(page, "click", "set", { v: 1, label: "" });
    assert.deepEqual(eventError(failed), { error: "handler_error", message: "Internal error." });
    // The next step changes Picky alone: Shown's 1 must reach the client with it.
    tree.merge(
      diffOf(await client.event(page, "click", "set", { v: 1, label: "fine" })) as WirePayload,
    );
    assert.equal(stripClientAttributes(tree.html()), "<main><b>1<p>fine</p></b></main>");
  });

  it("shows after a failed render what the step changed of the component whose render failed", async () => {
    const { page, client, rendered } = await joined("/flaky/");
    const tree = new ClientTree(page.id, rendered as WirePayload);
    assert.equal(stripClientAttributes(tree.html()), "<main><p> 0</p></main>");
    const failed = await target(client, page, 1, "set", { count: 3, label: "new" });
    assert.deepEqual(eventError(failed), { error: "handler_error", message: "Internal error." });
    // Only count changes now; the label the failed step set is shown with it.
    tree.merge(
      diffOf(await target(client, page, 1, "set", { count: 4, label: "new" })) as WirePayload,
    );
    assert.equal(stripClientAttributes(tree.html()), "<main><p>new 4</p></main>");
  });

  for (const [when, path] of [
    ["an event's", "/pokes/"],
    ["the join's", "/pokes-mounted/"],
  ] as const) {
    it(`sends whole, in ${when} payload, what leaned on a component that then rendered again`, async () => {
      const { page, client, rendered } = await joined(path);
      const tree = new ClientTree(page.id, rendered as WirePayload);
      if (path === "/pokes/") {
        tree.merge(diffOf(await client.event(page, "click", "add", {})) as WirePayload);
      }
      assert.equal(
        stripClientAttributes(tree.html()),
        "<main><div>late|same</div><div>x|same</div></main>",
      );
    });
  }

  it("renders twice in one pass a component with a child, which it places again, not twice", async () => {
    const { page, client, rendered } = await joined("/boxes/");
    const tree = new ClientTree(page.id, rendered as WirePayload);
    tree.merge(diffOf(await client.event(page, "click", "bump", {})) as WirePayload);
    assert.equal(
      stripClientAttributes(tree.html()),
      "<main><div>10<i>leaf</i></div><p>1</p></main>",
    );
  });

  for (const other of [false, true]) {
    it(`renders every slot of a template component rendered twice in one step, as it goes whole${other ? ", beside one of its template" : ""}`, async () => {
      const { page, client, rendered } = await joined("/cards/");
      const tree = new ClientTree(page.id, rendered as WirePayload);
      const shown = () => stripClientAttributes(tree.html());
      const x = other ? "<span>x/0</span>" : "";
      if (other) tree.merge(diffOf(await client.event(page, "click", "show", {})) as WirePayload);
      assert.equal(shown(), `<main><div>t0<span>t0/0</span></div>${x}</main>`);
      const step = { title: "t1", k: 1 };
      tree.merge(diffOf(await client.event(page, "click", "go", step)) as WirePayload);
      assert.equal(shown(), `<main><div>t1<span>t1/1</span></div>${x}</main>`);
    });
  }

  it("sends a component rendered twice in one step so the official client shows its last render", async () => {
    const { page, client, rendered } = await joined("/nested/");
    const tree = new ClientTree(page.id, rendered as WirePayload);
    const shown = () => stripClientAttributes(tree.html());
    assert.equal(shown(), "<main><section>0<div><i>0</i><i>0</i><i>0</i></div></section></main>");
    for (const [step, html] of [
      [{ at: 0, k: 0 }, "<main><section>0<div><i>10</i><i>0</i><i>0</i></div></section></main>"],
      [{ at: 1, k: 5 }, "<main><section>5<div><i>10</i><i>10</i><i>5</i></div></section></main>"],
      [{ at: 0, k: 6 }, "<main><section>6<div><i>20</i><i>10</i><i>6</i></div></section></main>"],
    ] as const) {
      tree.merge(diffOf(await target(client, page, 2, "bump", step)) as WirePayload);
      assert.equal(shown(), html, JSON.stringify(step));
    }
  });

  it("restores every component's state on a reconnect", async () => {
    const { page, client } = await joined();
    await target(client, page, 2, "inc");
    await target(client, page, 2, "inc");
    await target(client, page, 3, "add", { by: "5" });
    const saved = (await backend.get(page.id))?.savedAt;
    client.close();
    let stored = await backend.get(page.id);
    for (let i = 0; i < 100 && stored?.savedAt === saved; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      stored = await backend.get(page.id);
    }
    // Kept as fields of the record's state (`_c:<cid>`), one per component.
    assert.deepEqual(
      Object.keys(stored?.state ?? {}).filter((key) => key.startsWith("_c:")),
      ["_c:1", "_c:2", "_c:3"],
    );
    assert.deepEqual(
      restorable(stored ?? null)?.components?.list.map((c) => [
        c.cid,
        c.component,
        c.id,
        c.state.count,
      ]),
      [
        [1, "Counter", "a", 0],
        [2, "Counter", "b", 2],
        [3, "Counter", "c", 5],
      ],
    );
    const again = await joined("/", undefined, page);
    const c = again.rendered.c as Record<string, Wire>;
    assert.equal(c[1]?.[2], "0");
    assert.equal(c[2]?.[2] ?? c[1]?.[2], "2");
    assert.equal(c[3]?.[2], "5");
    assert.deepEqual(diffOf(await target(again.client, page, 2, "inc")), { c: { 2: { 2: "3" } } });
  });

  it("stores only the components that changed: each is a field of the record", async () => {
    // The next incremental write of the page's snapshot (durability "behind": 250 ms after);
    // other tests' views write theirs as their connections close.
    let id = "";
    const nextPatch = () =>
      new Promise<StoredPatch>((resolve, reject) => {
        const patch = backend.patch.bind(backend);
        const timer = setTimeout(() => reject(new Error("no snapshot write")), 2000);
        backend.patch = (key, written, ttl) => {
          if (key === id) {
            clearTimeout(timer);
            backend.patch = patch;
            resolve(written);
          }
          return patch(key, written, ttl);
        };
      });
    const page = await loadPage(`${live.url}/`);
    id = page.id;
    const { client } = await joined("/", undefined, page);
    let write = nextPatch();
    await target(client, page, 2, "inc");
    let patch = await write;
    assert.deepEqual([...patch.fields.keys()], ["_c:2"]);
    assert.deepEqual(JSON.parse(patch.fields.get("_c:2") ?? ""), {
      component: "Counter",
      id: "b",
      state: { id: "b", label: "B", count: 1 },
    });
    // The record's other parts keep the next cid only, not the components.
    assert.deepEqual(patch.record.components, { next: 4, list: [] });
    write = nextPatch();
    await client.event(page, "click", "rename", { title: "New" });
    patch = await write;
    assert.deepEqual([...patch.fields.keys(), ...patch.deltas.keys()], ["title"]);
    write = nextPatch();
    await client.push(`lv:${page.id}`, "cids_will_destroy", { cids: [3] });
    await client.push(`lv:${page.id}`, "cids_destroyed", { cids: [3] });
    patch = await write;
    assert.deepEqual(patch.removed, ["_c:3"]);
    const stored = restorable(await backend.get(page.id));
    assert.deepEqual(
      stored?.components?.list.map((c) => [c.cid, c.id, c.state.count]),
      [
        [1, "a", 0],
        [2, "b", 1],
      ],
    );
    assert.equal(stored?.components?.next, 4);
    assert.equal(Object.hasOwn(stored?.state ?? {}, "_c:1"), false);
  });

  it("places html`` components with liveComponent and tracks each one", async () => {
    const { page, client, rendered } = await joined("/badges/");
    const c = rendered.c as Record<string, Wire>;
    assert.equal(c[1]?.r, 1);
    assert.deepEqual(c[2], { 0: "2", 1: "y", s: 1 });
    assert.deepEqual(diffOf(await target(client, page, 2, "hit")), { c: { 2: { 2: "1" } } });
    // The view re-renders: update runs for both, only the renamed one changed.
    const renamed = diffOf(await client.event(page, "click", "rename", { at: "0", name: "z" }));
    assert.deepEqual(renamed, { c: { 1: { 1: "z" } } });
  });
});
