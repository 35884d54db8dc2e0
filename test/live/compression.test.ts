/**
 * permessage-deflate on the WebSocket (issue 13): negotiated when the client offers it, large
 * replies compressed on the wire, small ones not, `perMessageDeflate: false` turns it off, and
 * a small compressed frame that inflates past `limits.frameBytes` closes the socket (1009)
 * while the next client is served; the server compresses and inflates each message in one
 * call, with no zlib stream kept per socket.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createRequire } from "node:module";
import { randomBytes } from "node:crypto";
import WebSocket from "ws";
import { LiveView } from "../../src/index.js";
import type { Rendered } from "../../src/render/tree.js";
import { createApp, type RunningServer } from "../../src/server/index.js";
import { html } from "../../src/template/html.js";
import { getPage, joinPayload, securityApp, seen } from "../security/support.js";

/**
 * The same 700 random characters twice: a deflate window of 1 KiB finds the second copy 700
 * bytes back, one of 512 bytes (9 bits) cannot.
 */
class RepeatView extends LiveView {
  block = randomBytes(525).toString("base64");
  override render(): Rendered {
    return html`<p>${this.block}</p><p>${this.block}</p>`;
  }
}

type ZlibFactory = (...args: unknown[]) => unknown;

/** The `zlib` module object ws calls (an ES import of it is a copy). */
const zlib = createRequire(import.meta.url)("node:zlib") as Record<
  "createInflateRaw" | "createDeflateRaw",
  ZlibFactory
>;

/** Counts the streams ws (or anyone) makes with `zlib[factory]` until `restore()`. */
function countStreams(factory: "createInflateRaw" | "createDeflateRaw"): {
  readonly made: number;
  restore(): void;
} {
  const original = zlib[factory];
  // Not writable, but configurable.
  const replace = (value: ZlibFactory) =>
    Object.defineProperty(zlib, factory, { value, configurable: true });
  const counter = { made: 0, restore: () => replace(original) };
  replace(function (this: unknown, ...args: unknown[]) {
    counter.made++;
    return Reflect.apply(original, this, args) as unknown;
  });
  return counter;
}

interface Joined {
  /** Negotiated extensions (`""` when none). */
  readonly extensions: string;
  /** Length of the join reply as text. */
  readonly replyChars: number;
  /** Bytes the socket read from the network for it (frame headers included). */
  readonly wireBytes: number;
  readonly status: string;
  readonly ws: WebSocket;
  /** The joined view's topic. */
  readonly topic: string;
  /** The server's `Sec-WebSocket-Extensions` answer (`""` when none). */
  readonly answer: string;
}

/** Resolves once `condition` holds (checked after each turn of the event loop), within 30 s. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not reached: ${condition.toString()}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const cookies = new WeakMap<WebSocket, string>();
const cookieOf = (joined: Joined): string => cookies.get(joined.ws) ?? "";

/**
 * Joins the view at `path` over a new WebSocket. `offer`: permessage-deflate offered, the
 * client compressing every message (as browsers do); `"plain"`: offered without
 * `client_max_window_bits` (as Firefox offers it); `{ serverMaxWindowBits }`: offered asking the
 * server for a window of at most that many bits; `false`: not offered.
 */
async function join(
  base: string,
  path: string,
  offer: boolean | "plain" | { readonly serverMaxWindowBits: number } = true,
): Promise<Joined> {
  const page = await getPage(base, path);
  const ws = new WebSocket(`${base.replace("http", "ws")}/djust/live/websocket?vsn=2.0.0`, {
    headers: { cookie: page.cookie, origin: base },
    perMessageDeflate:
      offer === false
        ? false
        : {
            threshold: 0,
            // ws's client leaves the parameter out for `false`; its types only say `number`.
            ...(offer === "plain" && { clientMaxWindowBits: false as unknown as number }),
            // Output in the smallest chunks, so that every back-reference further than one
            // chunk reads the window: a stream made with a larger window than asked fails.
            ...(typeof offer === "object" && { ...offer, zlibInflateOptions: { chunkSize: 64 } }),
          },
  });
  cookies.set(ws, page.cookie);
  let answer = "";
  ws.once("upgrade", (response) => {
    answer = String(response.headers["sec-websocket-extensions"] ?? "");
  });
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  const socket = (ws as unknown as { _socket: { bytesRead: number } })._socket;
  const start = socket.bytesRead;
  const reply = new Promise<string>((resolve, reject) => {
    ws.on("message", (data) => {
      const text = String(data);
      if ((JSON.parse(text) as unknown[])[3] === "phx_reply") resolve(text);
    });
    ws.once("close", (code) => reject(new Error(`closed before the join's reply: ${code}`)));
  });
  ws.send(JSON.stringify(["1", "1", `lv:${page.id}`, "phx_join", joinPayload(base, page, path)]));
  const text = await reply;
  const status = ((JSON.parse(text) as unknown[])[4] as { status: string }).status;
  return {
    extensions: ws.extensions,
    replyChars: text.length,
    wireBytes: socket.bytesRead - start,
    status,
    ws,
    topic: `lv:${page.id}`,
    answer,
  };
}

describe("WebSocket compression", () => {
  let on: RunningServer;
  let off: RunningServer;

  before(async () => {
    on = await securityApp().live("/repeat/", RepeatView).listen(0, "127.0.0.1");
    off = await securityApp({ perMessageDeflate: false }).listen(0, "127.0.0.1");
  });
  after(async () => {
    await on.close();
    await off.close();
  });

  it("is negotiated by default: a 200 kB join reply crosses the wire compressed", async () => {
    const big = await join(on.url, "/big/");
    assert.equal(big.status, "ok");
    assert.match(big.extensions, /^permessage-deflate/);
    assert.ok(big.replyChars > 200_000);
    assert.ok(big.wireBytes < big.replyChars / 20, `${big.wireBytes} B on the wire`);
    big.ws.close();
    // A client that does not offer it gets plain frames.
    const plain = await join(on.url, "/big/", false);
    assert.equal(plain.extensions, "");
    assert.ok(plain.wireBytes >= plain.replyChars);
    plain.ws.close();
  });

  it("compresses each large message in one call, without a zlib stream per socket; back-to-back replies arrive whole", async () => {
    // ws would make each socket a compressor with zlib.createDeflateRaw and keep it open.
    const deflaters = countStreams("createDeflateRaw");
    try {
      const first = await join(on.url, "/big/");
      assert.equal(first.status, "ok");
      assert.ok(first.wireBytes < first.replyChars / 20, `${first.wireBytes} B on the wire`);
      // Two more large joins on the same open socket, sent back to back: each reply arrives
      // whole and compressed.
      const replies: string[] = [];
      first.ws.on("message", (data) => {
        const text = String(data);
        if ((JSON.parse(text) as unknown[])[3] === "phx_reply") replies.push(text);
      });
      const socket = (first.ws as unknown as { _socket: { bytesRead: number } })._socket;
      const start = socket.bytesRead;
      for (const ref of ["2", "3"]) {
        const page = await getPage(on.url, "/big/", cookieOf(first));
        first.ws.send(
          JSON.stringify([
            "1",
            ref,
            `lv:${page.id}`,
            "phx_join",
            joinPayload(on.url, page, "/big/"),
          ]),
        );
      }
      await until(() => replies.length === 2);
      for (const text of replies) {
        assert.equal(((JSON.parse(text) as unknown[])[4] as { status: string }).status, "ok");
      }
      const chars = replies.reduce((sum, text) => sum + text.length, 0);
      assert.ok(socket.bytesRead - start < chars / 20, `${socket.bytesRead - start} B on the wire`);
      assert.equal(first.ws.readyState, WebSocket.OPEN);
      first.ws.close();
      // The client's own compressor (it compresses every message) is made by its own ws.
      assert.equal(deflaters.made, 1, "compressors made: the client's only");
    } finally {
      deflaters.restore();
    }
  });

  it("inflates a client's compressed messages, whole or in fragments, without a zlib stream per socket", async () => {
    // ws would make each socket an inflater with zlib.createInflateRaw and keep it open.
    const inflaters = countStreams("createInflateRaw");
    try {
      // This client compresses every message (threshold 0), as browsers do; the join too.
      const joined = await join(on.url, "/");
      assert.equal(joined.status, "ok");
      const { ws } = joined;
      const counts: string[] = [];
      ws.on("message", (data) => {
        const [, , , event, payload] = JSON.parse(String(data)) as [
          string,
          string,
          string,
          string,
          { response?: { diff?: Record<string, string> } },
        ];
        const count = payload.response?.diff?.["0"];
        if (event === "phx_reply" && count !== undefined) counts.push(count);
      });
      const click = (ref: string) =>
        JSON.stringify([
          "1",
          ref,
          joined.topic,
          "event",
          { type: "click", event: "inc", value: {} },
        ]);
      ws.send(click("2"));
      await until(() => counts.length === 1);
      // One message in three compressed frames: the first sets RSV1, the others continue it.
      const text = click("3");
      ws.send(text.slice(0, 10), { fin: false });
      ws.send(text.slice(10, 30), { fin: false });
      ws.send(text.slice(30), { fin: true });
      await until(() => counts.length === 2);
      assert.deepEqual(counts, ["1", "2"]);
      // A large message inflates past its first output chunk (16 KiB), its back-references
      // reaching into earlier chunks: the value arrives whole, its last field intact.
      const rows = Array.from({ length: 1500 }, (_, i) => ({
        id: i,
        name: `row ${(i * 7919) % 997}`,
      }));
      const large = JSON.stringify([
        "1",
        "4",
        joined.topic,
        "event",
        { type: "click", event: "configure", value: { opts: { rows, isAdmin: "last field" } } },
      ]);
      assert.ok(large.length > 40_000 && large.length < 64 * 1024, `${large.length} chars`);
      const configured = new Promise<unknown>((resolve) =>
        ws.on("message", (data) => {
          const [, ref, , , payload] = JSON.parse(String(data)) as unknown[];
          if (ref === "4") resolve((payload as { status: string }).status);
        }),
      );
      const before = seen.isAdmin.length;
      ws.send(large);
      assert.equal(await configured, "ok");
      assert.deepEqual(seen.isAdmin.slice(before), ["last field"]);
      assert.equal(inflaters.made, 0);
      ws.close();
    } finally {
      inflaters.restore();
    }
  });

  it("is negotiated with a client whether or not it offers to let the server choose its window", async () => {
    const plain = await join(on.url, "/", "plain");
    assert.equal(plain.status, "ok");
    assert.equal(plain.extensions, "permessage-deflate");
    // No window named either way (see the next test).
    const settings = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";
    assert.equal(plain.answer, settings);
    plain.ws.close();
    // A client that offers it (as Chrome does) gets the same answer: no window asked for.
    const offering = await join(on.url, "/");
    assert.equal(offering.status, "ok");
    assert.equal(offering.answer, settings);
    offering.ws.close();
  });

  it("honours a client that asks for a smaller server window, and one that asks for 8 bits gets its messages uncompressed", async () => {
    // ws refused these handshakes (400) while the server named its own window (10 bits).
    // A window zlib's raw deflate can make (9 bits and up): compressed with it. The client
    // inflates with the window it asked for, so a reply made with a larger one fails.
    for (const bits of [9, 12]) {
      const asking = await join(on.url, "/repeat/", { serverMaxWindowBits: bits });
      assert.equal(asking.status, "ok");
      assert.equal(
        asking.answer,
        `permessage-deflate; server_max_window_bits=${bits}; server_no_context_takeover; client_no_context_takeover`,
      );
      assert.ok(asking.wireBytes < asking.replyChars, `${bits} bits: compressed`);
      asking.ws.close();
    }
    // 8 bits (256 bytes): zlib's raw deflate has no window that small, so the server sends
    // this client's messages plain, which permessage-deflate allows for any message.
    const eight = await join(on.url, "/big/", { serverMaxWindowBits: 8 });
    assert.equal(eight.status, "ok");
    assert.equal(
      eight.answer,
      "permessage-deflate; server_max_window_bits=8; server_no_context_takeover; client_no_context_takeover",
    );
    assert.ok(eight.wireBytes >= eight.replyChars, "8 bits: sent plain");
    eight.ws.close();
  });

  it("a compressed frame that does not inflate closes its socket with 1007; the next client joins", async () => {
    const { ws } = await join(on.url, "/");
    const closed = new Promise<number>((resolve) => ws.once("close", resolve));
    // A final text frame with RSV1 set whose payload is not deflate data, masked as a
    // client's frames are.
    const payload = Buffer.from([0xff, 0xff, 0xff, 0xff]);
    const mask = Buffer.from([1, 2, 3, 4]);
    const masked = payload.map((byte, i) => byte ^ (mask[i % 4] as number));
    const frame = Buffer.concat([Buffer.from([0xc1, 0x80 | payload.length]), mask, masked]);
    (ws as unknown as { _socket: { write(data: Buffer): void } })._socket.write(frame);
    // 1007, as ws's own inflate closes it (within 30 s: not left open).
    const code = await Promise.race([
      closed,
      new Promise<string>((resolve) => setTimeout(resolve, 30_000, "still open").unref()),
    ]);
    assert.equal(code, 1007);
    const next = await join(on.url, "/");
    assert.equal(next.status, "ok");
    next.ws.close();
  });

  it("perMessageDeflate: false never negotiates it", async () => {
    const big = await join(off.url, "/big/");
    assert.equal(big.status, "ok");
    assert.equal(big.extensions, "");
    assert.ok(big.wireBytes >= big.replyChars);
    big.ws.close();
  });

  it("a small compressed frame that inflates past frameBytes closes the socket with 1009; the next client joins", async () => {
    const { ws } = await join(on.url, "/");
    const closed = new Promise<number>((resolve) => ws.once("close", resolve));
    const bomb = JSON.stringify(["1", "2", "lv:x", "event", { value: "a".repeat(1_000_000) }]);
    let compressed = 0;
    const socket = (ws as unknown as { _socket: { bytesWritten: number } })._socket;
    const start = socket.bytesWritten;
    ws.send(bomb, () => (compressed = socket.bytesWritten - start));
    assert.equal(await closed, 1009);
    assert.ok(compressed > 0 && compressed < 64 * 1024, `${compressed} B sent for 1 MB inflated`);
    const next = await join(on.url, "/");
    assert.equal(next.status, "ok");
    next.ws.close();
  });

  it("refuses a negative or fractional threshold at startup", () => {
    for (const threshold of [-1, 1.5]) {
      assert.throws(() => createApp({ secretKey: "k", perMessageDeflate: { threshold } }), {
        name: "RangeError",
        message: "createApp: perMessageDeflate.threshold must be an integer >= 0",
      });
    }
  });
});
