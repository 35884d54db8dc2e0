/**
 * docs/deployment.md: its app (docs/examples/deployment-app.ts) served by `djust serve
 * --workers 2` on a real redis-server, behind a small proxy that does what the guide's nginx
 * configuration does (appends the client's address to X-Forwarded-For, passes WebSocket
 * upgrades through). nginx and Caddy are not installed here, so their configurations are not
 * run; this proves what they are for: `trustedProxyCount: 1` takes the address the proxy saw,
 * a forged header does not change it, and the rate limit holds across both workers.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, request, type IncomingHttpHeaders, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { createClient } from "redis";
import { findRedisServer, REDIS_MISSING, startRedis, type TestRedis } from "../support/redis.js";
import { loadPage, RawClient, response } from "../live/helpers.js";

const skip = findRedisServer() ? undefined : REDIS_MISSING;
const ROOT = resolve(import.meta.dirname, "../..");

/** The headers with the connecting address appended to X-Forwarded-For, as nginx does. */
function forwarded(headers: IncomingHttpHeaders, address: string | undefined): IncomingHttpHeaders {
  const before = headers["x-forwarded-for"];
  return { ...headers, "x-forwarded-for": before ? `${before}, ${address}` : address };
}

/** A reverse proxy to `target` (host:port) on a free loopback port. */
async function proxy(target: { host: string; port: number }): Promise<Server> {
  const server = createServer((req, res) => {
    const upstream = request(
      {
        ...target,
        method: req.method,
        path: req.url,
        headers: forwarded(req.headers, req.socket.remoteAddress),
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  server.on("upgrade", (req, socket, head) => {
    const upstream = connect(target.port, target.host, () => {
      const headers = forwarded(req.headers, req.socket.remoteAddress);
      const lines = Object.entries(headers).map(([name, value]) => `${name}: ${String(value)}`);
      upstream.write(`${req.method} ${req.url} HTTP/1.1\r\n${lines.join("\r\n")}\r\n\r\n`);
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on("error", () => socket.destroy());
    socket.on("error", () => upstream.destroy());
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return server;
}

/** POSTs the newsletter endpoint through the proxy from `localAddress`. */
function subscribe(base: string, localAddress: string, forged?: string): Promise<number> {
  return new Promise((done, fail) => {
    const req = request(
      `${base}/djust/api/newsletter/signup/`,
      {
        method: "POST",
        localAddress,
        agent: false,
        headers: {
          "content-type": "application/json",
          ...(forged && { "x-forwarded-for": forged }),
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => done(res.statusCode ?? 0));
      },
    );
    req.on("error", fail);
    req.end("{}");
  });
}

describe("docs/deployment.md: the app with two workers behind a proxy", { skip }, () => {
  let redis: TestRedis | undefined;
  let served: ChildProcess | undefined;
  let front: Server | undefined;
  let base = "";
  let stderr = "";

  before(async () => {
    const started = await startRedis();
    if ("skip" in started) throw new Error(started.skip);
    redis = started;
    served = spawn(
      process.execPath,
      [
        "bin/djust.js",
        "serve",
        "--app",
        "docs/examples/deployment-app.ts",
        "--port",
        "0",
        "--workers",
        "2",
      ],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? "",
          REDIS_URL: started.url,
          DJUST_SECRET_KEY: "deployment-secret",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    served.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const port = await new Promise<number>((done, fail) => {
      let out = "";
      served!.stdout!.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const match = / on http:\/\/127\.0\.0\.1:(\d+) \(2 workers\)/.exec(out);
        if (match) done(Number(match[1]));
      });
      served!.once("exit", (code) => fail(new Error(`djust serve exited (${code}):\n${stderr}`)));
    });
    front = await proxy({ host: "127.0.0.1", port });
    base = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
  });

  after(async () => {
    front?.close();
    if (served && served.exitCode === null) {
      const exited = new Promise((done) => served!.once("exit", done));
      served.kill("SIGTERM");
      await exited;
    }
    await redis?.stop();
  });

  it("without DJUST_SECRET_KEY the app refuses to start, naming it", async () => {
    const child = spawn(
      process.execPath,
      ["bin/djust.js", "serve", "--app", "docs/examples/deployment-app.ts", "--port", "0"],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? "", REDIS_URL: redis!.url },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let err = "";
    child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const code = await new Promise((done) => child.once("exit", done));
    assert.equal(code, 1);
    assert.match(err, /DJUST_SECRET_KEY must be set, to the same value on every node/);
  });

  it("health answers through the proxy: process and Redis", async () => {
    const res = await fetch(`${base}/djust/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: "ok", redis: "ok" });
  });

  it("a live page loads and its WebSocket joins and runs events through the proxy", async () => {
    const page = await loadPage(`${base}/`);
    assert.equal(page.status, 200);
    const client = await RawClient.connect(base, { cookie: page.cookie });
    try {
      assert.equal((await client.join(page, base)).payload.status, "ok");
      const reply = await client.event(page, "click", "increment", {});
      assert.deepEqual(response(reply).diff, { "0": "1" });
    } finally {
      client.close();
    }
  });

  it("trustedProxyCount: 1 limits each client by the address the proxy saw, on every worker", async () => {
    // Fresh connections: the proxy deals them to both workers; the bucket is in Redis.
    const first = [];
    for (let i = 0; i < 4; i++) first.push(await subscribe(base, "127.0.0.2"));
    assert.deepEqual(first, [200, 200, 200, 429]);
    // A forged header is kept, but the proxy appends the real address, which is what counts.
    assert.equal(await subscribe(base, "127.0.0.2", "198.51.100.9"), 429);
    assert.equal(await subscribe(base, "127.0.0.3", "127.0.0.2"), 200);
    const probe = createClient({ url: redis!.url });
    await probe.connect();
    try {
      const keys = (await probe.keys("*")).filter((key) => key.includes(":ip:"));
      assert.ok(
        keys.some((key) => key.includes("ip:127.0.0.2")),
        keys.join(" "),
      );
      assert.ok(
        keys.some((key) => key.includes("ip:127.0.0.3")),
        keys.join(" "),
      );
      assert.ok(!keys.some((key) => key.includes("198.51.100.9")), keys.join(" "));
    } finally {
      await probe.close();
    }
  });
});
