/**
 * Attacks over the live transports, through real sockets (DESIGN §10, §12): prototype
 * injection and deep values in events, token replay from another browser, rate limits that
 * must survive reconnects and cover joins and patches, replies before a 4429 close, long-poll
 * queues and sessions per client. Each test asserts its bound and that a good request still works.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createApp, type DjustApp, type RunningServer } from "../../src/server/index.js";
import { liveTransportOf } from "../../src/server/live.js";
import { eventError, memoryLogger, nextLoopback, RawClient } from "../live/helpers.js";
import { CounterView, getPage, joinPayload, seen, securityApp, type Page } from "./support.js";

describe("security: live transports", () => {
  let app: DjustApp;
  let server: RunningServer;
  let base: string;
  const clients: RawClient[] = [];
  const logger = memoryLogger();

  before(async () => {
    app = securityApp({
      logger,
      limits: { eventsPerSecond: 1, eventBurst: 8, outboundBytes: 64 * 1024 },
    });
    server = await app.listen(0, "127.0.0.1");
    base = server.url;
  });
  after(async () => {
    for (const c of clients) c.close();
    await server.close();
  });

  async function connect(page: Page, localAddress = nextLoopback()): Promise<RawClient> {
    const client = await RawClient.connect(base, { cookie: page.cookie, localAddress });
    clients.push(client);
    return client;
  }

  async function joined(localAddress?: string) {
    const page = await getPage(base);
    const client = await connect(page, localAddress);
    const reply = await client.push(`lv:${page.id}`, "phx_join", joinPayload(base, page));
    assert.equal(reply.payload.status, "ok", JSON.stringify(reply.payload));
    return { page, client, topic: `lv:${page.id}` };
  }

  const click = (event: string, value: unknown = {}) => ({ type: "click", event, value });

  it("an event value with __proto__ is refused (validation_error); no prototype reaches a handler", async () => {
    const { client, topic } = await joined();
    const before = seen.protoOfOpts.length;
    const attack = JSON.parse('{"opts":{"__proto__":{"isAdmin":true}}}') as unknown;
    const reply = await client.push(topic, "event", click("configure", attack));
    assert.equal(eventError(reply)?.error, "validation_error");
    const form = await client.push(topic, "event", {
      type: "form",
      event: "configure",
      value: "opts[__proto__][isAdmin]=1&opts[constructor][prototype][x]=1",
    });
    assert.equal(eventError(form), undefined);
    assert.deepEqual(seen.isAdmin.slice(before), [undefined], "form keys are dropped");
    assert.ok(seen.protoOfOpts.slice(before).every((p) => p === Object.prototype));
    assert.equal(({} as Record<string, unknown>).isAdmin, undefined);
    const good = await client.push(topic, "event", click("configure", { opts: { a: 1 } }));
    assert.equal(eventError(good), undefined);
  });

  it("a 10,000-deep value and form name are refused with validation_error, not a stack overflow", async () => {
    const { client, topic } = await joined();
    const logged = logger.lines.length;
    const deep = `${"[".repeat(10_000)}${"]".repeat(10_000)}`;
    client.sendRaw(
      `["1","9","${topic}","event",{"type":"click","event":"configure","value":{"opts":${deep}}}]`,
    );
    const reply = await client.next((m) => m.ref === "9");
    const tooDeep = "Input is nested too deeply (more than 32 levels).";
    assert.deepEqual(eventError(reply), {
      error: "validation_error",
      message: tooDeep,
      details: { __all__: [tooDeep] },
    });
    const name = `a${"[b]".repeat(10_000)}=1`;
    const form = await client.push(topic, "event", {
      type: "form",
      event: "configure",
      value: name,
    });
    assert.equal(eventError(form)?.error, "validation_error");
    assert.equal(eventError(form)?.message, tooDeep);
    assert.deepEqual(logger.lines.slice(logged), [], "no handler_error, no stack trace logged");
    assert.equal(eventError(await client.push(topic, "event", click("inc"))), undefined);
  });

  it("a view token joined from another browser is refused; its own browser joins", async () => {
    const victim = await getPage(base);
    const attacker = await getPage(base);
    assert.notEqual(victim.csrf, attacker.csrf);
    const client = await connect(attacker);
    const stolen = { ...joinPayload(base, victim), params: { _csrf_token: attacker.csrf } };
    const reply = await client.push(`lv:${victim.id}`, "phx_join", stolen);
    assert.equal(reply.payload.status, "error");
    assert.equal((reply.payload.response as { reason: string }).reason, "stale");
    const own = await connect(victim);
    const ok = await own.push(`lv:${victim.id}`, "phx_join", joinPayload(base, victim));
    assert.equal(ok.payload.status, "ok");
  });

  it("the event bucket is per caller and survives reconnects: 8 accepted of 40 over 5 sockets", async () => {
    const address = nextLoopback();
    let accepted = 0;
    const started = Date.now();
    for (let socket = 0; socket < 5; socket++) {
      const page = await getPage(base);
      const client = await connect(page, address);
      const join = await client.push(`lv:${page.id}`, "phx_join", joinPayload(base, page));
      if (join.payload.status === "ok") accepted++;
      for (let i = 0; i < 7; i++) {
        const reply = await client.push(`lv:${page.id}`, "event", click("inc"));
        // A refused join leaves the topic unjoined: its events are refused too.
        if (reply.payload.status === "ok" && !eventError(reply)) accepted++;
      }
      client.close();
    }
    const refill = Math.floor((Date.now() - started) / 1000);
    // Joins and events share the caller's bucket: burst 8 plus one per second elapsed.
    assert.ok(accepted <= 8 + refill + 1, `${accepted} accepted in ${Date.now() - started} ms`);
    assert.ok((await joined()).client, "another caller is served");
  });

  it("phx_join and live_patch spend tokens: the 9th of a burst of 8 is refused", async () => {
    const address = nextLoopback();
    const page = await getPage(base);
    const client = await connect(page, address);
    const statuses: string[] = [];
    for (let i = 0; i < 9; i++) {
      const reply = await client.push(`lv:${page.id}`, "phx_join", joinPayload(base, page));
      statuses.push(String(reply.payload.status));
    }
    assert.deepEqual(statuses.slice(0, 8), Array(8).fill("ok"));
    assert.equal(statuses[8], "error");
    const patch = await client.push(`lv:${page.id}`, "live_patch", { url: `${base}/?page=2` });
    assert.equal(eventError(patch)?.error, "rate_limited");
    const upload = await client.push(`lv:${page.id}`, "allow_upload", { ref: "0" });
    assert.equal((upload.payload.response as { error: string }).error, "rate_limited");
    assert.ok((await joined()).client, "another caller is served");
  });

  it("replies to events that ran are delivered before the 4429 close", async () => {
    const address = nextLoopback();
    const { client, topic } = await joined(address);
    const slow = client.push(topic, "event", click("slow"));
    // Spend the rest of the bucket, then 10 refusals close the socket.
    for (let i = 0; i < 20; i++)
      client.sendRaw(JSON.stringify(["1", `x${i}`, topic, "event", click("inc")]));
    const code = await client.closed();
    assert.equal(code, 4429);
    const reply = await slow;
    assert.equal(eventError(reply), undefined);
    assert.deepEqual((reply.payload.response as { diff: { r: unknown } }).diff.r, { done: true });
    assert.ok((await joined()).client, "another caller is served");
  });

  it("long-poll: 50 opens from one client keep 8 sessions; an unread queue closes at 64 KiB", async () => {
    const transport = liveTransportOf(app.context);
    const page = await getPage(base);
    const headers = { cookie: page.cookie };
    const tokens: string[] = [];
    for (let i = 0; i < 50; i++) {
      const body = (await (await fetch(`${base}/djust/live/longpoll`, { headers })).json()) as {
        token: string;
      };
      tokens.push(body.token);
    }
    assert.ok(transport.longPollCount <= 8, `${transport.longPollCount} sessions kept`);
    // Join a view and never poll: its replies queue until the cap closes the session.
    const token = tokens.at(-1) as string;
    const url = `${base}/djust/live/longpoll?token=${encodeURIComponent(token)}`;
    const join = JSON.stringify(["1", "1", `lv:${page.id}`, "phx_join", joinPayload(base, page)]);
    let status = 200;
    for (let i = 0; i < 200 && status === 200; i++) {
      const lines = Array.from({ length: 4 }, () => join).join("\n");
      status = (
        (await (await fetch(url, { method: "POST", headers, body: lines })).json()) as {
          status: number;
        }
      ).status;
      if (i > 100) assert.fail("the queue was never capped");
    }
    assert.equal(status, 410, "the session is closed when its queue passes 64 KiB");
    const fresh = (await (await fetch(`${base}/djust/live/longpoll`, { headers })).json()) as {
      status: number;
    };
    assert.equal(fresh.status, 410, "a new session opens (410 + token)");
  });

  it("the live bucket is shared through the app's store (one key per caller)", async () => {
    const store = new (await import("../../src/ratelimit/bucket.js")).MemoryRateLimitStore();
    const other = createApp({ secretKey: "k", rateLimitStore: store, logger: app.context.logger });
    other.live("/", CounterView);
    const running = await other.listen(0, "127.0.0.1");
    try {
      const page = await getPage(running.url);
      const client = await RawClient.connect(running.url, { cookie: page.cookie });
      clients.push(client);
      await client.push(`lv:${page.id}`, "phx_join", joinPayload(running.url, page));
      assert.equal(store.size, 1, "one bucket for the caller's connection messages");
    } finally {
      await running.close();
    }
  });
});
