/**
 * The WebSocket transport, frame by frame, with a raw `ws` client.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import WebSocket from "ws";
import type { User } from "../../src/auth/user.js";
import { createApp, type DjustApp, type RunningServer } from "../../src/server/index.js";
import { liveTransportOf } from "../../src/server/live.js";
import { MemoryStateBackend } from "../../src/state/backends/memory.js";
import {
  eventError,
  loadPage,
  memoryLogger,
  RawClient,
  response,
  type PageInfo,
} from "./helpers.js";
import {
  ChatView,
  CounterView,
  CrashView,
  FormView,
  LeakyView,
  mounts,
  OtherView,
  PrivateView,
  RefundView,
  SecretView,
  StaffView,
} from "./views.js";
import { storedView } from "../support/stored-view.js";

describe("live transport over WebSocket", () => {
  let app: DjustApp;
  let server: RunningServer;
  let base: string;
  const logger = memoryLogger();
  const clients: RawClient[] = [];
  const backend = new MemoryStateBackend();
  const users = new Map<number, User>([
    [9, { id: 9, permissions: ["orders.refund"] }],
    [5, { id: 5, permissions: [] }],
    [77, { id: 77 }],
  ]);

  async function open(page: PageInfo, origin?: string | null): Promise<RawClient> {
    const client = await RawClient.connect(base, { cookie: page.cookie, origin });
    clients.push(client);
    return client;
  }

  async function joined(path = "/"): Promise<{ page: PageInfo; client: RawClient; topic: string }> {
    const page = await loadPage(`${base}${path}`);
    const client = await open(page);
    const reply = await client.join(page, base, { url: `${base}${path}` });
    assert.equal(reply.payload.status, "ok", JSON.stringify(reply.payload));
    return { page, client, topic: `lv:${page.id}` };
  }

  before(async () => {
    app = createApp({
      secretKey: "test-secret",
      logger,
      limits: { frameBytes: 4096, eventsPerSecond: 5, eventBurst: 10 },
      loadUser: (id) => users.get(Number(id)) ?? null,
      stateBackend: backend,
    });
    app
      .live("/", CounterView)
      .live("/form/", FormView)
      .live("/private/", PrivateView)
      .live("/leaky/", LeakyView)
      .live("/secret/", SecretView)
      .live("/staff/", StaffView)
      .live("/crash/", CrashView)
      .live("/chat/", ChatView)
      .live("/other/", OtherView)
      .live("/refund/", RefundView);
    server = await app.listen(0, "127.0.0.1");
    base = server.url;
  });

  beforeEach(() => {
    logger.lines.length = 0;
  });

  after(async () => {
    for (const client of clients) client.close();
    await server.close();
  });

  it("renders the page with the container attributes, CSRF meta tag and client script", async () => {
    const page = await loadPage(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(
      page.html,
      /<div id="phx-[\w-]+" data-phx-main data-phx-session="[^"]+" data-phx-static="">/,
    );
    assert.match(page.html, /<meta name="csrf-token" content="[^"]+">/);
    assert.match(
      page.html,
      /<script defer src="\/djust\/static\/djust\.[0-9a-f]{16}\.js"><\/script>/,
    );
    assert.match(page.html, /<span id="count">0<\/span>/);
    // A cookieless visitor gets a CSRF cookie and no session (DESIGN §12).
    assert.match(page.cookie, /csrftoken=/);
    assert.doesNotMatch(page.cookie, /djust_session=/);
  });

  it("answers heartbeats on the phoenix topic", async () => {
    const page = await loadPage(`${base}/`);
    const client = await open(page);
    const reply = await client.push("phoenix", "heartbeat", {}, null);
    assert.deepEqual(reply.payload, { status: "ok", response: {} });
    assert.equal(reply.topic, "phoenix");
  });

  it("replies to a join with the full rendered tree, restoring the dead render's state", async () => {
    const before = mounts.counter;
    const page = await loadPage(`${base}/`);
    assert.equal(mounts.counter, before + 1);
    const client = await open(page);
    const reply = await client.join(page, base);
    assert.equal(reply.payload.status, "ok");
    assert.equal(reply.joinRef, "1");
    const { rendered, liveview_version } = response(reply) as {
      rendered: Record<string, unknown>;
      liveview_version: string;
    };
    assert.match(liveview_version, /^1\.2\./);
    assert.ok(Array.isArray(rendered.s), "statics");
    assert.equal(rendered["1"], "0");
    assert.equal(rendered["0"], "static label");
    assert.equal(mounts.counter, before + 1, "the join restored the snapshot: no second mount");
  });

  it("replies to an event with a minimal diff and the handler's return value", async () => {
    const { page, client } = await joined();
    const reply = await client.event(page, "click", "inc", { value: "" });
    assert.equal(reply.payload.status, "ok");
    const diff = response(reply).diff as Record<string, unknown>;
    assert.deepEqual(diff, { "1": "1", r: { value: 1 } });
  });

  it("coerces dj-value-* strings and returns object replies as is", async () => {
    const { page, client } = await joined();
    const reply = await client.event(page, "click", "add", { by: "5", value: "" });
    assert.deepEqual(response(reply).diff, { "1": "5", r: { count: 5 } });
    const bad = await client.event(page, "click", "add", { by: "5 OR 1=1" });
    assert.equal(bad.payload.status, "ok", "a refused event still clears the loading state");
    assert.equal(eventError(bad)?.error, "validation_error");
  });

  it("decodes URL-encoded form submits", async () => {
    const { page, client } = await joined("/form/");
    const reply = await client.event(page, "form", "save", "name=Tea&qty=3&_unused_x=", {});
    assert.equal(reply.payload.status, "ok", JSON.stringify(reply.payload));
    const diff = response(reply).diff as Record<string, unknown>;
    assert.match(JSON.stringify(diff), /Tea/);
    assert.match(JSON.stringify(diff), /3/);
  });

  it("refuses mount, constructor, private and unknown methods; the socket stays open", async () => {
    const { page, client } = await joined();
    for (const name of ["mount", "constructor", "_secret", "render", "nope", "__proto__"]) {
      const reply = await client.event(page, "click", name, {});
      assert.equal(reply.payload.status, "ok", name);
      assert.equal(eventError(reply)?.error, "not_found", name);
      assert.equal(typeof eventError(reply)?.message, "string");
    }
    assert.equal(client.ws.readyState, WebSocket.OPEN);
    const ok = await client.event(page, "click", "inc", {});
    assert.equal(ok.payload.status, "ok");
  });

  it("reports a failing handler as handler_error together with its state change", async () => {
    const { page, client } = await joined();
    const reply = await client.event(page, "click", "boom", {});
    assert.deepEqual(reply.payload, {
      status: "ok",
      response: {
        diff: {
          "1": "100",
          e: [
            ["djust:error", { error: "handler_error", message: 'Handler "boom" raised an error.' }],
          ],
        },
      },
    });
  });

  it("sends pushEvent as e, pageTitle as t and renders flash", async () => {
    const { page, client } = await joined();
    const reply = await client.event(page, "click", "effects", {});
    const diff = response(reply).diff as Record<string, unknown>;
    assert.deepEqual(diff.e, [["highlight", { id: 7 }]]);
    assert.equal(diff.t, "New title");
    assert.match(JSON.stringify(diff), /Saved!/);
    const cleared = await client.event(page, "click", "lv:clear-flash", { key: "info" });
    assert.equal(response(cleared).diff !== undefined, true);
  });

  it("runs handleParams for pushPatch and for live_patch from the client", async () => {
    const { page, client, topic } = await joined();
    const reply = await client.event(page, "click", "next_page", {});
    assert.deepEqual(response(reply).live_patch, { kind: "push", to: "/?page=2" });
    assert.deepEqual(response(reply).diff, { "2": "2" });
    const patched = await client.push(topic, "live_patch", { url: `${base}/?page=7` });
    assert.equal(patched.payload.status, "ok");
    assert.deepEqual(response(patched).diff, { "2": "7" });
  });

  it("sends pushNavigate as live_redirect and redirect as redirect", async () => {
    const { page, client } = await joined();
    const nav = await client.event(page, "click", "nav", {});
    assert.deepEqual(response(nav).live_redirect, { kind: "push", to: "/other/" });
    const away = await client.event(page, "click", "away", {});
    assert.deepEqual(response(away).redirect, { to: "https://example.com/" });
  });

  it("joins the target of a live navigation in the same session", async () => {
    const page = await loadPage(`${base}/`);
    const client = await open(page);
    const reply = await client.join(page, base, { redirect: `${base}/other/`, url: undefined });
    assert.equal(reply.payload.status, "ok", JSON.stringify(reply.payload));
    assert.match(JSON.stringify(response(reply).rendered), /other/);
  });

  it("rejects a tampered token, a wrong CSRF token and a token for another topic", async () => {
    const page = await loadPage(`${base}/`);
    const client = await open(page);
    const tampered = page.token.replace(/^./, (c) => (c === "e" ? "f" : "e"));
    const bad = await client.join({ ...page, token: tampered }, base);
    assert.equal(bad.payload.status, "error");
    assert.equal(response(bad).error, "unauthenticated");
    const csrf = await client.join({ ...page, csrf: "not-the-token" }, base);
    assert.equal(csrf.payload.status, "error");
    assert.equal(response(csrf).error, "csrf_failed");
    const other = await client.push("lv:phx-someone-else", "phx_join", {
      url: `${base}/`,
      params: { _csrf_token: page.csrf },
      session: page.token,
    });
    assert.equal(other.payload.status, "error");
    // None of it closed the socket.
    assert.equal((await client.join(page, base)).payload.status, "ok");
  });

  it("refuses the upgrade for a foreign Origin", async () => {
    const page = await loadPage(`${base}/`);
    await assert.rejects(
      RawClient.connect(base, { cookie: page.cookie, origin: "https://evil.example" }),
      /403/,
    );
  });

  it("replies unmatched topic for events before a join", async () => {
    const page = await loadPage(`${base}/`);
    const client = await open(page);
    const reply = await client.event(page, "click", "inc", {});
    assert.deepEqual(reply.payload, { status: "error", response: { reason: "unmatched topic" } });
  });

  it("closes the socket with 1009 for a frame over limits.frameBytes", async () => {
    const { page, client } = await joined();
    client.event(page, "click", "inc", { blob: "x".repeat(5000) }).catch(() => undefined);
    assert.equal(await client.closed(), 1009);
  });

  it("rate-limits events per connection and closes with 4429 after 10 refusals", async () => {
    const { page, client } = await joined();
    const replies = await Promise.all(
      Array.from({ length: 14 }, () => client.event(page, "click", "inc", {}).catch(() => null)),
    );
    const limited = replies.filter((r) => r && eventError(r)?.error === "rate_limited");
    assert.ok(limited.length >= 3, `some events were refused (${limited.length})`);
    assert.equal(client.ws.readyState, WebSocket.OPEN, "a few refusals keep the socket open");
    // Heartbeats and joins spend no tokens.
    const beat = await client.push("phoenix", "heartbeat", {}, null);
    assert.equal(beat.payload.status, "ok");
    for (let i = 0; i < 10 && client.ws.readyState === WebSocket.OPEN; i++) {
      await client.event(page, "click", "inc", {}).catch(() => null);
    }
    assert.equal(await client.closed(), 4429);
  });

  it("checks handler permissions over the socket", async () => {
    const { page, client } = await joined("/refund/");
    const reply = await client.event(page, "click", "refund", {});
    assert.equal(reply.payload.status, "ok");
    assert.equal(eventError(reply)?.error, "unauthenticated");
    const cookie = (await app.sessions.login({ id: 9, permissions: ["orders.refund"] })).cookie;
    const page2 = await loadPage(`${base}/refund/`, cookie);
    const client2 = await open(page2);
    assert.equal(
      (await client2.join(page2, base, { url: `${base}/refund/` })).payload.status,
      "ok",
    );
    const ok = await client2.event(page2, "click", "refund", {});
    assert.equal(ok.payload.status, "ok");
    assert.match(JSON.stringify(response(ok).diff), /refunded/);
  });

  it("delivers broadcasts to every subscribed view as a diff push", async () => {
    const a = await joined("/chat/");
    const b = await joined("/chat/");
    const reply = await a.client.event(a.page, "form", "say", "text=hi+there");
    assert.equal(reply.payload.status, "ok");
    const pushed = await b.client.next((m) => m.event === "diff" && m.topic === b.topic);
    assert.match(JSON.stringify(pushed.payload), /hi there/);
    assert.equal(pushed.joinRef, "1");
  });

  it("restores the view after a disconnect instead of mounting again", async () => {
    const page = await loadPage(`${base}/`);
    const first = await open(page);
    await first.join(page, base);
    await first.event(page, "click", "inc", {});
    await first.event(page, "click", "inc", {});
    const before = mounts.counter;
    await liveTransportOf(app.context).disconnectAll();
    await first.closed();
    const second = await open(page);
    const reply = await second.join(page, base);
    assert.equal(reply.payload.status, "ok");
    assert.equal((response(reply).rendered as Record<string, unknown>)["1"], "2");
    assert.equal(mounts.counter, before, "no mount on rejoin");
  });

  it("mounts afresh when a stored snapshot cannot be decoded", async () => {
    const page = await loadPage(`${base}/`);
    await backend.set(
      page.id,
      storedView(
        { count: { $type: "NoSuchType", value: 1 } },
        { view: "CounterView", savedAt: Date.now() },
      ),
      60,
    );
    const before = mounts.counter;
    const client = await open(page);
    const reply = await client.join(page, base);
    assert.equal(reply.payload.status, "ok", JSON.stringify(reply.payload));
    assert.equal(mounts.counter, before + 1);
    assert.ok(
      logger.lines.some(
        (l) => l.level === "warn" && /restoring the snapshot failed/.test(l.message),
      ),
    );
  });

  it("re-runs mount before applying the snapshot for private fields without setup", async () => {
    const page = await loadPage(`${base}/private/`);
    assert.equal(mounts.priv > 0, true);
    const client = await open(page);
    await client.join(page, base, { url: `${base}/private/` });
    const before = mounts.priv;
    assert.equal(before, mounts.priv);
    const reply = await client.event(page, "click", "inc", {});
    assert.equal(reply.payload.status, "ok", "the private client exists after restore");
    assert.ok(mounts.priv >= 2, "mount ran again for the join (restore rule)");
  });

  it("falls back to mount with a warning when the state is not serializable", async () => {
    const page = await loadPage(`${base}/leaky/`);
    assert.ok(
      logger.lines.some((l) => l.level === "warn" && /LeakyView/.test(l.message)),
      JSON.stringify(logger.lines),
    );
    const client = await open(page);
    const reply = await client.join(page, base, { url: `${base}/leaky/` });
    assert.equal(reply.payload.status, "ok");
  });

  it("redirects anonymous users of loginRequired views and answers 403/500 pages", async () => {
    const secret = await fetch(`${base}/secret/?a=1`, { redirect: "manual" });
    assert.equal(secret.status, 302);
    assert.equal(secret.headers.get("location"), "/login/?next=%2Fsecret%2F%3Fa%3D1");
    const staff = await fetch(`${base}/staff/`, { redirect: "manual" });
    assert.equal(staff.status, 302, "anonymous → login");
    const cookie = (await app.sessions.login({ id: 5, permissions: [] })).cookie;
    const denied = await fetch(`${base}/staff/`, { headers: { cookie } });
    assert.equal(denied.status, 403);
    const crash = await fetch(`${base}/crash/`);
    assert.equal(crash.status, 500);
    const body = await crash.text();
    assert.doesNotMatch(body, /database is down/, "no stack without debug");
  });

  it("rejects a join after the session's user changed", async () => {
    const page = await loadPage(`${base}/`);
    const login = await app.sessions.login({ id: 77 });
    const client = await RawClient.connect(base, { cookie: login.cookie });
    clients.push(client);
    const reply = await client.join({ ...page, csrf: login.csrfToken }, base);
    assert.equal(reply.payload.status, "error");
    assert.equal(response(reply).reason, "stale");
  });

  it("serves the client bundle with immutable caching and ETag revalidation", async () => {
    const page = await loadPage(`${base}/`);
    const src = /src="(\/djust\/static\/[^"]+)"/.exec(page.html)?.[1];
    assert.ok(src);
    const hashed = await fetch(`${base}${src}`);
    assert.equal(hashed.status, 200);
    assert.match(hashed.headers.get("cache-control") ?? "", /immutable/);
    assert.match(hashed.headers.get("content-type") ?? "", /javascript/);
    const etag = hashed.headers.get("etag");
    assert.ok(etag);
    const stable = await fetch(`${base}/djust/static/djust.js`, {
      headers: { "if-none-match": etag },
    });
    assert.equal(stable.status, 304);
    assert.equal((await fetch(`${base}/djust/static/other.js`)).status, 404);
  });
});
