/**
 * Live transport benchmark: djust vs LiveViewJS 0.8.1, server side, event frame in → reply
 * frame out, for the same counter and 1,000-row table views; plus memory per idle connected view.
 *
 *   npx tsx bench/live.ts            # everything (≈ 1 minute)
 *   npx tsx bench/live.ts --quick    # shorter runs
 *
 * Both servers get the same text frames and are measured from "frame handed to the server" to
 * "reply frame handed to the socket" (JSON parse, dispatch, state change, render, diff, JSON
 * serialise), with no network in between, so the numbers compare the frameworks, not the
 * loopback. Events are sent one at a time (each waits for its reply), as one user would.
 * The memory section opens real WebSockets over loopback to a djust server in a child process.
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
// The package's `exports` map has no `types` condition, so NodeNext resolution cannot find its
// declarations by name; point at the file instead (types only, erased at run time).
import type * as Lvjs from "../node_modules/liveviewjs/dist/liveview.js";
import type {
  FileSystemAdaptor,
  FlashAdaptor,
  LiveViewRouter,
  SerDe,
  WsAdaptor,
} from "../node_modules/liveviewjs/dist/liveview.js";
import WebSocket from "ws";
import { LiveView, eventHandler } from "../src/index.js";
import { LiveConnection } from "../src/live/channel.js";
import type { ConnectionIdentity, LiveHost, LiveRoute } from "../src/live/host.js";
import { MemoryPubSub } from "../src/pubsub/memory.js";
import { DEFAULT_LIMITS } from "../src/server/context.js";
import { Presence } from "../src/presence/tracker.js";
import { MemoryRateLimitStore } from "../src/ratelimit/bucket.js";
import type { RenderContext, Rendered } from "../src/render/tree.js";
import { MemoryStateBackend } from "../src/state/backends/memory.js";
import { Signer } from "../src/auth/signing.js";
import { TokenSigner } from "../src/live/token.js";
import { signViewToken, browserBinding } from "../src/live/view-token.js";
import { html } from "../src/template/html.js";
import { z } from "zod";
import { percentile } from "./support.js";

const QUICK = process.argv.includes("--quick");
const SECONDS = QUICK ? 1.5 : 4;
const ROWS = 1000;
const CONNECTIONS = 1000;

// LiveViewJS downloads a MIME database from a CDN when it is imported; answer that request
// locally so the benchmark neither depends on the network nor logs a failure.
const realFetch = globalThis.fetch;
globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  if (url.includes("mime-db")) return new Response("{}", { status: 200 });
  return realFetch(input, init);
}) as typeof fetch;
const lvjs = (await import("liveviewjs" as string)) as typeof Lvjs;
const { createLiveView, html: lvjsHtml, SingleProcessPubSub, WsHandler } = lvjs;

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const silent = { info() {}, warn() {}, error: (m: string) => console.error(m) };

// ---------------------------------------------------------------------------------------------
// The views, written the idiomatic way in each framework.

interface Row {
  id: number;
  name: string;
  status: string;
}

function makeRows(): Row[] {
  return Array.from({ length: ROWS }, (_, i) => ({
    id: i,
    name: `Customer ${i}`,
    status: i % 3 === 0 ? "shipped" : "pending",
  }));
}

class DjCounter extends LiveView {
  count = 0;
  @eventHandler
  inc() {
    this.count++;
  }
  override render(a: RenderContext): Rendered {
    return html`<div><h1>Counter</h1><p>Count: <b>${a.count}</b></p><button dj-click="inc">+</button></div>`;
  }
}

class DjTable extends LiveView {
  rows: Row[] = makeRows();
  @eventHandler({ params: z.object({ id: z.number().int() }) })
  toggle({ id }: { id: number }) {
    const row = this.rows[id];
    if (row) row.status = row.status === "pending" ? "shipped" : "pending";
  }
  override render(a: RenderContext): Rendered {
    const rows = a.rows as Row[];
    return html`<table><tbody>${rows.map(
      (r) =>
        html`<tr><td>${r.id}</td><td>${r.name}</td><td>${r.status}</td><td><button dj-click="toggle" dj-value-id="${r.id}">toggle</button></td></tr>`,
    )}</tbody></table>`;
  }
}

const LvCounter = createLiveView<{ count: number }, { type: "inc" }>({
  mount: (socket) => socket.assign({ count: 0 }),
  handleEvent: (_event, socket) => socket.assign({ count: socket.context.count + 1 }),
  render: (ctx) =>
    lvjsHtml`<div><h1>Counter</h1><p>Count: <b>${ctx.count}</b></p><button phx-click="inc">+</button></div>`,
});

const LvTable = createLiveView<{ rows: Row[] }, { type: "toggle"; id: string }>({
  mount: (socket) => socket.assign({ rows: makeRows() }),
  handleEvent: (event, socket) => {
    const rows = socket.context.rows;
    const row = rows[Number(event.id)];
    if (row) row.status = row.status === "pending" ? "shipped" : "pending";
    socket.assign({ rows });
  },
  render: (ctx) =>
    lvjsHtml`<table><tbody>${ctx.rows.map(
      (r) =>
        lvjsHtml`<tr><td>${r.id}</td><td>${r.name}</td><td>${r.status}</td><td><button phx-click="toggle" phx-value-id="${r.id}">toggle</button></td></tr>`,
    )}</tbody></table>`,
});

// ---------------------------------------------------------------------------------------------
// Harnesses: a server-side "socket" that hands frames in and resolves on the reply frame.

interface Harness {
  /** Sends a text frame; resolves with the reply frame's text. */
  send(text: string): Promise<string>;
  join(): Promise<string>;
  eventFrame(): string;
}

const JOIN_CSRF = "bench-csrf";
const joinPayload = (url: string, session: string) => ({
  url,
  params: { _csrf_token: JOIN_CSRF, _mounts: 0 },
  session,
  static: null,
});

let nextId = 0;

/**
 * A request/reply channel over a one-frame-at-a-time server: `send` hands `text` to `deliver`
 * and resolves with the next frame the server writes through `reply`.
 */
function replyChannel(deliver: (text: string) => void) {
  let pending: ((text: string) => void) | undefined;
  return {
    reply: (text: string): void => {
      const resolve = pending;
      pending = undefined;
      resolve?.(text);
    },
    send: (text: string) =>
      new Promise<string>((resolve) => {
        pending = resolve;
        deliver(text);
      }),
  };
}

/** The event frames both harnesses send: a counter click, or a toggle cycling over the rows. */
function eventFrames(path: "/counter" | "/table", topic: string): () => string {
  let ref = 0;
  const event =
    path === "/counter"
      ? () => ({ type: "click", event: "inc", value: { value: "" } })
      : () => ({ type: "click", event: "toggle", value: { id: String(ref % ROWS), value: "" } });
  return () => JSON.stringify(["1", String(++ref), topic, "event", event()]);
}

function djustHost(): { host: LiveHost; routes: Map<string, LiveRoute> } {
  const routes = new Map<string, LiveRoute>([
    ["/counter", { key: "/counter", view: DjCounter, slug: "counter" }],
    ["/table", { key: "/table", view: DjTable, slug: "table" }],
  ]);
  const pubsub = new MemoryPubSub();
  const host: LiveHost = {
    env: {
      logger: silent,
      strictSerialization: false,
      debug: false,
      stateBackend: new MemoryStateBackend(),
      stateTtlSeconds: 3600,
      pubsub,
      rateLimits: new MemoryRateLimitStore(),
      inputDepth: DEFAULT_LIMITS.inputDepth,
      presence: new Presence(pubsub, { timeoutMs: 30_000, maxPerTopic: 10_000, logger: silent }),
      presencesPerView: 20,
    },
    viewTokens: new TokenSigner(new Signer("bench"), "view"),
    flashTokens: new TokenSigner(new Signer("bench"), "flash"),
    uploadTokens: new TokenSigner(new Signer("bench"), "upload"),
    tokenMaxAgeMs: 3600_000,
    limits: {
      frameBytes: 1 << 20,
      eventsPerSecond: 1e9,
      eventBurst: 1e9,
      outboundBytes: 1 << 30,
      longPollSessionsPerClient: 8,
      longPollSessions: 10_000,
      viewsPerConnection: DEFAULT_LIMITS.viewsPerConnection,
    },
    loginUrl: "/login/",
    html: { frameAncestors: "'self'" },
    perMessageDeflate: false,
    cookies: { secureCookies: false, trustedProxyCount: 0 },
    liveviewVersion: "1.2.12",
    routeByKey: (key) => routes.get(key),
    matchUrl: () => undefined,
  };
  return { host, routes };
}

const dj = djustHost();

function djustHarness(path: "/counter" | "/table"): Harness {
  // Same length as the LiveViewJS harness topic below, so bytes per frame compare like for like.
  const id = `phx-dj-${nextId++}`;
  const topic = `lv:${id}`;
  const channel = replyChannel((text) => void connection.receive(text));
  const identity: ConnectionIdentity = {
    user: null,
    session: {},
    caller: `session:${id}`,
    headers: new Headers(),
    transport: "websocket",
    verifyCsrf: (token) => token === JOIN_CSRF,
    csrfToken: JOIN_CSRF,
  };
  const connection = new LiveConnection(dj.host, identity, {
    send: channel.reply,
    close: () => {},
  });
  const token = signViewToken(dj.host.viewTokens, {
    id,
    route: path,
    params: {},
    uid: null,
    binding: browserBinding(JOIN_CSRF),
  });
  const send = channel.send;
  return {
    send,
    join: () =>
      send(
        JSON.stringify(["1", "0", topic, "phx_join", joinPayload(`http://bench${path}`, token)]),
      ),
    eventFrame: eventFrames(path, topic),
  };
}

const jsonSerDe: SerDe = {
  serialize: async (data: unknown) => JSON.stringify(data),
  deserialize: async (data: string) => JSON.parse(data) as Record<string, unknown>,
};
const noFiles = {} as FileSystemAdaptor;
const noFlash: FlashAdaptor = {
  peekFlash: async () => undefined,
  popFlash: async () => undefined,
  putFlash: async () => {},
  clearFlash: async () => {},
} as unknown as FlashAdaptor;
const lvRouter: LiveViewRouter = { "/counter": LvCounter, "/table": LvTable } as LiveViewRouter;
const lvPubSub = new SingleProcessPubSub();

function liveviewjsHarness(path: "/counter" | "/table"): Harness {
  const topic = `lv:phx-lv-${nextId++}`;
  // LiveViewJS's own socket adaptor parses the frame before handleMsg; so do we.
  const channel = replyChannel((text) => void handler.handleMsg(JSON.parse(text)));
  const ws: WsAdaptor = {
    send: channel.reply,
    subscribeToMessages: () => {},
    subscribeToClose: () => {},
  };
  const handler = new WsHandler(ws, {
    serDe: jsonSerDe,
    router: lvRouter,
    fileSysAdaptor: noFiles,
    flashAdaptor: noFlash,
    pubSub: lvPubSub,
  });
  const send = channel.send;
  return {
    send,
    join: () =>
      send(
        JSON.stringify([
          "1",
          "0",
          topic,
          "phx_join",
          joinPayload(`http://bench${path}`, JSON.stringify({ _csrf_token: JOIN_CSRF })),
        ]),
      ),
    eventFrame: eventFrames(path, topic),
  };
}

// ---------------------------------------------------------------------------------------------
// Measurement

interface Result {
  readonly name: string;
  readonly eventsPerSecond: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly bytesPerFrame: number;
  readonly joinBytes: number;
}

async function run(name: string, harness: Harness): Promise<Result> {
  const joinReply = await harness.join();
  if (!joinReply.includes('"ok"'))
    throw new Error(`${name}: join failed: ${joinReply.slice(0, 300)}`);
  const warmUntil = performance.now() + 500;
  while (performance.now() < warmUntil) await harness.send(harness.eventFrame());
  gc();
  const latencies: number[] = [];
  let bytes = 0;
  const start = performance.now();
  const end = start + SECONDS * 1000;
  while (performance.now() < end) {
    const frame = harness.eventFrame();
    const t0 = performance.now();
    const reply = await harness.send(frame);
    latencies.push((performance.now() - t0) * 1000);
    bytes += Buffer.byteLength(reply);
    if (process.env.BENCH_SHOW_FRAME && latencies.length === 1)
      console.log(`  ${name} reply: ${reply.slice(0, 300)}`);
  }
  const elapsed = (performance.now() - start) / 1000;
  return {
    name,
    eventsPerSecond: latencies.length / elapsed,
    p50Us: percentile(latencies, 50),
    p99Us: percentile(latencies, 99),
    bytesPerFrame: bytes / latencies.length,
    joinBytes: Buffer.byteLength(joinReply),
  };
}

const fmt = (n: number, d = 0) => n.toLocaleString("en-US", { maximumFractionDigits: d });

function printPair(title: string, a: Result, b: Result): void {
  console.log(`\n${title}`);
  console.log("  framework    events/s   p50 µs   p99 µs   bytes/frame   join bytes");
  for (const r of [a, b]) {
    console.log(
      `  ${r.name.padEnd(11)} ${fmt(r.eventsPerSecond).padStart(9)} ${fmt(r.p50Us).padStart(8)} ${fmt(r.p99Us).padStart(8)} ${fmt(r.bytesPerFrame).padStart(13)} ${fmt(r.joinBytes).padStart(12)}`,
    );
  }
  console.log(
    `  ratio djust/LiveViewJS: throughput ${(a.eventsPerSecond / b.eventsPerSecond).toFixed(2)}x, ` +
      `p50 ${(a.p50Us / b.p50Us).toFixed(2)}x, p99 ${(a.p99Us / b.p99Us).toFixed(2)}x, ` +
      `bytes/frame ${(a.bytesPerFrame / b.bytesPerFrame).toFixed(3)}x`,
  );
}

/** Heap growth per joined view, in-process, for both frameworks (same method, same view). */
async function memoryInProcess(
  make: () => Harness,
  count: number,
): Promise<{ perViewBytes: number }> {
  gc();
  await new Promise((r) => setTimeout(r, 50));
  gc();
  const before = process.memoryUsage().heapUsed;
  const keep: Harness[] = [];
  for (let i = 0; i < count; i++) {
    const h = make();
    await h.join();
    keep.push(h);
  }
  gc();
  await new Promise((r) => setTimeout(r, 50));
  gc();
  const after = process.memoryUsage().heapUsed;
  if (keep.length !== count) throw new Error("unreachable");
  return { perViewBytes: (after - before) / count };
}

// ---------------------------------------------------------------------------------------------
// Loopback: a real djust server in a child process, 1,000 real WebSocket connections.

async function serverChild(): Promise<void> {
  const { createApp } = await import("../src/server/index.js");
  const deflate = !process.argv.includes("--no-deflate");
  const app = createApp({
    secretKey: "bench",
    logger: silent,
    perMessageDeflate: deflate,
    // Every connection comes from 127.0.0.1, one caller: its bucket must not refuse joins.
    limits: { eventsPerSecond: 1e9, eventBurst: 1e9 },
  });
  app.live("/counter", DjCounter);
  app.live("/table", DjTable);
  const server = await app.listen(0, "127.0.0.1");
  process.on("message", (msg: { cmd: string }) => {
    if (msg.cmd === "cpu") {
      const { user, system } = process.cpuUsage();
      process.send?.({ us: user + system });
    } else if (msg.cmd === "mem") {
      gc();
      gc();
      const m = process.memoryUsage();
      process.send?.({ heapUsed: m.heapUsed, rss: m.rss });
    } else if (msg.cmd === "stop") {
      void server.close().then(() => process.exit(0));
    }
  });
  process.send?.({ url: server.url });
}

function ask<T>(child: ChildProcess, cmd: string): Promise<T> {
  return new Promise((resolve) => {
    child.once("message", (m) => resolve(m as T));
    child.send({ cmd });
  });
}

async function startChild(args: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(fileURLToPath(import.meta.url), ["--server-child", ...args], {
    execArgv: ["--import", "tsx", "--expose-gc"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const { url } = await new Promise<{ url: string }>((resolve) =>
    child.once("message", (m) => resolve(m as { url: string })),
  );
  return { child, url };
}

async function stopChild(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.send({ cmd: "stop" });
  await exited;
}

/** A page GET, then a WebSocket (offering permessage-deflate, as browsers do) and its join. */
async function pageAndJoin(url: string, path: string) {
  const res = await fetch(`${url}${path}`);
  const body = await res.text();
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const token = /data-phx-session="([^"]+)"/.exec(body)?.[1] ?? "";
  const id = /<div id="(phx-[^"]+)"/.exec(body)?.[1] ?? "";
  const csrf = /name="csrf-token" content="([^"]+)"/.exec(body)?.[1] ?? "";
  const ws = new WebSocket(`${url.replace("http", "ws")}/djust/live/websocket?vsn=2.0.0`, {
    headers: { cookie, origin: url },
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  const socket = (ws as unknown as { _socket: { bytesRead: number } })._socket;
  const start = socket.bytesRead;
  const reply = await new Promise<string>((resolve) => {
    ws.once("message", (data) => resolve(String(data)));
    ws.send(
      JSON.stringify([
        "1",
        "1",
        `lv:${id}`,
        "phx_join",
        { url: `${url}${path}`, params: { _csrf_token: csrf }, session: token },
      ]),
    );
  });
  if (!reply.includes('"ok"')) throw new Error(`join failed: ${reply.slice(0, 200)}`);
  return { ws, replyBytes: Buffer.byteLength(reply), wireBytes: socket.bytesRead - start };
}

/**
 * The 1,000-row table's join reply on a real socket, with and without permessage-deflate: bytes
 * read from the network for it, and the server's CPU time per page + join.
 */
async function wireJoin(deflate: boolean, joins: number) {
  const { child, url } = await startChild(deflate ? [] : ["--no-deflate"]);
  const first = await pageAndJoin(url, "/table");
  first.ws.close();
  const before = await ask<{ us: number }>(child, "cpu");
  for (let i = 0; i < joins; i++) (await pageAndJoin(url, "/table")).ws.close();
  const after = await ask<{ us: number }>(child, "cpu");
  await stopChild(child);
  return {
    replyBytes: first.replyBytes,
    wireBytes: first.wireBytes,
    cpuUsPerJoin: (after.us - before.us) / joins,
  };
}

async function memoryLoopback(count: number): Promise<{ heapPerView: number; rssPerView: number }> {
  const { child, url } = await startChild();
  // Warm-up: the first page builds the client bundle and compiles code paths.
  const sockets: WebSocket[] = [];
  const openOne = async () => {
    sockets.push((await pageAndJoin(url, "/counter")).ws);
  };
  for (let i = 0; i < 20; i++) await openOne();
  const before = await ask<{ heapUsed: number; rss: number }>(child, "mem");
  const start = sockets.length;
  // Bounded concurrency: 25 handshakes at a time.
  for (let i = 0; i < count; i += 25) {
    await Promise.all(Array.from({ length: Math.min(25, count - i) }, openOne));
  }
  const after = await ask<{ heapUsed: number; rss: number }>(child, "mem");
  const opened = sockets.length - start;
  for (const ws of sockets) ws.close();
  await stopChild(child);
  return {
    heapPerView: (after.heapUsed - before.heapUsed) / opened,
    rssPerView: (after.rss - before.rss) / opened,
  };
}

async function main(): Promise<void> {
  console.log(`Live transport benchmark (${SECONDS}s per case, Node ${process.version})`);
  const counter = [
    await run("djust", djustHarness("/counter")),
    await run("LiveViewJS", liveviewjsHarness("/counter")),
  ] as const;
  printPair("Counter (one slot changes per event)", counter[0], counter[1]);
  const table = [
    await run("djust", djustHarness("/table")),
    await run("LiveViewJS", liveviewjsHarness("/table")),
  ] as const;
  printPair(`Table of ${ROWS} rows (one cell changes per event)`, table[0], table[1]);

  const n = QUICK ? 200 : CONNECTIONS;
  const djMem = await memoryInProcess(() => djustHarness("/counter"), n);
  const lvMem = await memoryInProcess(() => liveviewjsHarness("/counter"), n);
  console.log(`\nMemory per idle joined counter view, in-process, ${n} views (heap growth / view)`);
  console.log(`  djust       ${(djMem.perViewBytes / 1024).toFixed(1)} KiB`);
  console.log(`  LiveViewJS  ${(lvMem.perViewBytes / 1024).toFixed(1)} KiB`);
  console.log(`  ratio djust/LiveViewJS ${(djMem.perViewBytes / lvMem.perViewBytes).toFixed(2)}x`);

  const joins = QUICK ? 20 : 100;
  const wire = { on: await wireJoin(true, joins), off: await wireJoin(false, joins) };
  console.log(
    `\n${ROWS}-row table join reply on a real WebSocket (page GET + join, ${joins} joins)`,
  );
  console.log("  permessage-deflate  reply bytes  bytes on the wire  server CPU µs/join");
  for (const [name, r] of Object.entries(wire)) {
    console.log(
      `  ${name.padEnd(18)} ${fmt(r.replyBytes).padStart(12)} ${fmt(r.wireBytes).padStart(18)} ${fmt(r.cpuUsPerJoin).padStart(19)}`,
    );
  }
  const lvJoin = table[1].joinBytes;
  console.log(
    `  LiveViewJS join reply ${fmt(lvJoin)} B; djust on the wire / LiveViewJS: ${(wire.on.wireBytes / lvJoin).toFixed(2)}x compressed, ${(wire.off.wireBytes / lvJoin).toFixed(2)}x plain`,
  );

  const loop = await memoryLoopback(n);
  console.log(`\ndjust over loopback: ${n} real WebSocket connections, each with a joined view`);
  console.log(`  heap per connection ${(loop.heapPerView / 1024).toFixed(1)} KiB`);
  console.log(`  RSS per connection  ${(loop.rssPerView / 1024).toFixed(1)} KiB`);
}

if (process.argv.includes("--server-child")) {
  void serverChild();
} else {
  await main();
  process.exit(0);
}
