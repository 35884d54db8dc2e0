/**
 * Configured limits hold on every transport (DESIGN §12: every limit is an option): a lower
 * `limits.inputDepth` refuses deeper event values, form names and API bodies with the exact
 * error; `limits.viewsPerConnection` refuses one join more; `limits.longPollSessions` keeps the
 * app's long-poll sessions at its figure however many cookieless clients open them. Each test
 * shows a good request working afterwards.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import type { MemorySessionStore } from "../../src/auth/session.js";
import type { MemoryStateBackend } from "../../src/state/backends/memory.js";
import type { DjustApp, RunningServer } from "../../src/server/index.js";
import { DEFAULT_LIMITS } from "../../src/server/context.js";
import { liveTransportOf } from "../../src/server/live.js";
import { eventError, RawClient } from "../live/helpers.js";
import { getPage, joinPayload, securityApp, type Page } from "./support.js";

/** `{"a":{"a":…1}}` with `levels` objects. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { a: 1 };
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}

const TOO_DEEP = "Input is nested too deeply (more than 4 levels).";

describe("security: configured limits", () => {
  let app: DjustApp;
  let server: RunningServer;
  let base: string;
  const clients: RawClient[] = [];

  before(async () => {
    app = securityApp({
      limits: {
        inputDepth: 4,
        viewsPerConnection: 2,
        longPollSessions: 100,
        // Out of the way: the global cap alone must hold, and no event is rate-limited.
        longPollSessionsPerClient: 1_000_000,
        eventsPerSecond: 1e6,
        eventBurst: 1e6,
      },
    });
    server = await app.listen(0, "127.0.0.1");
    base = server.url;
  });
  after(async () => {
    for (const c of clients) c.close();
    await server.close();
  });

  async function joined(): Promise<{ page: Page; client: RawClient; topic: string }> {
    const page = await getPage(base);
    const client = await RawClient.connect(base, { cookie: page.cookie });
    clients.push(client);
    const reply = await client.push(`lv:${page.id}`, "phx_join", joinPayload(base, page));
    assert.equal(reply.payload.status, "ok", JSON.stringify(reply.payload));
    return { page, client, topic: `lv:${page.id}` };
  }

  it("the defaults: inputDepth 32, viewsPerConnection 64", () => {
    assert.equal(DEFAULT_LIMITS.inputDepth, 32);
    assert.equal(DEFAULT_LIMITS.viewsPerConnection, 64);
    assert.equal(securityApp().context.options.limits.inputDepth, 32);
    assert.equal(app.context.options.limits.inputDepth, 4);
  });

  it("docs/security.md lists every limit with its default", async () => {
    const doc = await readFile(new URL("../../docs/security.md", import.meta.url), "utf8");
    const units: Record<string, number> = { KiB: 1024, MiB: 1024 * 1024 };
    for (const [name, value] of Object.entries(DEFAULT_LIMITS)) {
      const row = new RegExp(`^\\| \`limits\\.${name}\` \\| ([^|]+) \\|`, "m").exec(doc);
      assert.ok(row, `limits.${name} is in the table`);
      const [figure, unit] = row[1]!.trim().split(" ");
      const documented = Number(figure!.replaceAll(",", "")) * (unit ? (units[unit] ?? NaN) : 1);
      assert.equal(documented, value, `limits.${name}`);
    }
  });

  it("a limit that bounds nothing, or a misspelt one, is refused at startup", () => {
    const cases: [Record<string, unknown>, string][] = [
      // To ws a maximum payload of 0 means none.
      [{ frameBytes: 0 }, "limits.frameBytes must be an integer >= 1, got 0"],
      [{ outboundBytes: -1 }, "limits.outboundBytes must be an integer >= 1, got -1"],
      [{ snapshots: 1.5 }, "limits.snapshots must be an integer >= 1, got 1.5"],
      [{ sessions: Infinity }, "limits.sessions must be an integer >= 1, got Infinity"],
      [{ bodyBytes: "1mb" }, "limits.bodyBytes must be an integer >= 1, got 1mb"],
      [{ eventsPerSecond: 0 }, "limits.eventsPerSecond must be a positive number, got 0"],
      [{ eventsPerSecond: NaN }, "limits.eventsPerSecond must be a positive number, got NaN"],
      [
        { framebytes: 1024 },
        `limits.framebytes is not a limit (the limits are ${Object.keys(DEFAULT_LIMITS).join(", ")})`,
      ],
      [
        JSON.parse('{"__proto__": {"frameBytes": 1}}') as Record<string, unknown>,
        `limits.__proto__ is not a limit (the limits are ${Object.keys(DEFAULT_LIMITS).join(", ")})`,
      ],
    ];
    for (const [limits, message] of cases) {
      assert.throws(() => securityApp({ limits }), {
        name: "RangeError",
        message: `createApp: ${message}`,
      });
    }
    // Limits not given as an object of limits (from JavaScript or a config file).
    for (const [limits, got] of [
      [1024, "1024"],
      [null, "null"],
      ["frameBytes", "frameBytes"],
      [[{ frameBytes: 1 }], "an array"],
    ] as const) {
      assert.throws(() => securityApp({ limits: limits as unknown as Record<string, number> }), {
        name: "TypeError",
        message: `createApp: limits must be an object of limits by name, got ${got}`,
      });
    }
    // A fraction of an event per second is a rate; unset (undefined) limits keep the default.
    const slow = securityApp({ limits: { eventsPerSecond: 0.5, frameBytes: undefined } });
    assert.equal(slow.context.options.limits.eventsPerSecond, 0.5);
    assert.equal(slow.context.options.limits.frameBytes, DEFAULT_LIMITS.frameBytes);
  });

  it("inputDepth 4: a 5-level event value or hook payload is refused, 4 levels pass", async () => {
    const { client, topic } = await joined();
    for (const type of ["click", "hook"]) {
      const refused = await client.push(topic, "event", {
        type,
        event: "echo",
        value: nested(5),
      });
      assert.deepEqual(eventError(refused), {
        error: "validation_error",
        message: TOO_DEEP,
        details: { __all__: [TOO_DEEP] },
      });
      const good = await client.push(topic, "event", { type, event: "echo", value: nested(4) });
      assert.equal(eventError(good), undefined);
      assert.deepEqual((good.payload.response as { diff: { r: unknown } }).diff.r, {
        keys: ["a"],
      });
    }
    const meta = await client.push(topic, "event", {
      type: "click",
      event: "echo",
      value: {},
      meta: nested(5),
    });
    assert.equal(eventError(meta)?.message, TOO_DEEP);
  });

  it("inputDepth 4: a form name of 5 segments is refused, 4 pass", async () => {
    const { client, topic } = await joined();
    const form = (value: string) =>
      client.push(topic, "event", { type: "form", event: "echo", value });
    const refused = await form("a[b][c][d][e]=1");
    assert.equal(eventError(refused)?.error, "validation_error");
    assert.equal(eventError(refused)?.message, TOO_DEEP);
    const good = await form("a[b][c][d]=1");
    assert.equal(eventError(good), undefined);
    assert.deepEqual((good.payload.response as { diff: { r: unknown } }).diff.r, {
      keys: ["a"],
    });
  });

  it("inputDepth 4: a 5-level HTTP API body is 400 validation_error, 4 levels are 200", async () => {
    const page = await getPage(base);
    const call = (body: unknown) =>
      fetch(`${base}/djust/api/counter/echo/`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          cookie: page.cookie,
          "x-csrftoken": page.csrf,
        },
        body: JSON.stringify(body),
      });
    const refused = await call(nested(5));
    assert.equal(refused.status, 400);
    assert.deepEqual(await refused.json(), {
      error: "validation_error",
      message: TOO_DEEP,
      details: { __all__: [TOO_DEEP] },
    });
    const good = await call(nested(4));
    assert.equal(good.status, 200);
    assert.deepEqual(((await good.json()) as { result: unknown }).result, { keys: ["a"] });
  });

  it("snapshots 50: 500 cookieless page loads keep at most 50 view snapshots; the newest page joins", async () => {
    const small = securityApp({ limits: { snapshots: 50 } });
    const backend = small.context.stateBackend as MemoryStateBackend;
    for (let i = 0; i < 500; i++) {
      const res = await small.fetch(new Request("http://localhost/"));
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    }
    assert.ok(backend.size <= 50, `${backend.size} snapshots kept`);
    const running = await small.listen(0, "127.0.0.1");
    try {
      const page = await getPage(running.url);
      const client = await RawClient.connect(running.url, { cookie: page.cookie });
      clients.push(client);
      const reply = await client.push(`lv:${page.id}`, "phx_join", joinPayload(running.url, page));
      assert.equal(reply.payload.status, "ok");
      assert.ok(backend.size <= 50);
    } finally {
      await running.close();
    }
  });

  it("viewsPerConnection 2: the third view joined on one socket is refused; after a leave it joins", async () => {
    const first = await getPage(base);
    const pages = [
      first,
      await getPage(base, "/", first.cookie),
      await getPage(base, "/", first.cookie),
    ];
    const client = await RawClient.connect(base, { cookie: first.cookie });
    clients.push(client);
    const join = (page: Page) =>
      client.push(`lv:${page.id}`, "phx_join", joinPayload(base, page), page.id);
    assert.equal((await join(pages[0]!)).payload.status, "ok");
    assert.equal((await join(pages[1]!)).payload.status, "ok");
    const third = await join(pages[2]!);
    assert.deepEqual(third.payload, {
      status: "error",
      response: { reason: "join crashed", error: "rate_limited", message: "Too many views." },
    });
    const left = await client.push(`lv:${pages[0]!.id}`, "phx_leave", {}, pages[0]!.id);
    assert.equal(left.payload.status, "ok");
    assert.equal((await join(pages[2]!)).payload.status, "ok");
  });

  it("longPollSessions 100: 20,000 cookieless long-poll opens keep 100 sessions; a page's client still works", async () => {
    const transport = liveTransportOf(app.context);
    const open = async (cookie?: string) => {
      const res = await app.fetch(
        new Request("http://localhost/djust/live/longpoll", { headers: cookie ? { cookie } : {} }),
      );
      return (await res.json()) as { status: number; token: string };
    };
    const first = await open();
    let peak = 0;
    for (let i = 0; i < 20_000; i++) {
      const opened = await open();
      assert.equal(opened.status, 410);
      peak = Math.max(peak, transport.longPollCount);
      // app.fetch runs in this process: let the server's sockets and timers run now and then.
      if (i % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(peak, 100, "never more than limits.longPollSessions");
    assert.equal(transport.longPollCount, 100);
    const store = app.context.sessions.store as MemorySessionStore;
    assert.equal(store.size, 0, "cookieless opens store no session");
    // The oldest session was closed to make room: its token no longer carries frames.
    const stale = await app.fetch(
      new Request(`http://localhost/djust/live/longpoll?token=${encodeURIComponent(first.token)}`, {
        method: "POST",
        body: "",
      }),
    );
    assert.deepEqual(await stale.json(), { status: 410 });
    // A browser with a page opens a session, joins over it and polls its reply.
    const page = await getPage(base);
    const session = await open(page.cookie);
    const url = `${base}/djust/live/longpoll?token=${encodeURIComponent(session.token)}`;
    const frame = JSON.stringify(["1", "1", `lv:${page.id}`, "phx_join", joinPayload(base, page)]);
    const posted = await fetch(url, {
      method: "POST",
      headers: { cookie: page.cookie },
      body: frame,
    });
    assert.deepEqual(await posted.json(), { status: 200 });
    const polled = (await (await fetch(url, { headers: { cookie: page.cookie } })).json()) as {
      status: number;
      messages: string[];
    };
    assert.equal(polled.status, 200);
    const reply = polled.messages
      .map((m) => JSON.parse(m) as unknown[])
      .find((f) => f[3] === "phx_reply");
    assert.equal((reply?.[4] as { status: string }).status, "ok");
    assert.ok(transport.longPollCount <= 100);
  });
});
