/**
 * docs/deployment.md: its app (docs/examples/deployment-app.ts) served by `djust serve
 * --workers 2` and by a second node on a real redis-server, behind nginx running the guide's
 * configuration (docs/examples/deployment-nginx.conf). The configuration passes `nginx -t` as
 * it is; the one served changes only its `listen`, certificate and `upstream` lines (loopback
 * ports, plain HTTP). Through it: health, a page and its WebSocket, a long-poll session dealt
 * to both nodes, and `trustedProxyCount: 1` taking the address nginx saw (a forged header does
 * not change it; the rate limit holds across every process). nginx is required: without it
 * this test fails (`.ci/run` installs it).
 */
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { createClient } from "redis";
import { findRedisServer, REDIS_MISSING, startRedis, type TestRedis } from "../support/redis.js";
import { LongPollClient } from "../support/longpoll-client.js";
import { loadPage, RawClient, response } from "../live/helpers.js";

const skip = findRedisServer() ? undefined : REDIS_MISSING;
const ROOT = resolve(import.meta.dirname, "../..");
const CONF = join(ROOT, "docs/examples/deployment-nginx.conf");
const run = promisify(execFile);

/** nginx on PATH or in /usr/sbin (not on a user's PATH on Debian); fails without it. */
function findNginx(): string {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/usr/local/sbin"];
  for (const dir of dirs.filter(Boolean)) {
    try {
      accessSync(join(dir, "nginx"), constants.X_OK);
      return join(dir, "nginx");
    } catch {
      // not here
    }
  }
  throw new Error("nginx is needed for this test: apt-get install -y nginx (.ci/run does)");
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/**
 * The guide's server configuration in a main one that runs nginx as the test user: every
 * path under `dir`, and an access log naming the upstream that served each request.
 */
function mainConf(dir: string, site: string): string {
  return `worker_processes 1;
events { worker_connections 256; }
http {
    log_format upstreams '$request_method $uri $upstream_addr';
    access_log ${dir}/access.log upstreams;
    client_body_temp_path ${dir}/body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
${site}
}
`;
}

/** Replaces `from` (which must occur once) in the guide's configuration. */
function swap(conf: string, from: string, to: string): string {
  assert.equal(conf.split(from).length, 2, `the guide's nginx configuration has one ${from}`);
  return conf.replace(from, to);
}

/** Runs `djust serve` with the guide's app; resolves with its port once it is listening. */
function serve(
  args: string[],
  env: Record<string, string>,
): { child: ChildProcess; port: Promise<number>; stderr: () => string } {
  const child = spawn(
    process.execPath,
    ["bin/djust.js", "serve", "--app", "docs/examples/deployment-app.ts", "--port", "0", ...args],
    { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const port = new Promise<number>((done, fail) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = / on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (match) done(Number(match[1]));
    });
    child.once("exit", (code) => fail(new Error(`djust serve exited (${code}):\n${stderr}`)));
  });
  return { child, port, stderr: () => stderr };
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((done) => child.once("exit", done));
  child.kill("SIGTERM");
  await exited;
}

/** POSTs the newsletter endpoint through nginx from `localAddress`. */
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

describe("docs/deployment.md: the app on two nodes behind the guide's nginx", { skip }, () => {
  const nginx = findNginx();
  let redis: TestRedis | undefined;
  let nodes: ReturnType<typeof serve>[] = [];
  let ports: number[] = [];
  let front: ChildProcess | undefined;
  let dir = "";
  let base = "";
  let nginxLog = "";

  before(async () => {
    const started = await startRedis();
    if ("skip" in started) throw new Error(started.skip);
    redis = started;
    const env = { REDIS_URL: started.url, DJUST_SECRET_KEY: "deployment-secret" };
    // The guide's command (two workers on one port), and a second machine's node.
    nodes = [serve(["--workers", "2"], env), serve([], env)];
    ports = await Promise.all(nodes.map((node) => node.port));

    dir = await mkdtemp(join(tmpdir(), "djust-nginx-"));
    const port = await freePort();
    let site = await readFile(CONF, "utf8");
    site = swap(site, "listen 443 ssl http2;", `listen 127.0.0.1:${port};`);
    site = swap(
      site,
      "server 127.0.0.1:8000;",
      ports.map((p) => `server 127.0.0.1:${p};`).join(" "),
    );
    site = site.replace(/^\s*ssl_certificate.*$/gm, "");
    await writeFile(join(dir, "nginx.conf"), mainConf(dir, site));
    front = spawn(
      nginx,
      [
        "-p",
        dir,
        "-e",
        join(dir, "error.log"),
        "-c",
        join(dir, "nginx.conf"),
        "-g",
        `daemon off; pid ${dir}/nginx.pid;`,
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    front.stderr!.on("data", (chunk: Buffer) => (nginxLog += chunk.toString()));
    base = `http://127.0.0.1:${port}`;
    // Listening once it answers (or gone, with its error log).
    for (let i = 0; ; i++) {
      if (front.exitCode !== null) {
        const log = await readFile(join(dir, "error.log"), "utf8").catch(() => "");
        throw new Error(`nginx exited (${front.exitCode}):\n${nginxLog}${log}`);
      }
      const answered = await fetch(`${base}/djust/health`).then(
        () => true,
        () => false,
      );
      if (answered) break;
      assert.ok(i < 200, "nginx did not listen within 10 s");
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  after(async () => {
    await stop(front);
    await Promise.all(nodes.map((node) => stop(node.child)));
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("the guide's configuration as it is (TLS, http2) passes nginx -t", async () => {
    const check = await mkdtemp(join(tmpdir(), "djust-nginx-t-"));
    try {
      // A throwaway certificate where the guide's Let's Encrypt paths are.
      await run("openssl", [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=app.example.com",
        "-keyout",
        join(check, "privkey.pem"),
        "-out",
        join(check, "fullchain.pem"),
      ]);
      const site = (await readFile(CONF, "utf8")).replaceAll(
        "/etc/letsencrypt/live/app.example.com",
        check,
      );
      await writeFile(join(check, "nginx.conf"), mainConf(check, site));
      const { stderr } = await run(nginx, [
        "-t",
        "-p",
        check,
        "-e",
        join(check, "error.log"),
        "-c",
        join(check, "nginx.conf"),
        "-g",
        `pid ${check}/nginx.pid;`,
      ]);
      assert.match(stderr, /syntax is ok/);
      assert.match(stderr, /test is successful/);
    } finally {
      await rm(check, { recursive: true, force: true });
    }
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

  it("/djust/health answers through nginx: process and Redis", async () => {
    const res = await fetch(`${base}/djust/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: "ok", redis: "ok" });
  });

  it("a live page loads and its WebSocket joins and runs events through nginx", async () => {
    const page = await loadPage(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(page.html, /<p id="count">0<\/p>/);
    // The Origin is nginx's address, port included: Host reaches djust unchanged.
    const client = await RawClient.connect(base, { cookie: page.cookie });
    try {
      assert.equal((await client.join(page, base)).payload.status, "ok");
      for (let n = 1; n <= 3; n++) {
        const reply = await client.event(page, "click", "increment", {});
        assert.deepEqual(response(reply).diff, { "0": String(n) });
      }
    } finally {
      client.close();
    }
  });

  it("long-poll through nginx: its requests go to both nodes (no sticky sessions) and every event replies", async () => {
    const page = await loadPage(`${base}/`);
    const client = new LongPollClient([base], page.cookie);
    await client.open();
    try {
      assert.equal((await client.join(page, base)).payload.status, "ok");
      for (let n = 1; n <= 4; n++) {
        const reply = await client.event(page, "click", "increment", {});
        assert.deepEqual(response(reply).diff, { "0": String(n) });
      }
    } finally {
      client.stop();
    }
    const log = await readFile(join(dir, "access.log"), "utf8");
    const served = new Set(
      [...log.matchAll(/^\w+ \/djust\/live\/longpoll 127\.0\.0\.1:(\d+)/gm)].map((m) =>
        Number(m[1]),
      ),
    );
    assert.deepEqual([...served].sort(), [...ports].sort(), log);
  });

  it("trustedProxyCount: 1 limits each client by the address nginx saw, on every node", async () => {
    // Fresh connections: nginx deals them to both nodes; the bucket is in Redis.
    const first = [];
    for (let i = 0; i < 4; i++) first.push(await subscribe(base, "127.0.0.2"));
    assert.deepEqual(first, [200, 200, 200, 429]);
    // A forged header is kept, but nginx appends the real address, which is what counts.
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
