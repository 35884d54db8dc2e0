/**
 * Phoenix's long-poll transport, request by request.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { MemoryPubSub } from "../../src/pubsub/memory.js";
import { createApp, type RunningServer } from "../../src/server/index.js";
import { loadPage, memoryLogger } from "./helpers.js";
import { CounterView } from "./views.js";
import { AvatarView } from "./upload-views.js";
import { uploadTempDir } from "../../src/live/upload-writer.js";
import { readdir } from "node:fs/promises";

interface PollBody {
  status: number;
  token?: string;
  messages?: string[];
}

describe("live transport over long-poll", () => {
  let server: RunningServer;
  let base: string;

  before(async () => {
    const app = createApp({ secretKey: "lp-secret", logger: memoryLogger() });
    app.live("/", CounterView).live("/upload/", AvatarView);
    server = await app.listen(0, "127.0.0.1");
    base = server.url;
  });

  after(async () => {
    await server.close();
  });

  const endpoint = (token?: string) =>
    `${base}/djust/live/longpoll?vsn=2.0.0${token ? `&token=${encodeURIComponent(token)}` : ""}`;

  async function get(cookie: string, token?: string): Promise<PollBody> {
    const res = await fetch(endpoint(token), { headers: { cookie, accept: "application/json" } });
    assert.equal(res.status, 200);
    return (await res.json()) as PollBody;
  }

  async function post(cookie: string, token: string, frames: unknown[]): Promise<PollBody> {
    const res = await fetch(endpoint(token), {
      method: "POST",
      headers: { cookie, "content-type": "application/x-ndjson", origin: base },
      body: frames.map((f) => JSON.stringify(f)).join("\n"),
    });
    return (await res.json()) as PollBody;
  }

  it("opens a session, joins, sends events and polls for replies", async () => {
    const page = await loadPage(`${base}/`);
    const opened = await get(page.cookie);
    assert.equal(opened.status, 410, "no token yet: the server hands one out");
    assert.ok(opened.token);
    const token = opened.token;
    const topic = `lv:${page.id}`;
    const join = [
      "1",
      "1",
      topic,
      "phx_join",
      { url: `${base}/`, params: { _csrf_token: page.csrf }, session: page.token, static: null },
    ];
    const click = ["1", "2", topic, "event", { type: "click", event: "inc", value: {} }];
    assert.equal((await post(page.cookie, token, [join, click])).status, 200);
    const polled = await get(page.cookie, token);
    assert.equal(polled.status, 200);
    const frames = (polled.messages ?? []).map((m) => JSON.parse(m) as unknown[]);
    assert.equal(frames.length, 2);
    const [joinReply, clickReply] = frames as [unknown[], unknown[]];
    assert.equal(joinReply[3], "phx_reply");
    assert.equal((joinReply[4] as { status: string }).status, "ok");
    assert.deepEqual((clickReply[4] as { response: unknown }).response, {
      diff: { "1": "1", r: { value: 1 } },
    });
  });

  it("refuses a channel upload at its preflight (websocket_required); the session stays", async () => {
    const page = await loadPage(`${base}/upload/`);
    const { token } = await get(page.cookie);
    const topic = `lv:${page.id}`;
    const ref = /data-phx-upload-ref="([^"]+)"/.exec(page.html)![1]!;
    const join = [
      "1",
      "1",
      topic,
      "phx_join",
      {
        url: `${base}/upload/`,
        params: { _csrf_token: page.csrf },
        session: page.token,
        static: null,
      },
    ];
    const entry = { ref: "0", name: "a.png", size: 3, type: "image/png", last_modified: 1 };
    const allow = ["1", "2", topic, "allow_upload", { ref, entries: [entry] }];
    assert.equal((await post(page.cookie, token!, [join, allow])).status, 200);
    const frames = (await get(page.cookie, token)).messages!.map((m) => JSON.parse(m) as unknown[]);
    const reply = frames.find((f) => f[1] === "2")![4] as {
      status: string;
      response: { error: unknown; entries?: unknown; diff: unknown };
    };
    // phoenix's longpoll.js would send each chunk as base64 text: no token is handed out for
    // bytes that could not arrive; the client cancels the entry and the page shows the error.
    assert.equal(reply.status, "ok");
    assert.deepEqual(reply.response.error, [["0", "websocket_required"]]);
    assert.equal(reply.response.entries, undefined);
    assert.match(JSON.stringify(reply.response.diff), /websocket_required/);
    assert.deepEqual(await readdir(uploadTempDir()), []);
    const heartbeat = ["1", "3", "phoenix", "heartbeat", {}];
    assert.equal((await post(page.cookie, token!, [heartbeat])).status, 200, "the session stays");
  });

  it("answers 204 when nothing arrives, and 410 for a token of another browser", async () => {
    const page = await loadPage(`${base}/`);
    const { token } = await get(page.cookie);
    assert.ok(token);
    const started = Date.now();
    const idle = fetch(endpoint(token), { headers: { cookie: page.cookie } });
    // A heartbeat-free poll: send nothing; the server answers within its poll window.
    const other = await loadPage(`${base}/`);
    assert.equal((await get(other.cookie, token)).status, 410, "the token is bound to its session");
    const body = (await (await idle).json()) as PollBody;
    assert.equal(body.status, 204);
    assert.ok(Date.now() - started >= 1000);
  });

  it("refuses a POST with an unknown token", async () => {
    const page = await loadPage(`${base}/`);
    assert.equal(
      (await post(page.cookie, "bogus", [["1", "1", "phoenix", "heartbeat", {}]])).status,
      410,
    );
  });
});

describe("long-poll across two apps sharing a pub/sub (no sticky sessions)", () => {
  it("a request landing on the other app is relayed to the session's owner; another browser's token is refused there; once the owner closes, 410", async () => {
    const pubsub = new MemoryPubSub();
    const start = () => {
      const app = createApp({ secretKey: "lp-secret", logger: memoryLogger(), pubsub });
      app.live("/", CounterView);
      return app.listen(0, "127.0.0.1");
    };
    const [owner, other] = await Promise.all([start(), start()]);
    try {
      const at = (server: RunningServer, token?: string) =>
        `${server.url}/djust/live/longpoll?vsn=2.0.0${token ? `&token=${encodeURIComponent(token)}` : ""}`;
      const page = await loadPage(`${owner.url}/`);
      const call = async (url: string, cookie: string, frames?: unknown[]) => {
        const res = await fetch(url, {
          method: frames ? "POST" : "GET",
          headers: { cookie, origin: new URL(url).origin },
          ...(frames && { body: frames.map((f) => JSON.stringify(f)).join("\n") }),
        });
        return (await res.json()) as PollBody;
      };
      const { token } = await call(at(owner), page.cookie);
      assert.ok(token);
      const topic = `lv:${page.id}`;
      const join = [
        "1",
        "1",
        topic,
        "phx_join",
        { url: `${owner.url}/`, params: { _csrf_token: page.csrf }, session: page.token },
      ];
      const click = ["1", "2", topic, "event", { type: "click", event: "inc", value: {} }];
      // Frames and the poll sent to the other app run on the owner, in order.
      assert.deepEqual(await call(at(other, token), page.cookie, [join, click]), { status: 200 });
      const polled = await call(at(other, token), page.cookie);
      assert.equal(polled.status, 200);
      const frames = (polled.messages ?? []).map((m) => JSON.parse(m) as unknown[]);
      assert.deepEqual(
        frames.map((f) => [f[1], f[3], (f[4] as { status: string }).status]),
        [
          ["1", "phx_reply", "ok"],
          ["2", "phx_reply", "ok"],
        ],
      );
      assert.deepEqual((frames[1]![4] as { response: unknown }).response, {
        diff: { "1": "1", r: { value: 1 } },
      });
      // The token stays bound to its browser on every node.
      const stranger = await loadPage(`${other.url}/`);
      assert.deepEqual(await call(at(other, polled.token), stranger.cookie), { status: 410 });
      // The owner shuts down: its sessions are gone, wherever the client asks.
      await owner.close();
      assert.deepEqual(await call(at(other, polled.token), page.cookie), { status: 410 });
    } finally {
      await owner.close();
      await other.close();
    }
  });
});
