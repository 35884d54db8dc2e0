/**
 * Attacks on the server's memory, measured in a child process (DESIGN §12): a WebSocket that
 * never reads while it keeps asking for large replies, and a 50 MiB long-poll POST. Each test
 * asserts the server's growth in MB and that it still answers a good request afterwards.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import WebSocket from "ws";
import { childServer, getPage, joinPayload, type ChildServer } from "./support.js";

/** A page load plus a join, the good request every attack must leave working. */
async function joinWorks(base: string): Promise<boolean> {
  const page = await getPage(base);
  const ws = new WebSocket(`${base.replace("http", "ws")}/djust/live/websocket?vsn=2.0.0`, {
    headers: { cookie: page.cookie, origin: base },
  });
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  const reply = new Promise<string>((resolve) =>
    ws.on("message", (data) => {
      const frame = JSON.parse(String(data)) as unknown[];
      if (frame[3] === "phx_reply") resolve((frame[4] as { status: string }).status);
    }),
  );
  ws.send(JSON.stringify(["1", "1", `lv:${page.id}`, "phx_join", joinPayload(base, page)]));
  const status = await reply;
  ws.close();
  return status === "ok";
}

describe("security: memory an attacker controls", () => {
  let server: ChildServer;

  before(async () => {
    // Rate limits out of the way: the outbound cap alone must hold.
    server = await childServer({ eventsPerSecond: 1e6, eventBurst: 1e6 });
  });
  after(() => server.close());

  it("a WebSocket that stops reading is closed at limits.outboundBytes (8 MiB)", async () => {
    const base = server.base;
    const before = await server.rss();
    const page = await getPage(base, "/big/");
    // No compression offered: each reply then queues its 200 kB (compressed, one queues about
    // 10 kB, and 500 of them stay under the cap, which counts the bytes queued).
    const ws = new WebSocket(`${base.replace("http", "ws")}/djust/live/websocket?vsn=2.0.0`, {
      headers: { cookie: page.cookie, origin: base },
      perMessageDeflate: false,
    });
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    // Stop reading: replies pile up in the server's send buffer.
    const socket = (
      ws as unknown as { _socket: { pause(): void; resume(): void; bytesRead: number } }
    )._socket;
    socket.pause();
    const closed = new Promise<number>((resolve) => ws.once("close", resolve));
    const join = JSON.stringify([
      "1",
      "1",
      `lv:${page.id}`,
      "phx_join",
      joinPayload(base, page, "/big/"),
    ]);
    // 500 joins × a 200 kB render = 100 MB of replies asked for.
    let sent = 0;
    for (; sent < 500 && ws.readyState === ws.OPEN; sent++) {
      ws.send(join);
      if (sent % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // Give the server time to queue replies, then read again: a socket the server dropped
    // reports its close, one it kept stays open.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const grown = (await server.rss()) - before;
    // What the server had queued is what crosses the wire.
    const readBefore = socket.bytesRead;
    socket.resume();
    const code = await Promise.race([
      closed,
      new Promise<number>((resolve) => setTimeout(() => resolve(-1), 10_000)),
    ]);
    assert.notEqual(code, -1, `the server closed the socket (after ${sent} joins)`);
    const received = socket.bytesRead - readBefore;
    assert.ok(received < 16 * 1048576, `${(received / 1048576).toFixed(1)} MB delivered`);
    assert.ok(grown < 40, `server grew by ${grown.toFixed(1)} MB (100 MB asked for)`);
    assert.ok(await joinWorks(base), "a good join still works");
  });

  it("a 50 MiB long-poll POST is refused after 6.4 MiB (frameBytes × 100) are read", async () => {
    const base = server.base;
    const before = await server.rss();
    const page = await getPage(base);
    const opened = (await (
      await fetch(`${base}/djust/live/longpoll`, { headers: { cookie: page.cookie } })
    ).json()) as { token: string };
    const url = new URL(`${base}/djust/live/longpoll?token=${encodeURIComponent(opened.token)}`);
    const chunk = Buffer.alloc(1024 * 1024, "a");
    let written = 0;
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        url,
        { method: "POST", headers: { cookie: page.cookie, "transfer-encoding": "chunked" } },
        (res) => {
          let body = "";
          res.on("data", (d: Buffer) => (body += d.toString()));
          res.on("end", () => resolve((JSON.parse(body) as { status: number }).status));
        },
      );
      req.on("error", reject);
      const pump = () => {
        while (written < 50) {
          written++;
          if (!req.write(chunk)) {
            req.once("drain", pump);
            return;
          }
        }
        req.end();
      };
      pump();
    });
    assert.equal(status, 410, "the session is closed");
    const grown = (await server.rss()) - before;
    assert.ok(grown < 30, `server grew by ${grown.toFixed(1)} MB for a 50 MiB body`);
    assert.ok(await joinWorks(base), "a good join still works");
  });
});
