/**
 * Live transport benchmark: djust vs LiveViewJS 0.8.1, server side, event frame in → reply
 * frame out, for the same counter and 1,000-row table views; plus memory per idle connected view.
 *
 *   npx tsx bench/live.ts                # everything (a few minutes)
 *   npx tsx bench/live.ts --quick        # shorter runs
 *   npx tsx bench/live.ts --child-only   # only the child-process comparison (below)
 *   npx tsx bench/live.ts --state-size   # only the per-event cost against state size (below)
 *   npx tsx bench/live.ts --events-only  # only the event throughput (counter, table)
 *
 * Both servers get the same text frames and are measured from "frame handed to the server" to
 * "reply frame handed to the socket" (JSON parse, dispatch, state change, render, diff, JSON
 * serialise), with no network in between, so the numbers compare the frameworks, not the
 * loopback. Events are sent one at a time (each waits for its reply), as one user would.
 *
 * The child-process section runs each framework as a real server in its own process (djust's
 * `createApp`; LiveViewJS on `node:http` + `ws` as its Express adaptor wires it) and drives both
 * over loopback the same way: connection set-up (page GET + WebSocket + join, one at a time and
 * 8 at a time, the servers alternating block by block, after a warm-up that brings each server
 * to its steady state) with the server's CPU time per set-up, beside a bare `node:http` + `ws`
 * server doing the same exchange with no framework work (the floor: what a framework adds is
 * its CPU above that one's), and memory per idle connected view (counter, 1,000-row table, a
 * view holding 100,000 rows): the child's heap and RSS after a full GC before and after opening
 * N connections (after N others as a warm-up). djust runs with its default memory state backend (which keeps each view's snapshot for reconnects, as
 * LiveViewJS cannot), with no snapshots at all, and with the snapshots in a real Redis.
 * The server children run `tsc`'s output of this file and of djust, as an installed djust runs
 * (`BENCH_TSX=1`: the source under tsx). `BENCH_CHILD_FLAGS="--cpu-prof"` passes Node flags to
 * the server children; `--setup-only`
 * (with `--child-only`) stops after the set-up part; `BENCH_SETUP_UNTIL=page` or `=open` stops
 * each set-up after the page GET, or once the WebSocket is open (no join), and
 * `BENCH_SETUP_ONLY=join` times the joins alone; `BENCH_SETUP_SERVERS=<regex>` keeps the
 * set-up servers whose names match.
 *
 * The state-size section (issue 13) drives template views holding 1,000, 10,000 and 100,000
 * rows in process, djust alone (the whole server per event: frame in, handler, change
 * tracking, render, diff, the snapshot written to the memory backend, reply out).
 * `BENCH_STATE_CASE=table-toggle-100000` runs one case of it (for a profile).
 */
import { execFile, fork, type ChildProcess } from "node:child_process";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { constants as zlibConstants, deflateRawSync } from "node:zlib";
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
// The same for the Express adaptor.
import type * as LvjsExpress from "../node_modules/@liveviewjs/express/dist/liveviewjs-express.js";
import WebSocket, { WebSocketServer } from "ws";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { createClient, type RedisClientType } from "redis";
import { LiveComponent, LiveView, eventHandler, liveComponent } from "../src/index.js";
import { LiveConnection } from "../src/live/channel.js";
import type { ConnectionIdentity, LiveHost, LiveRoute } from "../src/live/host.js";
import { MemoryPubSub } from "../src/pubsub/memory.js";
import { SessionConnections } from "../src/live/session-connections.js";
import { DEFAULT_LIMITS } from "../src/server/context.js";
import { Presence } from "../src/presence/tracker.js";
import { MemoryRateLimitStore } from "../src/ratelimit/bucket.js";
import type { RenderContext, Rendered } from "../src/render/tree.js";
import { MemoryStateBackend } from "../src/state/backends/memory.js";
import { RedisStateBackend } from "../src/state/backends/redis.js";
import type { StateBackend } from "../src/state/backends/types.js";
import { startRedis } from "../test/support/redis.js";
import { Signer } from "../src/auth/signing.js";
import { TokenSigner } from "../src/live/token.js";
import { signViewToken, browserBinding } from "../src/live/view-token.js";
import { html } from "../src/template/html.js";
import { TemplateLoader } from "../src/template/loader.js";
import type { LiveEnv } from "../src/live/host.js";
import type { LiveViewClass } from "../src/view/live-view.js";
import { z } from "zod";
import { percentile } from "./support.js";

const QUICK = process.argv.includes("--quick");
const SECONDS = QUICK ? 1.5 : 4;
const ROWS = 1000;
const CONNECTIONS = 1000;
/** The checkout this bench is in. */
const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

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

function makeRows(length = ROWS): Row[] {
  return Array.from({ length }, (_, i) => ({
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

function djustHost(
  views: Readonly<Record<string, LiveViewClass>>,
  more: Partial<LiveEnv> = {},
): LiveHost {
  const routes = new Map<string, LiveRoute>(
    Object.entries(views).map(([path, view]) => [path, { key: path, view, slug: path.slice(1) }]),
  );
  const pubsub = new MemoryPubSub();
  return {
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
      ...more,
    },
    viewTokens: new TokenSigner(new Signer("bench"), "view"),
    flashTokens: new TokenSigner(new Signer("bench"), "flash"),
    uploadTokens: new TokenSigner(new Signer("bench"), "upload"),
    tokenMaxAgeMs: 3600_000,
    shutdownConcurrency: 64,
    sessionConnections: new SessionConnections(pubsub),
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
}

const dj = djustHost({ "/counter": DjCounter, "/table": DjTable });

function djustHarness(
  path: string,
  host: LiveHost = dj,
  events: (topic: string) => () => string = (topic) =>
    eventFrames(path as "/counter" | "/table", topic),
): Harness {
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
  const connection = new LiveConnection(host, identity, {
    send: channel.reply,
    close: () => {},
  });
  const token = signViewToken(host.viewTokens, {
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
    eventFrame: events(topic),
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
// Child processes: a real server of each framework, driven over loopback by this process.

/** Rows of the view that holds a large list it does not render. */
const BIG_ROWS = 100_000;

class DjBig extends LiveView {
  rows: Row[] = makeRows(BIG_ROWS);
  count = 0;
  @eventHandler
  inc() {
    this.count++;
  }
  override render(a: RenderContext): Rendered {
    return html`<div><p>${(a.rows as Row[]).length} rows</p><p>Count: <b>${a.count}</b></p><button dj-click="inc">+</button></div>`;
  }
}

const LvBig = createLiveView<{ rows: Row[]; count: number }, { type: "inc" }>({
  mount: (socket) => socket.assign({ rows: makeRows(BIG_ROWS), count: 0 }),
  handleEvent: (_event, socket) => socket.assign({ count: socket.context.count + 1 }),
  render: (ctx) =>
    lvjsHtml`<div><p>${ctx.rows.length} rows</p><p>Count: <b>${ctx.count}</b></p><button phx-click="inc">+</button></div>`,
});

/** A server in a child process: where its pages are and where its WebSocket listens. */
interface Served {
  readonly url: string;
  readonly wsPath: string;
  close(): Promise<void>;
}

const argValue = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
};

/** A state backend that keeps nothing: every join mounts afresh, no view can be restored. */
const noSnapshots: StateBackend = {
  get: async () => null,
  set: async () => {},
  delete: async () => {},
};

async function djustServerChild(): Promise<Served> {
  const { createApp } = await import("../src/server/index.js");
  const backend = argValue("--backend") ?? "memory";
  const stateBackend =
    backend === "none"
      ? noSnapshots
      : backend.startsWith("redis://")
        ? // Hundreds of 60 kB snapshot writes at once on a loaded machine: more than the 1 s default.
          new RedisStateBackend({
            url: backend,
            timeoutMs: 30_000,
            compress: process.argv.includes("--compress"),
          })
        : undefined;
  const app = createApp({
    secretKey: "bench",
    logger: silent,
    perMessageDeflate: !process.argv.includes("--no-deflate"),
    // Every connection comes from 127.0.0.1, one caller: its bucket must not refuse joins.
    limits: { eventsPerSecond: 1e9, eventBurst: 1e9 },
    ...(stateBackend ? { stateBackend } : {}),
  });
  app.live("/counter", DjCounter);
  app.live("/table", DjTable);
  app.live("/big", DjBig);
  const server = await app.listen(0, "127.0.0.1");
  return { url: server.url, wsPath: "/djust/live/websocket", close: () => server.close() };
}

/** Starts `server` (with its WebSocket server `wss` at `/live/websocket`) on a free port. */
async function listenServed(server: Server, wss: WebSocketServer): Promise<Served> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    wsPath: "/live/websocket",
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        server.close(() => resolve());
      }),
  };
}

const lvjsRouter = { "/counter": LvCounter, "/table": LvTable, "/big": LvBig } as LiveViewRouter;
const lvjsPage: Lvjs.LiveViewHtmlPageTemplate = (title, csrf, content) =>
  lvjsHtml`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="csrf-token" content="${csrf}"><title>${title.title}</title><script defer src="/js/index.js"></script></head><body>${content}</body></html>`;

/**
 * LiveViewJS on `node:http` and `ws`, wired as its Express adaptor does: a cookie naming a
 * server-side session (express-session's memory store), the page rendered by
 * `handleHttpLiveView`, the session data signed into the page for the join (the adaptor's JWT
 * SerDe, HS256; an HMAC-SHA256 here), and one `WsHandler` per WebSocket. No Express routing
 * or middleware, so LiveViewJS pays less per request here than in its usual set-up.
 */
async function lvjsServerChild(): Promise<Served> {
  const { createServer } = await import("node:http");
  const { createHmac, randomBytes, timingSafeEqual } = await import("node:crypto");
  const { nanoid } = await import("nanoid");
  const { handleHttpLiveView, matchRoute, SessionFlashAdaptor } = lvjs;
  const key = randomBytes(32);
  const mac = (text: string) => createHmac("sha256", key).update(text).digest("base64url");
  const verified = (signed: string): string | undefined => {
    const dot = signed.lastIndexOf(".");
    const value = signed.slice(0, dot);
    const given = Buffer.from(signed.slice(dot + 1));
    const expected = Buffer.from(mac(value));
    return dot > 0 && given.length === expected.length && timingSafeEqual(given, expected)
      ? value
      : undefined;
  };
  const serDe: SerDe = {
    serialize: async (data: unknown) => {
      const body = Buffer.from(JSON.stringify(data)).toString("base64url");
      return `${body}.${mac(body)}`;
    },
    deserialize: async (token: string) => {
      const body = verified(token);
      if (body === undefined) throw new Error("session signature mismatch");
      return JSON.parse(Buffer.from(body, "base64url").toString()) as Record<string, unknown>;
    },
  };
  const sessions = new Map<string, Lvjs.SessionData>();
  const config: Lvjs.WsHandlerConfig = {
    router: lvjsRouter,
    serDe,
    fileSysAdaptor: noFiles,
    flashAdaptor: new SessionFlashAdaptor(),
    pubSub: new SingleProcessPubSub(),
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "localhost"}`);
    const match = matchRoute(lvjsRouter, url.pathname);
    if (!match) {
      res.writeHead(404).end();
      return;
    }
    const cookie = /(?:^|;\s*)sid=([^;]+)/.exec(req.headers.cookie ?? "")?.[1];
    let sid = cookie === undefined ? undefined : verified(cookie);
    let session = sid === undefined ? undefined : sessions.get(sid);
    const headers: Record<string, string> = { "content-type": "text/html; charset=utf-8" };
    if (session === undefined) {
      sid = nanoid();
      session = {} as Lvjs.SessionData;
      sessions.set(sid, session);
      headers["set-cookie"] = `sid=${sid}.${mac(sid)}; Path=/; HttpOnly; SameSite=Lax`;
    }
    const data = session;
    const adaptor: Lvjs.HttpRequestAdaptor = {
      getSessionData: () => data,
      getRequestUrl: () => url,
      getRequestPath: () => url.pathname,
      onRedirect: () => {},
      getSerDe: () => serDe,
    };
    handleHttpLiveView(nanoid, nanoid, match[0], adaptor, lvjsPage, match[1].params, {
      title: "bench",
    }).then(
      (body) => res.writeHead(200, headers).end(body),
      (error: unknown) => {
        console.error(error);
        res.writeHead(500).end();
      },
    );
  });
  const wss = new WebSocketServer({ server, path: "/live/websocket" });
  wss.on("connection", (ws) => {
    const adaptor: WsAdaptor = {
      subscribeToMessages: (listener) => void ws.on("message", listener),
      subscribeToClose: (listener) => void ws.on("close", listener),
      send: (message, onError) => ws.send(message, onError),
    };
    new WsHandler(adaptor, config);
  });
  return listenServed(server, wss);
}

/**
 * LiveViewJS as its documentation sets it up: `@liveviewjs/express`'s server (its JWT SerDe,
 * its `httpMiddleware` and `wsMiddleware`) in an Express app with `express-session` (memory
 * store, rolling cookie), as the package's README and example wire it. No static files and no
 * logging middleware, which the example also has. The same views and page template as
 * {@link lvjsServerChild}.
 */
async function lvjsExpressServerChild(): Promise<Served> {
  const { createServer } = await import("node:http");
  const { default: express } = await import("express");
  const { default: session, MemoryStore } = await import("express-session");
  const { NodeExpressLiveViewServer } = (await import(
    "@liveviewjs/express" as string
  )) as typeof LvjsExpress;
  const secret = "bench-signing-secret";
  const app = express();
  app.use(
    session({
      secret,
      resave: false,
      rolling: true,
      saveUninitialized: true,
      cookie: { sameSite: "strict", maxAge: 7 * 24 * 3600 * 1000 },
      store: new MemoryStore(),
    }),
  );
  const server = new NodeExpressLiveViewServer(
    lvjsRouter,
    lvjsPage,
    { title: "bench" },
    {
      serDeSigningSecret: secret,
      fileSystemAdaptor: noFiles,
    },
  );
  app.use(server.httpMiddleware());
  const http = createServer(app);
  const wss = new WebSocketServer({ server: http, path: "/live/websocket" });
  // Its declarations name `ws` as CommonJS sees it, ours as ESM does: the same class.
  type AdaptorWss = Parameters<ReturnType<typeof server.wsMiddleware>>[0];
  await server.wsMiddleware()(wss as unknown as AdaptorWss);
  return listenServed(http, wss);
}

/**
 * The floor of any server-rendered live page on this stack: `node:http` and `ws` with no
 * framework work at all. The page has the shape and size of djust's counter page (a CSRF
 * cookie, a random container id, a token-sized attribute), the WebSocket negotiates no
 * compression (unless `--deflate`), and every join gets the same fixed reply. A framework's own
 * work per set-up is its server CPU less this one's.
 */
async function bareServerChild(): Promise<Served> {
  const { createServer } = await import("node:http");
  const { randomBytes } = await import("node:crypto");
  const token = "x".repeat(220);
  const page = (id: string, csrf: string) =>
    `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
    `<meta name="csrf-token" content="${csrf}">\n<title>Counter</title>\n` +
    `<script defer src="/static/client.js"></script>\n</head>\n<body>\n` +
    `<div id="${id}" data-phx-main data-phx-session="${token}" data-phx-static="">` +
    `<div><h1>Counter</h1><p>Count: <b>0</b></p><button dj-click="inc">+</button></div></div>\n` +
    `</body>\n</html>\n`;
  const server = createServer((_req, res) => {
    const csrf = randomBytes(32).toString("base64url");
    res
      .writeHead(200, {
        "content-type": "text/html; charset=utf-8",
        "set-cookie": `csrftoken=${csrf}; Path=/; SameSite=Lax`,
      })
      .end(page(`phx-${randomBytes(12).toString("base64url")}`, csrf));
  });
  const rendered = {
    0: "0",
    s: ["<div><h1>Counter</h1><p>Count: <b>", '</b></p><button dj-click="inc">+</button></div>'],
  };
  // `--deflate`: ws's permessage-deflate with djust's settings, what compression costs a
  // server that does nothing else. djust compresses with a 1 KiB window without naming it; ws's
  // own compressor uses a smaller window than 32 KiB only when it is named.
  const perMessageDeflate = process.argv.includes("--deflate") && {
    threshold: 1024,
    serverNoContextTakeover: true,
    clientNoContextTakeover: true,
    serverMaxWindowBits: 10,
  };
  const wss = new WebSocketServer({ server, path: "/live/websocket", perMessageDeflate });
  wss.on("connection", (ws) =>
    ws.on("message", (data) => {
      const [joinRef, ref, topic] = JSON.parse(String(data)) as [string, string, string];
      const response = { rendered };
      ws.send(JSON.stringify([joinRef, ref, topic, "phx_reply", { status: "ok", response }]));
    }),
  );
  return listenServed(server, wss);
}

interface MemoryReading {
  readonly heapUsed: number;
  readonly rss: number;
}

async function serverChild(): Promise<void> {
  const served = process.argv.includes("lvjs")
    ? process.argv.includes("--express")
      ? await lvjsExpressServerChild()
      : await lvjsServerChild()
    : process.argv.includes("bare")
      ? await bareServerChild()
      : await djustServerChild();
  process.on("message", (msg: { cmd: string }) => {
    if (msg.cmd === "cpu") {
      const { user, system } = process.cpuUsage();
      process.send?.({ us: user + system });
    } else if (msg.cmd === "mem") {
      // Twice, with a turn of the event loop between: finalizers and weak callbacks run.
      gc();
      setImmediate(() => {
        gc();
        // V8 gives the pages a collection freed back to the system from a background thread,
        // over the next second or two: RSS read at once still counted them (the 1,000-row
        // table's: 78 MB over 600 djust views, 3 MB over LiveViewJS's, the framework that made
        // more garbage counted the more). Read once it has stopped falling.
        const settled = (last: number, waited: number) => {
          setTimeout(() => {
            const m = process.memoryUsage();
            if (last - m.rss > 64 * 1024 && waited < 10_000) settled(m.rss, waited + 250);
            else process.send?.({ heapUsed: m.heapUsed, rss: m.rss } satisfies MemoryReading);
          }, 250);
        };
        settled(process.memoryUsage().rss, 0);
      });
    } else if (msg.cmd === "stop") {
      void served.close().then(() => process.exit(0));
    }
  });
  process.send?.({ url: served.url, wsPath: served.wsPath });
}

function ask<T>(child: ChildProcess, cmd: string): Promise<T> {
  return new Promise((resolve) => {
    child.once("message", (m) => resolve(m as T));
    child.send({ cmd });
  });
}

interface Child {
  readonly child: ChildProcess;
  readonly url: string;
  readonly wsPath: string;
}

/**
 * The server children's script: `root`'s `bench/live.ts` compiled by `tsc` into
 * `<root>/.tmp/bench-build` (once per run), so that djust runs as an installed package runs,
 * compiled, as LiveViewJS does; from source under tsx, every class and function a call defines
 * also costs esbuild's `__name` (some 4% of a set-up). `BENCH_TSX=1` runs the source under tsx.
 */
const compiled = new Map<string, Promise<string>>();

function childScript(root: string): Promise<string> {
  let script = compiled.get(root);
  if (!script) {
    script = compile(root);
    compiled.set(root, script);
  }
  return script;
}

async function compile(root: string): Promise<string> {
  if (process.env.BENCH_TSX) return join(root, "bench", "live.ts");
  const out = join(root, ".tmp", "bench-build");
  const config = join(root, ".tmp", "bench-tsconfig.json");
  await mkdir(out, { recursive: true });
  await writeFile(
    config,
    JSON.stringify({
      extends: join(root, "tsconfig.json"),
      compilerOptions: { noEmit: false, outDir: out, rootDir: root, declaration: false },
      files: [join(root, "bench", "live.ts"), join(root, "src", "template", "gettext-parser.d.ts")],
      include: [],
    }),
  );
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  await promisify(execFile)(process.execPath, [tsc, "-p", config]);
  // The client bundle is built from its source, which the compiled code looks for beside it.
  await symlink(join(root, "client"), join(out, "client")).catch((error: unknown) => {
    if ((error as { code?: unknown }).code !== "EEXIST") throw error;
  });
  return join(out, "bench", "live.js");
}

/** Starts a server child of `root`'s bench: `["djust", …options]`, `["lvjs"]` or `["bare"]`. */
async function startChild(args: string[], root = REPO_ROOT): Promise<Child> {
  const script = await childScript(root);
  const child = fork(script, ["--server-child", ...args], {
    // BENCH_CHILD_FLAGS: extra Node flags for the server children, e.g. `--cpu-prof`.
    execArgv: [
      ...(script.endsWith(".ts") ? ["--import", "tsx"] : []),
      "--expose-gc",
      ...(process.env.BENCH_CHILD_FLAGS?.split(" ") ?? []),
    ],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const ready = await new Promise<{ url: string; wsPath: string }>((resolve) =>
    child.once("message", (m) => resolve(m as { url: string; wsPath: string })),
  );
  return { child, ...ready };
}

async function stopChild(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.send({ cmd: "stop" });
  await exited;
}

/** A live page as a browser gets it: its cookies, view token, container id and CSRF token. */
async function getPage(server: Child, path: string) {
  const res = await fetch(`${server.url}${path}`);
  const body = await res.text();
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const token = /data-phx-session="([^"]+)"/.exec(body)?.[1] ?? "";
  const id = /id="(phx-[^"]+)"/.exec(body)?.[1] ?? "";
  const csrf = /name="csrf-token" content="([^"]+)"/.exec(body)?.[1] ?? "";
  return { cookie, token, id, csrf };
}

/** The part of ws's permessage-deflate extension the driver replaces. */
interface ClientDeflate {
  compress(
    data: Buffer,
    fin: boolean,
    callback: (error: Error | null, data?: Buffer) => void,
  ): void;
}

/**
 * A browser's compression of one message: one synchronous deflate (Chromium's deflater runs in
 * the sending call), ended with a sync flush whose trailer is left off (RFC 7692). ws's client
 * would compress on the thread pool instead: that round trip delays each message the driver
 * sends, which lowers the set-up rate of every server that negotiates compression by the
 * driver's own latency, and has a server handle each set-up in more event-loop turns, which
 * costs it CPU no browser causes (bench/RESULTS.md).
 */
const browserCompress: ClientDeflate["compress"] = (data, _fin, callback) => {
  const compressed = deflateRawSync(data, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  callback(null, compressed.subarray(0, compressed.length - 4));
};

/**
 * Opens the live WebSocket as a browser does: offering permessage-deflate and, once it is
 * negotiated, compressing every message it sends in the sending call (ws's client would leave
 * those under 1 KiB plain, the join among them, and compress the others on the thread pool).
 */
async function openSocket(server: Child, cookie: string): Promise<WebSocket> {
  const ws = new WebSocket(`${server.url.replace("http", "ws")}${server.wsPath}?vsn=2.0.0`, {
    headers: { cookie, origin: server.url },
    perMessageDeflate: { threshold: 0 },
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  const extensions = (ws as unknown as { _extensions: Record<string, ClientDeflate | undefined> })
    ._extensions;
  const deflate = extensions["permessage-deflate"];
  if (deflate) deflate.compress = browserCompress;
  return ws;
}

/**
 * What a browser does to show a live page: GET it, open the WebSocket (offering
 * permessage-deflate, as browsers do) and join the view with the page's token and CSRF token.
 */
async function pageAndJoin(server: Child, path: string) {
  return joinView(server, path, await pageAndSocket(server, path));
}

/** A page and its open WebSocket, not joined yet. */
async function pageAndSocket(server: Child, path: string) {
  const page = await getPage(server, path);
  return { ...page, ws: await openSocket(server, page.cookie) };
}

/** Joins the view of `page` on its open WebSocket. */
async function joinView(
  server: Child,
  path: string,
  { token, id, csrf, ws }: Awaited<ReturnType<typeof pageAndSocket>>,
) {
  const socket = (ws as unknown as { _socket: { bytesRead: number } })._socket;
  const start = socket.bytesRead;
  const reply = await new Promise<string>((resolve, reject) => {
    // LiveViewJS answers a refused join with nothing: fail instead of waiting forever.
    const timer = setTimeout(() => reject(new Error(`no join reply for ${path}`)), 60_000);
    ws.once("message", (data) => {
      clearTimeout(timer);
      resolve(String(data));
    });
    ws.send(
      JSON.stringify([
        "1",
        "1",
        `lv:${id}`,
        "phx_join",
        {
          url: `${server.url}${path}`,
          params: { _csrf_token: csrf, _mounts: 0 },
          session: token,
          static: null,
        },
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
  const server = await startChild(deflate ? ["djust"] : ["djust", "--no-deflate"]);
  const first = await pageAndJoin(server, "/table");
  first.ws.close();
  const before = await ask<{ us: number }>(server.child, "cpu");
  for (let i = 0; i < joins; i++) (await pageAndJoin(server, "/table")).ws.close();
  const after = await ask<{ us: number }>(server.child, "cpu");
  await stopChild(server.child);
  return {
    replyBytes: first.replyBytes,
    wireBytes: first.wireBytes,
    cpuUsPerJoin: (after.us - before.us) / joins,
  };
}

interface SetupResult {
  /** Set-ups per second, wall clock (the driver's work included). */
  readonly perSecond: number;
  /** The server's CPU time (user + system) per set-up, in microseconds. */
  readonly serverCpuUs: number;
}

/**
 * Connection set-up: `count` times page GET + WebSocket + join of the counter, `concurrency`
 * at a time. The connections stay open until the measurement is taken (closing is not set-up:
 * it would add each framework's teardown), then are closed.
 */
async function setupBlock(server: Child, count: number, concurrency: number) {
  const sockets: WebSocket[] = [];
  // BENCH_SETUP_UNTIL=page|open: each set-up stops after the page, or once the WebSocket is
  // open (no join), to split its cost by phase. BENCH_SETUP_ONLY=join: the pages and sockets
  // are made before the measurement, which times their joins alone.
  const until = process.env.BENCH_SETUP_UNTIL;
  let opened: Awaited<ReturnType<typeof pageAndSocket>>[] | undefined;
  if (process.env.BENCH_SETUP_ONLY === "join") {
    opened = [];
    for (let i = 0; i < count; i++) opened.push(await pageAndSocket(server, "/counter"));
  }
  const setUp = async (): Promise<WebSocket | undefined> => {
    const prepared = opened?.pop();
    if (prepared) return (await joinView(server, "/counter", prepared)).ws;
    if (until === undefined) return (await pageAndJoin(server, "/counter")).ws;
    const page = await getPage(server, "/counter");
    return until === "open" ? openSocket(server, page.cookie) : undefined;
  };
  const cpu0 = await ask<{ us: number }>(server.child, "cpu");
  const t0 = performance.now();
  let started = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started++ < count) {
        const ws = await setUp();
        if (ws) sockets.push(ws);
      }
    }),
  );
  const ms = performance.now() - t0;
  const cpu1 = await ask<{ us: number }>(server.child, "cpu");
  await Promise.all(
    sockets.map((ws) => {
      const closed = new Promise((resolve) => ws.once("close", resolve));
      ws.close();
      return closed;
    }),
  );
  return { ms, us: cpu1.us - cpu0.us };
}

/**
 * Set-up rate of several servers measured in alternating blocks (each server one block in
 * turn, `rounds` times), so that a change in the machine's load falls on all of them alike.
 */
async function setupRates(
  servers: readonly Child[],
  blockSize: number,
  rounds: number,
  concurrency: number,
): Promise<SetupResult[]> {
  const totals = servers.map(() => ({ ms: 0, us: 0 }));
  for (let round = 0; round < rounds; round++) {
    for (const [i, server] of servers.entries()) {
      const block = await setupBlock(server, blockSize, concurrency);
      const total = totals[i] as { ms: number; us: number };
      total.ms += block.ms;
      total.us += block.us;
    }
  }
  return totals.map((total) => setupResult(blockSize * rounds, total));
}

/** The rate and server CPU per set-up of `count` set-ups that took `ms` and `us` of its CPU. */
function setupResult(count: number, time: { ms: number; us: number }): SetupResult {
  return { perSecond: (count * 1000) / time.ms, serverCpuUs: time.us / count };
}

interface MemoryResult {
  readonly heapPerView: number;
  readonly rssPerView: number;
  /** Bytes Redis used more after the connections (djust with the Redis backend). */
  readonly redisPerView?: number;
}

/**
 * Memory per idle connected view: a fresh server child, a warm-up of as many connections as are
 * measured (kept open), then `count` real WebSockets each with a joined view of `path`; the
 * child's heap and RSS after a full GC, before and after, per connection. The warm-up brings the
 * process to its steady state first: with 20 connections of warm-up, the RSS of the next 200
 * table views also counted the young generation's pages touched for the first time and the
 * allocator's growth (djust's table: 363 KiB per view after 20, 239 KiB after 200, against
 * LiveViewJS's 221 and 236; the heap the same either way), which no view holds.
 */
async function idleMemory(
  args: string[],
  path: string,
  count: number,
  redis?: RedisClientType,
): Promise<MemoryResult> {
  const server = await startChild(args);
  const sockets: WebSocket[] = [];
  const openOne = async () => {
    sockets.push((await pageAndJoin(server, path)).ws);
  };
  const batch = Math.max(1, Math.min(25, Math.floor(count / 10)));
  const openMany = async (n: number) => {
    for (let i = 0; i < n; i += batch) {
      await Promise.all(Array.from({ length: Math.min(batch, n - i) }, openOne));
    }
  };
  // Warm-up: compiles the code paths (and builds djust's client bundle), grows the heap and
  // the allocator to their steady state.
  await openMany(count);
  const redisUsed = async () =>
    redis ? Number(/used_memory:(\d+)/.exec(await redis.info("memory"))?.[1]) : 0;
  const before = await ask<MemoryReading>(server.child, "mem");
  const redisBefore = await redisUsed();
  const start = sockets.length;
  await openMany(count);
  const after = await ask<MemoryReading>(server.child, "mem");
  const redisAfter = await redisUsed();
  const opened = sockets.length - start;
  for (const ws of sockets) ws.close();
  await stopChild(server.child);
  return {
    heapPerView: (after.heapUsed - before.heapUsed) / opened,
    rssPerView: (after.rss - before.rss) / opened,
    ...(redis ? { redisPerView: (redisAfter - redisBefore) / opened } : {}),
  };
}

const kib = (bytes: number) =>
  bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;

/** Set-up rate and idle memory of both frameworks, each a server in a child process. */
async function childProcesses(): Promise<void> {
  const rounds = QUICK ? 4 : 10;
  const frameworks: { name: string; args: string[]; root?: string }[] = [
    { name: "djust (memory backend)", args: ["djust"] },
    { name: "djust (no snapshots)", args: ["djust", "--backend", "none"] },
    { name: "LiveViewJS", args: ["lvjs"] },
  ];
  // BENCH_BEFORE=<a checkout of an earlier commit>: its djust joins the set-up blocks, so a
  // change is measured against the code before it in the same run (before/after).
  const before = process.env.BENCH_BEFORE;
  const setupServers: { name: string; args: string[]; root?: string }[] = [
    ...(before ? [{ name: "djust before (memory)", args: ["djust"], root: before }] : []),
    ...frameworks.slice(0, 2),
    // LiveViewJS's server negotiates no compression: what djust's costs per set-up.
    { name: "djust (no deflate)", args: ["djust", "--no-deflate"] },
    frameworks[2] as { name: string; args: string[] },
    // LiveViewJS as its documentation wires it (Express, express-session, its JWT SerDe).
    { name: "LiveViewJS (Express)", args: ["lvjs", "--express"] },
    { name: "bare node:http + ws", args: ["bare"] },
    { name: "bare, with compression", args: ["bare", "--deflate"] },
  ];
  // A long warm-up: the set-up path keeps getting cheaper as the JIT optimises it, for both
  // frameworks (djust's page: 800 µs of server CPU over the first 500 requests, 200 µs by
  // 2,000, 118-130 µs from 4,000 on), so a short one measures how fast each compiles, not a server's
  // steady state. What the warm-up itself cost is printed too (BENCH_SETUP_WARMUP=<count>).
  const warmup = Number(process.env.BENCH_SETUP_WARMUP ?? (QUICK ? 1000 : 5000));
  console.log(
    `\nConnection set-up over loopback, counter page: GET + WebSocket (offering permessage-deflate)` +
      ` + join; after ${fmt(warmup)} set-ups of warm-up (4 at a time), blocks of 50 (one at a` +
      ` time) and 100 (8 at a time), the servers alternating, ${rounds} rounds`,
  );
  // BENCH_SETUP_SERVERS=<regex>: only the servers whose name matches (e.g. to profile one).
  const only = process.env.BENCH_SETUP_SERVERS;
  if (only) {
    const keep = setupServers.filter((f) => new RegExp(only).test(f.name));
    setupServers.splice(0, setupServers.length, ...keep);
  }
  const servers = [];
  for (const f of setupServers) servers.push(await startChild(f.args, f.root));
  const warm: SetupResult[] = [];
  for (const server of servers) {
    warm.push(setupResult(warmup, await setupBlock(server, warmup, 4)));
  }
  const sequential = await setupRates(servers, 50, rounds, 1);
  const concurrent = await setupRates(servers, 100, rounds, 8);
  for (const server of servers) await stopChild(server.child);
  console.log(
    "  framework                one at a time /s  server µs   8 at a time /s  server µs" +
      "   warm-up /s  server µs",
  );
  const peers = [...setupServers.entries()].filter(([, f]) => f.args[0] === "lvjs");
  const bare = setupServers.findIndex((f) => f.args[0] === "bare");
  for (const [i, f] of setupServers.entries()) {
    const row = [sequential[i], concurrent[i], warm[i]] as SetupResult[];
    console.log(
      `  ${f.name.padEnd(24)}` +
        row
          .map(
            (r, k) =>
              `${fmt(r.perSecond).padStart(k === 2 ? 13 : 16)} ${fmt(r.serverCpuUs).padStart(10)}`,
          )
          .join(""),
    );
  }
  // Server CPU above the bare server's: the framework's own work per set-up.
  const own = (results: SetupResult[], i: number) =>
    (results[i] as SetupResult).serverCpuUs - (results[bare] as SetupResult).serverCpuUs;
  for (const [i, f] of setupServers.entries()) {
    if (f.args[0] !== "djust" || bare < 0) continue;
    for (const [lv, peer] of peers) {
      const ratio = (results: SetupResult[], key: keyof SetupResult) =>
        ((results[i] as SetupResult)[key] / (results[lv] as SetupResult)[key]).toFixed(2);
      // Two differences of noisy figures: when LiveViewJS measured at or below the bare server
      // (short runs), the ratio says nothing.
      const ownRatio = (results: SetupResult[]) =>
        own(results, lv) > 0 ? `${(own(results, i) / own(results, lv)).toFixed(2)}` : "n/a";
      console.log(
        `  ${f.name} / ${peer.name}: one at a time ${ratio(sequential, "perSecond")}x` +
          ` (server CPU ${ratio(sequential, "serverCpuUs")}x, above bare ${ownRatio(sequential)}x),` +
          ` 8 at a time ${ratio(concurrent, "perSecond")}x (server CPU ${ratio(concurrent, "serverCpuUs")}x,` +
          ` above bare ${ownRatio(concurrent)}x); warm-up ${ratio(warm, "perSecond")}x`,
      );
    }
  }

  if (process.argv.includes("--setup-only")) return;
  const redisServer = await startRedis();
  const redis =
    "skip" in redisServer ? undefined : (createClient({ url: redisServer.url }) as RedisClientType);
  await redis?.connect();
  const backends = [
    ...frameworks.slice(0, 2),
    // What negotiating permessage-deflate keeps per socket (LiveViewJS's server does not).
    {
      name: "djust (no snapshots, no deflate)",
      args: ["djust", "--backend", "none", "--no-deflate"],
    },
    ...(redis && !("skip" in redisServer)
      ? [
          { name: "djust (Redis backend)", args: ["djust", "--backend", redisServer.url] },
          {
            name: "djust (Redis, compressed)",
            args: ["djust", "--backend", redisServer.url, "--compress"],
          },
        ]
      : []),
    frameworks[2] as { name: string; args: string[] },
  ];
  // 3,000 counter views: RSS also follows the V8 heap's capacity, which grows in steps of
  // pages; at 1,000 views such a step moved a counter view's RSS by 2-3 KiB from run to run
  // (its live heap is 5.5 KiB), and from 3,000 on the steps average out. 600 table views:
  // over 200, djust's RSS per view measured 0.71-1.42x LiveViewJS's from run to run (its heap
  // 0.93x each time). 30 views holding 100,000 rows: over 10, the RSS per view of the same
  // code measured 7.6 to 12.5 MiB from run to run (its heap 8.4 MiB each time). Both spreads
  // were measured with RSS read at once after the collections (see "mem" above).
  const views = [
    { path: "/counter", title: "counter", count: QUICK ? 200 : 3000 },
    { path: "/table", title: `${ROWS}-row table`, count: QUICK ? 40 : 600 },
    { path: "/big", title: `view holding ${fmt(BIG_ROWS)} rows`, count: QUICK ? 4 : 30 },
  ];
  for (const view of views) {
    console.log(
      `\nMemory per idle connected view, ${view.title}: ${view.count} real WebSockets to a child process, after a full GC`,
    );
    console.log(
      "  framework                          heap/view      RSS/view   ratio heap  ratio RSS",
    );
    const results = [];
    for (const b of backends) {
      const usesRedis = b.args.some((a) => a.startsWith("redis://"));
      results.push({
        name: b.name,
        r: await idleMemory(b.args, view.path, view.count, usesRedis ? redis : undefined),
      });
    }
    const lvMem = results.at(-1)?.r as MemoryResult;
    for (const { name, r } of results) {
      const extra = r.redisPerView === undefined ? "" : `  (+ ${kib(r.redisPerView)} in Redis)`;
      console.log(
        `  ${name.padEnd(33)} ${kib(r.heapPerView).padStart(10)} ${kib(r.rssPerView).padStart(13)} ${(r.heapPerView / lvMem.heapPerView).toFixed(2).padStart(10)}x ${(r.rssPerView / lvMem.rssPerView).toFixed(2).padStart(9)}x${extra}`,
      );
    }
  }
  await redis?.quit();
  if (!("skip" in redisServer)) await redisServer.stop();
}

// ---------------------------------------------------------------------------------------------
// Per-event cost against state size (issue 13): template views holding 1,000 to 100,000 rows,
// the whole server (frame in → reply out, the snapshot written before the reply).

const SIZES = [1_000, 10_000, 100_000] as const;
const PAGE = 50;

function manyRows(n: number): Row[] {
  return Array.from({ length: n }, (_, i) => ({
    id: i,
    name: `Customer ${i}`,
    status: i % 3 === 0 ? "shipped" : "pending",
  }));
}

/** Flips the status of row `id`. */
function flip(rows: Row[], id: number): void {
  const row = rows[id];
  if (row) row.status = row.status === "pending" ? "shipped" : "pending";
}

/**
 * Views holding `n` rows: all rendered (`rows_table.html`), the first 50 and a count, or all
 * rendered by a LiveComponent of the view.
 */
function sizedViews(n: number): {
  table: LiveViewClass;
  page: LiveViewClass;
  component: LiveViewClass;
} {
  class SizedTable extends LiveView {
    static override templateName = "rows_table.html";
    count = 0;
    rows: Row[] = manyRows(n);
    @eventHandler({ params: z.object({ id: z.number().int() }) })
    toggle({ id }: { id: number }) {
      flip(this.rows, id);
    }
    @eventHandler
    inc() {
      this.count++;
    }
  }
  class SizedPage extends LiveView {
    static override templateName = "rows_page.html";
    rows: Row[] = manyRows(n);
    @eventHandler({ params: z.object({ id: z.number().int() }) })
    toggle({ id }: { id: number }) {
      flip(this.rows, id);
    }
  }
  // The table as a LiveComponent of its view: its events carry its cid (1, the first placed).
  class SizedRows extends LiveComponent {
    static override templateName = "rows_component.html";
    id = "";
    count = 0;
    rows: Row[] = manyRows(n);
    @eventHandler({ params: z.object({ id: z.number().int() }) })
    toggle({ id }: { id: number }) {
      flip(this.rows, id);
    }
  }
  class SizedComponentPage extends LiveView {
    override render(): Rendered {
      return html`<main>${liveComponent(SizedRows, { id: "rows" })}</main>`;
    }
  }
  return { table: SizedTable, page: SizedPage, component: SizedComponentPage };
}

/** Event frames: a toggle cycling over the first `rows` rows, or a counter click. */
function sizedEvents(
  kind: "toggle" | "inc",
  rows: number,
  cid?: number,
): (topic: string) => () => string {
  return (topic) => {
    let ref = 0;
    return () => {
      ref++;
      const value = kind === "inc" ? { value: "" } : { id: String(ref % rows), value: "" };
      return JSON.stringify([
        "1",
        String(ref),
        topic,
        "event",
        { type: "click", event: kind, value, ...(cid !== undefined && { cid }) },
      ]);
    };
  };
}

async function stateSize(): Promise<void> {
  const views: Record<string, LiveViewClass> = {};
  for (const n of SIZES) {
    const { table, page, component } = sizedViews(n);
    views[`/table-${n}`] = table;
    views[`/page-${n}`] = page;
    views[`/component-${n}`] = component;
  }
  const host = djustHost(views, {
    templates: new TemplateLoader({ dirs: [fileURLToPath(new URL("templates", import.meta.url))] }),
    durability: "reply",
  });
  const only = process.env.BENCH_STATE_CASE;
  const cases = [
    ["(a) all N rows rendered, one row's field flipped", "table", "toggle"],
    [`(b) first ${PAGE} of N rows + count, one shown row flipped`, "page", "toggle"],
    ["(c) all N rows rendered, count++ beside them", "table", "inc"],
    ["(d) as (a), the rows in a LiveComponent", "component", "toggle"],
  ] as const;
  console.log(
    "\nPer-event cost against state size: template views, frame in → reply out, snapshot " +
      'written to the memory backend before the reply (durability "reply")',
  );
  for (const [title, view, event] of cases) {
    console.log(`  ${title}`);
    console.log("         N   events/s   mean µs    p50 µs    p99 µs   bytes/frame");
    const p50s: number[] = [];
    for (const n of SIZES) {
      if (only !== undefined && only !== `${view}-${event}-${n}`) continue;
      const rows = view === "page" ? PAGE : n;
      const path = `/${view}-${n}`;
      const frames = sizedEvents(event, rows, view === "component" ? 1 : undefined);
      const r = await run(`${path} ${event}`, djustHarness(path, host, frames));
      p50s.push(r.p50Us);
      console.log(
        `  ${fmt(n).padStart(8)} ${fmt(r.eventsPerSecond).padStart(10)} ${fmt(1e6 / r.eventsPerSecond, 1).padStart(9)} ${fmt(r.p50Us, 1).padStart(9)} ${fmt(r.p99Us, 1).padStart(9)} ${fmt(r.bytesPerFrame).padStart(13)}`,
      );
      gc();
    }
    console.log(
      `  p50 ratio 100,000 / 1,000 rows: ${((p50s[2] ?? 0) / (p50s[0] ?? 1)).toFixed(2)}x`,
    );
  }
}

async function main(): Promise<void> {
  if (process.argv.includes("--state-size")) {
    await stateSize();
    return;
  }
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
  if (process.argv.includes("--events-only")) return;

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

  await childProcesses();
  await stateSize();
}

if (process.argv.includes("--server-child")) {
  void serverChild();
} else if (process.argv.includes("--child-only")) {
  await childProcesses();
  process.exit(0);
} else {
  await main();
  process.exit(0);
}
