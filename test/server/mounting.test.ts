// Mounting an app inside another server (docs/mounting.md), each host as the guide shows it:
// bare node:http with routes and a WebSocket server of its own, Express 5 behind express.json(),
// Fastify 5 with its own body parsers, and a Hono app whose middleware reads the body. Each
// serves its own route, the live page and a live event over djust's WebSocket, the API (with a
// parsed body, and with CSRF for a logged-in session), and leaves other upgrade paths to other
// listeners. Express's other parsers (text, raw, urlencoded, one that keeps nothing) run in front
// of djust in a plain server below.
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import express, { type RequestHandler } from "express";
import WebSocket, { WebSocketServer } from "ws";
import { counterApp } from "../../docs/examples/mounting-app.js";
import { startServer as startNodeHttp } from "../../docs/examples/mounting-node-http.js";
import { startServer as startHono } from "../../docs/examples/mounting-hono.js";
import { startServer as startExpress } from "../../docs/examples/mounting-express.js";
import { startServer as startFastify } from "../../docs/examples/mounting-fastify.js";
import { csrfExempt, type DjustApp } from "../../src/server/index.js";
import { loadPage, RawClient } from "../live/helpers.js";

function urlOf(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function listening(server: Server): Promise<string> {
  if (!server.listening) await new Promise((resolve) => server.once("listening", resolve));
  return urlOf(server);
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** POSTs `body` to the counter's API handler. */
async function add(
  base: string,
  body: string,
  type = "application/json",
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${base}/djust/api/counter/add/`, {
    method: "POST",
    headers: { "content-type": type, ...headers },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Opens a WebSocket; resolves with its first message, or the way it failed. */
function wsExchange(url: string, send: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.once("open", () => ws.send(send));
    ws.once("message", (data) => {
      resolve(`message: ${String(data)}`);
      ws.close();
    });
    ws.once("unexpected-response", (_req, res) => resolve(`status: ${res.statusCode}`));
    ws.once("error", (error) => resolve(`error: ${(error as NodeJS.ErrnoException).code}`));
  });
}

/** The live page joins over djust's WebSocket. */
async function joinCounter(base: string): Promise<Record<string, unknown>> {
  const page = await loadPage(`${base}/counter/`);
  assert.equal(page.status, 200);
  assert.match(page.html, /Count: 0/);
  const client = await RawClient.connect(base, { cookie: page.cookie });
  try {
    const reply = await client.join(page, `${base}/counter`);
    return reply.payload;
  } finally {
    client.close();
  }
}

/** Joins the live page and clicks "+1" as the client sends it: the reply's diff. */
async function clickAdd(base: string): Promise<Record<string, unknown>> {
  const page = await loadPage(`${base}/counter/`);
  const client = await RawClient.connect(base, { cookie: page.cookie });
  try {
    assert.equal((await client.join(page, `${base}/counter`)).payload.status, "ok");
    const reply = await client.event(page, "click", "add", { by: "1" });
    assert.equal(reply.payload.status, "ok");
    return (reply.payload.response as { diff: Record<string, unknown> }).diff;
  } finally {
    client.close();
  }
}

/**
 * A logged-in session's API calls are CSRF-checked through the host: refused without the token
 * (403 `csrf_failed`), accepted with it.
 */
async function assertCsrfChecked(base: string, app: DjustApp): Promise<void> {
  const { cookie, csrfToken } = await app.sessions.login({ id: 7 });
  assert.deepEqual(await add(base, '{"by":1}', "application/json", { cookie, origin: base }), {
    status: 403,
    body: { error: "csrf_failed", message: "CSRF Failed: CSRF token missing." },
  });
  const signed = { cookie, origin: base, "x-csrftoken": csrfToken };
  const res = await add(base, '{"by":6}', "application/json", signed);
  assert.equal(res.status, 200);
  assert.equal((res.body.result as { count: number }).count, 6);
}

describe("mounting: bare node:http (docs/examples/mounting-node-http.ts)", () => {
  const { server, app, chat } = startNodeHttp(0);
  after(async () => {
    await app.close();
    chat.close();
    await closeServer(server);
  });

  it("serves its own route, the live page, the client script and the API", async () => {
    const base = await listening(server);
    assert.equal(await (await fetch(`${base}/health`)).text(), "ok");
    const page = await loadPage(`${base}/counter/`);
    const script = /<script[^>]+src="([^"]+)"/.exec(page.html)?.[1];
    assert.ok(script, "the page loads the client");
    assert.equal((await fetch(new URL(script, base))).status, 200);
    assert.deepEqual(await add(base, '{"by":2}'), {
      status: 200,
      body: { result: { count: 2 }, assigns: { count: 2 } },
    });
  });

  it("djust takes its WebSocket, the app's own /chat socket works, other paths are refused", async () => {
    const base = await listening(server);
    assert.equal((await joinCounter(base)).status, "ok");
    const ws = base.replace("http", "ws");
    assert.equal(await wsExchange(`${ws}/chat`, "hi"), "message: echo: hi");
    assert.equal(await wsExchange(`${ws}/nowhere`, "hi"), "error: ECONNRESET");
  });

  it("a live event over djust's WebSocket; a logged-in session's API call needs CSRF", async () => {
    const base = await listening(server);
    assert.deepEqual(await clickAdd(base), { 0: "1", r: { count: 1 } });
    await assertCsrfChecked(base, app);
  });
});

describe("mounting: upgradeHandler leaves other paths to other listeners", () => {
  it("two upgrade listeners on one server: djust's and another WebSocket server's", async () => {
    const app = counterApp();
    const other = new WebSocketServer({ noServer: true });
    other.on("connection", (ws) => ws.on("message", (d) => ws.send(`other: ${String(d)}`)));
    const server = createServer(app.nodeHandler);
    // As an Express or Fastify app would do it: each listener picks its own path.
    server.on("upgrade", app.upgradeHandler);
    server.on("upgrade", (req: IncomingMessage, socket, head) => {
      if (req.url === "/other")
        other.handleUpgrade(req, socket, head, (ws) => other.emit("connection", ws));
    });
    server.listen(0, "127.0.0.1");
    const base = await listening(server);
    try {
      assert.equal(
        await wsExchange(`${base.replace("http", "ws")}/other`, "x"),
        "message: other: x",
      );
      assert.equal((await joinCounter(base)).status, "ok");
    } finally {
      await app.close();
      other.close();
      await closeServer(server);
    }
  });

  it("returns true for djust's path and false, with the socket untouched, for others", () => {
    const app = counterApp();
    const socketFor = () => {
      const events: string[] = [];
      const socket = {
        destroyed: false,
        destroy: () => events.push("destroy"),
        end: () => events.push("end"),
        write: () => events.push("write"),
      };
      return { socket, events };
    };
    const other = socketFor();
    const request = { url: "/other", headers: {}, socket: {} } as unknown as IncomingMessage;
    assert.equal(app.upgradeHandler(request, other.socket as never, Buffer.alloc(0)), false);
    assert.deepEqual(other.events, []);
    // A cross-site upgrade of djust's own path is djust's to refuse (403), so it is taken.
    const own = socketFor();
    const cross = {
      url: "/djust/live/websocket?vsn=2.0.0",
      headers: { origin: "http://evil.example", host: "localhost" },
      socket: {},
    } as unknown as IncomingMessage;
    assert.equal(app.upgradeHandler(cross, own.socket as never, Buffer.alloc(0)), true);
    assert.deepEqual(own.events, ["end"]);
    return app.close();
  });
});

/**
 * Express's parsers as an app would put them in front of djust (text and raw told to take the
 * JSON type, so they are the ones reading it), and one that reads the body and keeps nothing.
 */
const PARSERS: Record<string, RequestHandler> = {
  json: express.json(),
  text: express.text({ type: "application/json" }),
  raw: express.raw({ type: "application/json" }),
  urlencoded: express.urlencoded(),
  dropped: (req, _res, next) => {
    req.resume();
    req.once("end", () => next());
  },
};

/** An Express app whose parser reads every body before djust. */
async function behindParser(parser: RequestHandler, app: DjustApp = counterApp()) {
  const site = express();
  site.use(parser);
  site.use(app.nodeHandler);
  const server = site.listen(0, "127.0.0.1");
  const base = await listening(server);
  return {
    base,
    close: async () => {
      await app.close();
      await closeServer(server);
    },
  };
}

describe("mounting: a body parser in front of djust", () => {
  it("express.json(): the parsed body is the call's body", async () => {
    const { base, close } = await behindParser(PARSERS.json!);
    try {
      assert.deepEqual(await add(base, '{"by":3}'), {
        status: 200,
        body: { result: { count: 3 }, assigns: { count: 3 } },
      });
      assert.deepEqual(await add(base, '{"by":"x"}'), {
        status: 400,
        body: {
          error: "validation_error",
          message: "Invalid parameters.",
          details: { by: ["Invalid input: expected number, received string"] },
        },
      });
      assert.deepEqual(await add(base, "[1]"), {
        status: 400,
        body: { error: "invalid_json", message: "The body must be a JSON object." },
      });
    } finally {
      await close();
    }
  });

  it("express.text() and express.raw(): the kept text or bytes are parsed as djust would", async () => {
    for (const parser of ["text", "raw"]) {
      const { base, close } = await behindParser(PARSERS[parser]!);
      try {
        assert.deepEqual(await add(base, '{"by":4}'), {
          status: 200,
          body: { result: { count: 4 }, assigns: { count: 4 } },
        });
        assert.equal((await add(base, "{nope")).body.error, "invalid_json", parser);
      } finally {
        await close();
      }
    }
  });

  it("the type and size rules still apply to a parsed body", async () => {
    const form = await behindParser(PARSERS.urlencoded!);
    try {
      assert.deepEqual(await add(form.base, "by=1", "application/x-www-form-urlencoded"), {
        status: 415,
        body: {
          error: "unsupported_media_type",
          message:
            'Request bodies must be JSON (Content-Type: application/json), got "application/x-www-form-urlencoded".',
        },
      });
    } finally {
      await form.close();
    }
    const small = await behindParser(PARSERS.json!, counterApp({ limits: { bodyBytes: 8 } }));
    try {
      assert.deepEqual(await add(small.base, '{"by":1234567}'), {
        status: 413,
        body: {
          error: "payload_too_large",
          message: "The request body exceeds 8 bytes.",
          details: { limit: 8 },
        },
      });
    } finally {
      await small.close();
    }
  });

  it("express.urlencoded(): a form posted to a route of app.hono still reads its fields", async () => {
    const app = counterApp();
    app.hono.post(
      "/feedback/",
      csrfExempt(async (c) => c.json(await c.req.parseBody({ all: true }))),
    );
    const { base, close } = await behindParser(PARSERS.urlencoded!, app);
    try {
      const res = await fetch(`${base}/feedback/`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "name=Ann&text=caf%C3%A9+ok",
      });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { name: "Ann", text: "café ok" });
    } finally {
      await close();
    }
  });

  it("a body read and not kept is a 400, not a hang", async () => {
    const { base, close } = await behindParser(PARSERS.dropped!);
    try {
      assert.deepEqual(await add(base, '{"by":1}'), {
        status: 400,
        body: { error: "invalid_json", message: "Could not read the request body." },
      });
    } finally {
      await close();
    }
  });
});

describe("mounting: a Hono app (docs/examples/mounting-hono.ts)", () => {
  const { server, app, audit } = startHono(0);
  const chat = new WebSocketServer({ noServer: true });
  chat.on("connection", (ws) => ws.on("message", (d) => ws.send(`chat: ${String(d)}`)));
  // A second upgrade listener, added after djust's: djust must leave /chat to it.
  server.on("upgrade", (req: IncomingMessage, socket, head) => {
    if (req.url === "/chat")
      chat.handleUpgrade(req, socket, head, (ws) => chat.emit("connection", ws));
  });
  after(async () => {
    await app.close();
    chat.close();
    await closeServer(server as Server);
  });

  it("serves the site's route, the live page and the client script", async () => {
    const base = await listening(server as Server);
    assert.equal(await (await fetch(`${base}/health`)).text(), "ok");
    const page = await loadPage(`${base}/counter/`);
    const script = /<script[^>]+src="([^"]+)"/.exec(page.html)?.[1];
    assert.ok(script);
    assert.equal((await fetch(new URL(script, base))).status, 200);
  });

  it("an API call whose body a middleware already read through Hono", async () => {
    const base = await listening(server as Server);
    assert.deepEqual(await add(base, '{"by":5}'), {
      status: 200,
      body: { result: { count: 5 }, assigns: { count: 5 } },
    });
    assert.deepEqual(audit, ['/djust/api/counter/add/ {"by":5}']);
  });

  it("djust's WebSocket and another listener's /chat on the same server", async () => {
    const base = await listening(server as Server);
    assert.equal((await joinCounter(base)).status, "ok");
    assert.equal(await wsExchange(`${base.replace("http", "ws")}/chat`, "yo"), "message: chat: yo");
  });

  it("a live event over djust's WebSocket; a logged-in session's API call needs CSRF", async () => {
    const base = await listening(server as Server);
    assert.deepEqual(await clickAdd(base), { 0: "1", r: { count: 1 } });
    await assertCsrfChecked(base, app);
  });
});

describe("mounting: Express 5 (docs/examples/mounting-express.ts)", () => {
  const { server, app, chat } = startExpress(0);
  after(async () => {
    await app.close();
    chat.close();
    await closeServer(server);
  });

  it("serves its own route, the live page, the client script and a live event", async () => {
    const base = await listening(server);
    assert.equal(await (await fetch(`${base}/health`)).text(), "ok");
    const page = await loadPage(`${base}/counter/`);
    const script = /<script[^>]+src="([^"]+)"/.exec(page.html)?.[1];
    assert.ok(script, "the page loads the client");
    assert.equal((await fetch(new URL(script, base))).status, 200);
    assert.deepEqual(await clickAdd(base), { 0: "1", r: { count: 1 } });
  });

  it("the API takes the body express.json() parsed, with djust's own rules and errors", async () => {
    const base = await listening(server);
    assert.deepEqual(await add(base, '{"by":2}'), {
      status: 200,
      body: { result: { count: 2 }, assigns: { count: 2 } },
    });
    assert.deepEqual(await add(base, "[1]"), {
      status: 400,
      body: { error: "invalid_json", message: "The body must be a JSON object." },
    });
    // express.json() leaves other types unread: djust reads the stream and refuses it.
    assert.equal((await add(base, "by=1", "application/x-www-form-urlencoded")).status, 415);
  });

  it("a logged-in session's API call needs its CSRF token", async () => {
    await assertCsrfChecked(await listening(server), app);
  });

  it("djust takes its WebSocket, the app's /chat socket works, other paths are refused", async () => {
    const base = await listening(server);
    assert.equal((await joinCounter(base)).status, "ok");
    const ws = base.replace("http", "ws");
    assert.equal(await wsExchange(`${ws}/chat`, "hi"), "message: echo: hi");
    assert.equal(await wsExchange(`${ws}/nowhere`, "hi"), "error: ECONNRESET");
  });
});

describe("mounting: Fastify 5 (docs/examples/mounting-fastify.ts)", () => {
  let started: Awaited<ReturnType<typeof startFastify>>;
  let base = "";
  before(async () => {
    started = await startFastify(0);
    base = urlOf(started.server);
  });
  after(async () => {
    await started.app.close();
    started.chat.close();
    started.server.closeAllConnections();
    await started.fastify.close();
  });

  it("serves its own route, the live page, the client script and a live event", async () => {
    assert.equal(await (await fetch(`${base}/health`)).text(), "ok");
    const page = await loadPage(`${base}/counter/`);
    const script = /<script[^>]+src="([^"]+)"/.exec(page.html)?.[1];
    assert.ok(script, "the page loads the client");
    assert.equal((await fetch(new URL(script, base))).status, 200);
    assert.deepEqual(await clickAdd(base), { 0: "1", r: { count: 1 } });
  });

  it("the API takes the body Fastify parsed, with djust's own rules and errors", async () => {
    assert.deepEqual(await add(base, '{"by":2}'), {
      status: 200,
      body: { result: { count: 2 }, assigns: { count: 2 } },
    });
    assert.deepEqual(await add(base, "[1]"), {
      status: 400,
      body: { error: "invalid_json", message: "The body must be a JSON object." },
    });
    // Fastify's text parser keeps the text; djust still wants JSON.
    assert.deepEqual(await add(base, '{"by":1}', "text/plain"), {
      status: 415,
      body: {
        error: "unsupported_media_type",
        message: 'Request bodies must be JSON (Content-Type: application/json), got "text/plain".',
      },
    });
    // Malformed JSON never reaches djust: Fastify's parser answers it in Fastify's shape.
    const bad = await add(base, "{nope");
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, "FST_ERR_CTP_INVALID_JSON_BODY");
  });

  it("a logged-in session's API call needs its CSRF token", async () => {
    await assertCsrfChecked(base, started.app);
  });

  it("djust takes its WebSocket, the app's /chat socket works, other paths are refused", async () => {
    assert.equal((await joinCounter(base)).status, "ok");
    const ws = base.replace("http", "ws");
    assert.equal(await wsExchange(`${ws}/chat`, "hi"), "message: echo: hi");
    assert.equal(await wsExchange(`${ws}/nowhere`, "hi"), "error: ECONNRESET");
  });
});
