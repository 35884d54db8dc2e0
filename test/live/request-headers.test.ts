/**
 * What a view sees as `request.headers`: the page request's on the dead render, the WebSocket
 * handshake's (without the handshake's own headers) once joined, read on mount and later.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import WebSocket from "ws";
import { eventHandler, LiveView, type LiveRequest } from "../../src/index.js";
import type { RenderContext, Rendered } from "../../src/render/tree.js";
import { createApp, type RunningServer } from "../../src/server/index.js";
import { html } from "../../src/template/html.js";
import { HeaderPairs } from "../../src/live/identity.js";
import { loadPage, nextLoopback } from "./helpers.js";

function describeHeaders(request: LiveRequest | undefined): string {
  const headers = request?.headers;
  if (!headers) return "none";
  return [
    `probe=${headers.get("x-probe") ?? "-"}`,
    `csrf-cookie=${/csrftoken=/.test(headers.get("cookie") ?? "")}`,
    `ws-key=${headers.get("sec-websocket-key") ?? "-"}`,
    `upgrade=${headers.get("upgrade") ?? "-"}`,
    `names=${[...headers.keys()].filter((n) => n.startsWith("x-")).join("+")}`,
  ].join(" ");
}

class HeadersView extends LiveView {
  seen = "";
  later = "";

  override mount(request: LiveRequest): void {
    this.seen = describeHeaders(request);
  }

  @eventHandler
  look(): void {
    this.later = describeHeaders(this.request);
  }

  override render(a: RenderContext): Rendered {
    return html`<p id="seen">${a.seen}</p><p id="later">${a.later}</p>`;
  }
}

describe("request.headers of a live view", () => {
  let server: RunningServer;
  let base: string;

  before(async () => {
    const app = createApp({
      secretKey: "test-secret",
      logger: { info() {}, warn() {}, error() {} },
    });
    app.live("/", HeadersView);
    server = await app.listen(0, "127.0.0.1");
    base = server.url;
  });

  after(async () => {
    await server.close();
  });

  it("are the page request's on the dead render", async () => {
    const res = await fetch(`${base}/`, { headers: { "x-probe": "page" } });
    const body = await res.text();
    assert.match(
      body,
      /<p id="seen">probe=page csrf-cookie=false ws-key=- upgrade=- names=x-probe<\/p>/,
    );
  });

  it("are the handshake's once joined, without its WebSocket headers, on mount and in later events", async () => {
    const page = await loadPage(`${base}/`);
    const ws = new WebSocket(`${base.replace(/^http/, "ws")}/djust/live/websocket?vsn=2.0.0`, {
      headers: { cookie: page.cookie, origin: base, "x-probe": "socket", "x-other": "two" },
      localAddress: nextLoopback(),
    });
    const replies: unknown[][] = [];
    const waiters: ((frame: unknown[]) => void)[] = [];
    ws.on("message", (data) => {
      const frame = JSON.parse(String(data)) as unknown[];
      const waiter = waiters.shift();
      if (waiter) waiter(frame);
      else replies.push(frame);
    });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    const next = () =>
      new Promise<unknown[]>((resolve) => {
        const ready = replies.shift();
        if (ready) resolve(ready);
        else waiters.push(resolve);
      });
    try {
      const topic = `lv:${page.id}`;
      ws.send(
        JSON.stringify([
          "1",
          "1",
          topic,
          "phx_join",
          { url: `${base}/`, params: { _csrf_token: page.csrf }, session: page.token },
        ]),
      );
      const join = JSON.stringify(await next());
      // The dead render's state was restored (its mount saw the page request); the view's
      // request is now the socket's: the join mounted nothing, so look at it in an event.
      assert.match(join, /"status":"ok"/);
      ws.send(
        JSON.stringify(["1", "2", topic, "event", { type: "click", event: "look", value: {} }]),
      );
      const reply = JSON.stringify(await next());
      assert.match(
        reply,
        /probe=socket csrf-cookie=true ws-key=- upgrade=- names=x-other\+x-probe/,
      );
      // Read again: the same headers.
      ws.send(
        JSON.stringify(["1", "3", topic, "event", { type: "click", event: "look", value: {} }]),
      );
      const again = JSON.stringify(await next());
      assert.match(again, /"status":"ok"/);
      assert.doesNotMatch(again, /probe=page/);
    } finally {
      ws.close();
    }
  });

  it("HeaderPairs reads as Headers does: any case, repeated values joined, handshake headers left out", () => {
    const pairs = HeaderPairs.fromNode(
      {
        cookie: "a=1; b=2",
        "x-many": ["one", "two"],
        upgrade: "websocket",
        "x-none": undefined,
      },
      new Set(["upgrade"]),
    );
    assert.equal(pairs.get("Cookie"), "a=1; b=2");
    assert.equal(pairs.get("x-many"), "one, two");
    assert.equal(pairs.get("upgrade"), null);
    assert.equal(pairs.get("x-none"), null);
    const headers = pairs.toHeaders();
    assert.deepEqual(
      [...headers],
      [
        ["cookie", "a=1; b=2"],
        ["x-many", "one, two"],
      ],
    );
    assert.deepEqual(HeaderPairs.of(headers).pairs, ["cookie", "a=1; b=2", "x-many", "one, two"]);
  });
});
