/**
 * Nested live views over a real WebSocket: the dead render places each child inline, the
 * connected parent sends empty containers, each child joins its own `lv:` topic with its own
 * signed token and is restored from the snapshot its dead render left; events reach only the
 * child; a parent's leave ends its children but not a sticky one; and the refusals (forged or
 * missing token, no parent joined, unknown view, repeated id).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { serveLive } from "../support/live-server.js";
import { ClientTree, type WirePayload } from "../support/phoenix-client.js";
import { loadPage, RawClient, response, type Msg, type PageInfo } from "./helpers.js";
import {
  CounterChildView,
  mounts,
  NotesView,
  PageAView,
  PageBView,
  TwiceView,
  UnknownChildView,
} from "./nested-views.js";

const templates = fileURLToPath(new URL("../fixtures/templates", import.meta.url));

/** The container of child `id` in `html`: its attributes and the start of what is inside. */
function container(html: string, id: string) {
  const match = new RegExp(`<div id="${id}" ([^>]*)>`).exec(html);
  assert.ok(match, `no container #${id} in ${html}`);
  const attrs = match[1] as string;
  return {
    token: /data-phx-session="([^"]+)"/.exec(attrs)?.[1] ?? "",
    parent: /data-phx-parent-id="([^"]+)"/.exec(attrs)?.[1],
    sticky: attrs.includes("data-phx-sticky"),
    inner: html.slice(match.index + match[0].length, match.index + match[0].length + 200),
  };
}

/** The HTML the official client builds from a join reply's `rendered`. */
function shownBy(reply: Msg): string {
  return new ClientTree("view", response(reply).rendered as WirePayload).html();
}

describe("nested live views", () => {
  const live = serveLive({ templateDirs: [templates], debug: true }, (app) => {
    app
      .live("/", PageAView)
      .live("/b/", PageBView)
      .live("/unknown/", UnknownChildView)
      .live("/twice/", TwiceView)
      .register(CounterChildView)
      .register(NotesView);
  });
  const { logger } = live;

  async function connect(page: PageInfo) {
    const client = await RawClient.connect(live.url, { cookie: page.cookie });
    live.track(client);
    return client;
  }

  function joinChild(client: RawClient, page: PageInfo, id: string, token: string) {
    return client.push(`lv:${id}`, "phx_join", {
      params: { _csrf_token: page.csrf, _mounts: 0 },
      session: token,
      static: null,
    });
  }

  it("renders children inline in the dead render, each in its own container", async () => {
    const before = { ...mounts };
    const page = await loadPage(`${live.url}/`);
    assert.equal(page.status, 200);
    const counter = container(page.html, "counter");
    assert.equal(counter.parent, page.id);
    assert.equal(counter.sticky, false);
    assert.match(counter.inner, /<span id="count">Count: 5<\/span>/);
    const notes = container(page.html, "notes");
    assert.equal(notes.parent, undefined);
    assert.equal(notes.sticky, true);
    assert.match(notes.inner, /Notes: 0/);
    assert.equal(mounts.counter, before.counter + 1);
    assert.equal(mounts.notes, before.notes + 1);
  });

  it("joins each child on its own topic, restored from its dead render; events reach only it", async () => {
    const page = await loadPage(`${live.url}/`);
    const counter = container(page.html, "counter");
    const client = await connect(page);
    const main = await client.join(page, live.url);
    assert.equal(main.payload.status, "ok", JSON.stringify(main.payload));
    // Connected, the parent sends the containers empty: the browser joins the children.
    const shown = shownBy(main);
    assert.match(shown, new RegExp(`data-phx-parent-id="${page.id}"></div>`));
    assert.match(shown, /data-phx-sticky><\/div>/);
    assert.doesNotMatch(shown, /Count: 5/);

    const counted = mounts.counter;
    const child = await joinChild(client, page, "counter", counter.token);
    assert.equal(child.payload.status, "ok", JSON.stringify(child.payload));
    assert.match(shownBy(child), /<span id="count">Count: 5<\/span>/);
    assert.equal(mounts.counter, counted, "restored from the dead render, not mounted again");

    const reply = await client.push("lv:counter", "event", {
      type: "click",
      event: "inc",
      value: {},
    });
    assert.deepEqual(response(reply).diff, { "0": "6" });
    // The parent's topic saw nothing.
    assert.equal(
      client.received.filter((m) => m.topic === `lv:${page.id}`).length,
      0,
      JSON.stringify(client.received),
    );
    // The parent's events do not reach the child either.
    const parentReply = await client.event(page, "click", "click", {});
    assert.equal(parentReply.topic, `lv:${page.id}`);
    assert.match(JSON.stringify(response(parentReply).diff), /"1"/);
  });

  it("restores parent and child on a new socket (reconnect)", async () => {
    const page = await loadPage(`${live.url}/`);
    const counter = container(page.html, "counter");
    const first = await connect(page);
    assert.equal((await first.join(page, live.url)).payload.status, "ok");
    assert.equal((await joinChild(first, page, "counter", counter.token)).payload.status, "ok");
    await first.push("lv:counter", "event", { type: "click", event: "inc", value: {} });
    await first.event(page, "click", "click", {});
    first.close();
    await first.closed();

    const counted = { ...mounts };
    const second = await connect(page);
    const main = await second.join(page, live.url);
    assert.match(shownBy(main), /Parent clicks: 1/);
    // The rejoined parent renders the same child key: its fresh token restores the child.
    const fresh = container(shownBy(main), "counter").token;
    assert.notEqual(fresh, counter.token);
    const child = await joinChild(second, page, "counter", fresh);
    assert.match(shownBy(child), /Count: 6/);
    assert.equal(mounts.counter, counted.counter);
    assert.equal(mounts.pageA, counted.pageA);
  });

  it("ends a parent's children when it leaves, but not a sticky child", async () => {
    const page = await loadPage(`${live.url}/`);
    const client = await connect(page);
    await client.join(page, live.url);
    const counter = await joinChild(client, page, "counter", container(page.html, "counter").token);
    assert.equal(counter.payload.status, "ok");
    const notes = await joinChild(client, page, "notes", container(page.html, "notes").token);
    assert.equal(notes.payload.status, "ok");

    const left = await client.push(`lv:${page.id}`, "phx_leave", {});
    assert.equal(left.payload.status, "ok");
    const closed = await client.next((m) => m.topic === "lv:counter" && m.event === "phx_close");
    assert.deepEqual(closed.payload, {});
    // The sticky child still answers.
    const reply = await client.push("lv:notes", "event", {
      type: "click",
      event: "add",
      value: { text: "kept" },
    });
    assert.match(JSON.stringify(response(reply).diff), /kept/);
    const gone = await client.push("lv:counter", "event", {
      type: "click",
      event: "inc",
      value: {},
    });
    assert.deepEqual(gone.payload, { status: "error", response: { reason: "unmatched topic" } });
  });

  it("refuses a forged, missing or foreign child token, and a child without its parent", async () => {
    const page = await loadPage(`${live.url}/`);
    const counter = container(page.html, "counter");
    const client = await connect(page);
    const stale = {
      status: "error",
      response: {
        reason: "stale",
        error: "unauthenticated",
        message: "Invalid or expired session.",
      },
    };
    // Not joined yet: a genuine token still needs its parent on this connection.
    const orphan = await joinChild(client, page, "counter", counter.token);
    assert.deepEqual(orphan.payload, {
      status: "error",
      response: {
        reason: "unauthorized",
        error: "not_found",
        message: "The parent view is not joined on this connection.",
      },
    });
    await client.join(page, live.url);
    const forged = counter.token.replace(/^./, (c) => (c === "A" ? "B" : "A"));
    assert.deepEqual((await joinChild(client, page, "counter", forged)).payload, stale);
    assert.deepEqual((await joinChild(client, page, "counter", "")).payload, stale);
    // The child's token on another topic (its id is signed).
    assert.deepEqual((await joinChild(client, page, "other", counter.token)).payload, stale);
    // Another browser's page.
    const other = await loadPage(`${live.url}/`);
    const stranger = await connect(other);
    await stranger.join(other, live.url);
    assert.deepEqual((await joinChild(stranger, other, "counter", counter.token)).payload, {
      status: "error",
      response: {
        reason: "stale",
        error: "unauthenticated",
        message: "The page was rendered for another browser.",
      },
    });
  });

  it("names the template and line of a live_render of an unknown view", async () => {
    const page = await loadPage(`${live.url}/unknown/`);
    assert.equal(page.status, 500);
    const message =
      'nested_unknown.html:2:1: {% live_render %}: live_render: unknown view "Nope"; register it with app.register(View) (or app.live) and name it by its class name or API slug';
    assert.ok(page.html.includes(message.replaceAll('"', "&quot;")), page.html);
    assert.ok(logger.lines.some((line) => line.level === "error"));
  });

  it("refuses a child id placed twice by one parent", async () => {
    const page = await loadPage(`${live.url}/twice/`);
    assert.equal(page.status, 500);
    assert.ok(
      page.html.includes(
        "live_render: child id &quot;same&quot; is used twice in TwiceView; each child view needs its own id",
      ),
      page.html,
    );
  });
});
