/**
 * Telemetry: the `djust:*` tracing channels of `node:diagnostics_channel` see mounts, events,
 * renders, API calls and joins with their view, handler, transport and outcome.
 */
import assert from "node:assert/strict";
import { tracingChannel } from "node:diagnostics_channel";
import { after, before, describe, it } from "node:test";
import { z } from "zod";
import { LiveView, eventHandler, html, permissionRequired, type Rendered } from "../src/index.js";
import {
  AllowAny,
  TRACE_CHANNELS,
  createApp,
  type RunningServer,
  type TraceContext,
} from "../src/server/index.js";
import { loadPage, memoryLogger, RawClient } from "./live/helpers.js";

class TracedView extends LiveView {
  static override apiAuthClasses = [AllowAny];
  static override csrfExempt = true;
  count = 0;

  @eventHandler({ exposeApi: true, params: z.object({ by: z.number().int() }) })
  add({ by }: { by: number }) {
    this.count += by;
    return { count: this.count };
  }

  @eventHandler({ exposeApi: true })
  @permissionRequired("admin")
  reset() {
    this.count = 0;
  }

  override render(): Rendered {
    return html`<p>${String(this.count)}</p>`;
  }
}

type Seen = { channel: string; phase: string; ctx: TraceContext };

describe("telemetry", () => {
  const seen: Seen[] = [];
  const unsubscribers: (() => void)[] = [];
  let server: RunningServer;

  before(async () => {
    for (const [name, channel] of Object.entries(TRACE_CHANNELS)) {
      const handlers = {
        start: (ctx: unknown) =>
          seen.push({ channel: name, phase: "start", ctx: { ...(ctx as TraceContext) } }),
        end: (ctx: unknown) =>
          seen.push({ channel: name, phase: "end", ctx: { ...(ctx as TraceContext) } }),
        asyncStart: () => {},
        asyncEnd: (ctx: unknown) =>
          seen.push({ channel: name, phase: "asyncEnd", ctx: { ...(ctx as TraceContext) } }),
        error: (ctx: unknown) =>
          seen.push({ channel: name, phase: "error", ctx: { ...(ctx as TraceContext) } }),
      };
      const traced = tracingChannel(channel);
      traced.subscribe(handlers);
      unsubscribers.push(() => traced.unsubscribe(handlers));
    }
    const app = createApp({ secretKey: "telemetry", logger: memoryLogger() });
    app.live("/", TracedView);
    server = await app.listen(0, "127.0.0.1");
  });
  after(async () => {
    for (const off of unsubscribers) off();
    await server.close();
  });

  const finished = (channel: string) =>
    seen.filter(
      (s) =>
        s.channel === channel &&
        (s.phase === "end" || s.phase === "asyncEnd") &&
        s.ctx.outcome !== undefined,
    );

  it("traces an API call, its mount and its event, with outcomes", async () => {
    seen.length = 0;
    const post = (handler: string, body: unknown) =>
      fetch(`${server.url}/djust/api/traced/${handler}/`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    assert.equal((await post("add", { by: 2 })).status, 200);
    assert.equal((await post("add", { by: "x" })).status, 400);
    assert.equal((await post("reset", {})).status, 401);

    const api = finished("api").map((s) => [
      s.ctx.view,
      s.ctx.handler,
      s.ctx.transport,
      s.ctx.outcome,
    ]);
    assert.deepEqual(api, [
      ["TracedView", "add", "http", "ok"],
      ["TracedView", "add", "http", "400"],
      ["TracedView", "reset", "http", "401"],
    ]);
    const events = finished("event").map((s) => [s.ctx.handler, s.ctx.outcome]);
    assert.deepEqual(events, [
      ["add", "ok"],
      ["add", "validation_error"],
      ["reset", "unauthenticated"],
    ]);
    assert.equal(finished("mount").length, 3);
    assert.ok(seen.some((s) => s.channel === "api" && s.phase === "start"));
  });

  it("traces a page load, a join, an event and its render over the WebSocket", async () => {
    seen.length = 0;
    const page = await loadPage(`${server.url}/`);
    const client = await RawClient.connect(server.url, { cookie: page.cookie });
    try {
      assert.equal((await client.join(page, server.url)).payload.status, "ok");
      await client.event(page, "click", "add", { by: "3" });
    } finally {
      client.close();
    }
    const mounts = finished("mount").map((s) => s.ctx.transport);
    assert.deepEqual(mounts, ["http", "websocket"], "dead render, then the join's restore");
    const joins = finished("join");
    assert.equal(joins.length, 1);
    assert.equal(joins[0]?.ctx.topic, `lv:${page.id}`);
    const events = finished("event").map((s) => [s.ctx.handler, s.ctx.transport, s.ctx.outcome]);
    assert.deepEqual(events, [["add", "websocket", "ok"]]);
    assert.ok(finished("render").length >= 2, "the full render of the join and the event's diff");
  });
});
