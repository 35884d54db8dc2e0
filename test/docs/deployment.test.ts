/**
 * docs/deployment.md: its app (docs/examples/deployment-app.ts) served by `djust serve
 * --workers 2` and by a second node on a real redis-server, behind nginx and then Caddy, each
 * running the guide's file (docs/examples/deployment-nginx.conf, deployment-caddy.Caddyfile).
 * The files pass `nginx -t` and `caddy validate` as they are; the ones served change only
 * their addresses (listen/site, certificates, upstreams: loopback ports, plain HTTP). Through
 * each: health, a page and its WebSocket, a long-poll session dealt to both nodes, and
 * `trustedProxyCount: 1` taking the address the proxy saw (a forged header does not change it;
 * the rate limit holds across every process). nginx, Caddy and openssl are required: without
 * them this test fails (`.ci/run` installs them).
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
const NGINX_CONF = join(ROOT, "docs/examples/deployment-nginx.conf");
const CADDY_CONF = join(ROOT, "docs/examples/deployment-caddy.Caddyfile");
const run = promisify(execFile);

/** `name` on PATH or in an sbin directory (not on a user's PATH on Debian); fails without it. */
function findBinary(name: string, install: string): string {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/usr/local/sbin"];
  for (const dir of dirs.filter(Boolean)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  throw new Error(`${name} is needed for this test: ${install} (.ci/run does)`);
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
 * path under `dir`.
 */
function nginxMain(dir: string, site: string): string {
  return `worker_processes 1;
events { worker_connections 256; }
http {
    access_log ${dir}/access.log;
    client_body_temp_path ${dir}/body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
${site}
}
`;
}

/** Replaces `from` (which must occur once) in one of the guide's configurations. */
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

/** A proxy in front of the nodes, started from the guide's configuration. */
interface Front {
  readonly base: string;
  stop(): Promise<void>;
}

/** Resolves once `base` answers HTTP; rejects with `log()` if `child` exits first. */
async function listening(base: string, child: ChildProcess, log: () => Promise<string>) {
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`exited (${child.exitCode}):\n${await log()}`);
    const answered = await fetch(`${base}/djust/health`).then(
      () => true,
      () => false,
    );
    if (answered) return;
    assert.ok(i < 400, `nothing listens on ${base} after 20 s:\n${await log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** nginx as the test user with the guide's file: listen, certificate and upstream lines swapped. */
async function startNginx(dir: string, ports: number[]): Promise<Front> {
  const port = await freePort();
  let site = await readFile(NGINX_CONF, "utf8");
  site = swap(site, "listen 443 ssl http2;", `listen 127.0.0.1:${port};`);
  site = swap(site, "server 127.0.0.1:8000;", ports.map((p) => `server 127.0.0.1:${p};`).join(" "));
  site = site.replace(/^\s*ssl_certificate.*$/gm, "");
  await writeFile(join(dir, "nginx.conf"), nginxMain(dir, site));
  const child = spawn(
    findBinary("nginx", "apt-get install -y nginx"),
    [
      ...["-p", dir, "-e", join(dir, "error.log"), "-c", join(dir, "nginx.conf")],
      ...["-g", `daemon off; pid ${dir}/nginx.pid;`],
    ],
    { stdio: "ignore" },
  );
  const base = `http://127.0.0.1:${port}`;
  await listening(base, child, () => readFile(join(dir, "error.log"), "utf8").catch(() => ""));
  return { base, stop: () => stop(child) };
}

/** Caddy with the guide's file: its site address and upstreams swapped, its admin API off. */
async function startCaddy(dir: string, ports: number[]): Promise<Front> {
  const port = await freePort();
  let site = await readFile(CADDY_CONF, "utf8");
  site = swap(site, "app.example.com {", `http://127.0.0.1:${port} {`);
  site = swap(site, "127.0.0.1:8000 10.0.0.12:8000", ports.map((p) => `127.0.0.1:${p}`).join(" "));
  await writeFile(join(dir, "Caddyfile"), `{\n\tadmin off\n}\n\n${site}`);
  let output = "";
  const child = spawn(
    findBinary("caddy", "apt-get install -y caddy"),
    ["run", "--config", join(dir, "Caddyfile"), "--adapter", "caddyfile"],
    { env: caddyEnv(dir), stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const base = `http://127.0.0.1:${port}`;
  await listening(base, child, async () => output);
  return { base, stop: () => stop(child) };
}

/** Caddy keeps its state under HOME/XDG directories: the test's own. */
function caddyEnv(dir: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    HOME: dir,
    XDG_DATA_HOME: join(dir, "data"),
    XDG_CONFIG_HOME: join(dir, "config"),
  };
}

describe("docs/deployment.md: the app on two nodes on one Redis", { skip }, () => {
  let redis: TestRedis | undefined;
  let nodes: ReturnType<typeof serve>[] = [];
  let ports: number[] = [];

  before(async () => {
    const started = await startRedis();
    if ("skip" in started) throw new Error(started.skip);
    redis = started;
    const env = { REDIS_URL: started.url, DJUST_SECRET_KEY: "deployment-secret" };
    // The guide's command (two workers on one port), and a second machine's node.
    nodes = [serve(["--workers", "2"], env), serve([], env)];
    ports = await Promise.all(nodes.map((node) => node.port));
  });

  after(async () => {
    await Promise.all(nodes.map((node) => stop(node.child)));
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

  it("the guide's nginx file as it is (TLS, http2) passes nginx -t", async () => {
    const nginx = findBinary("nginx", "apt-get install -y nginx");
    const check = await mkdtemp(join(tmpdir(), "djust-nginx-t-"));
    try {
      // A throwaway certificate where the guide's Let's Encrypt paths are.
      await run("openssl", [
        ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"],
        ...["-subj", "/CN=app.example.com"],
        ...["-keyout", join(check, "privkey.pem"), "-out", join(check, "fullchain.pem")],
      ]);
      const site = (await readFile(NGINX_CONF, "utf8")).replaceAll(
        "/etc/letsencrypt/live/app.example.com",
        check,
      );
      await writeFile(join(check, "nginx.conf"), nginxMain(check, site));
      const { stderr } = await run(nginx, [
        ...["-t", "-p", check, "-e", join(check, "error.log"), "-c", join(check, "nginx.conf")],
        ...["-g", `pid ${check}/nginx.pid;`],
      ]);
      assert.match(stderr, /syntax is ok/);
      assert.match(stderr, /test is successful/);
    } finally {
      await rm(check, { recursive: true, force: true });
    }
  });

  it("the guide's Caddyfile as it is (automatic HTTPS, health checks) passes caddy validate", async () => {
    const check = await mkdtemp(join(tmpdir(), "djust-caddy-v-"));
    try {
      const { stdout, stderr } = await run(
        findBinary("caddy", "apt-get install -y caddy"),
        ["validate", "--config", CADDY_CONF, "--adapter", "caddyfile"],
        { env: caddyEnv(check) },
      );
      assert.match(stdout + stderr, /Valid configuration/);
    } finally {
      await rm(check, { recursive: true, force: true });
    }
  });

  for (const [name, start, addresses] of [
    ["nginx", startNginx, ["127.0.0.2", "127.0.0.3"]],
    ["Caddy", startCaddy, ["127.0.0.4", "127.0.0.5"]],
  ] as const) {
    describe(`behind ${name}, with the guide's configuration`, () => {
      let front: Front | undefined;
      let dir = "";
      let base = "";

      before(async () => {
        dir = await mkdtemp(join(tmpdir(), `djust-${name.toLowerCase()}-`));
        front = await start(dir, ports);
        base = front.base;
      });

      after(async () => {
        await front?.stop();
        if (dir) await rm(dir, { recursive: true, force: true });
      });

      it("/djust/health answers: process and Redis", async () => {
        const res = await fetch(`${base}/djust/health`);
        assert.equal(res.status, 200);
        assert.deepEqual(await res.json(), { status: "ok", redis: "ok" });
      });

      it("a live page loads and its WebSocket joins and runs events", async () => {
        const page = await loadPage(`${base}/`);
        assert.equal(page.status, 200);
        assert.match(page.html, /<p id="count">0<\/p>/);
        // The Origin is the proxy's address, port included: Host reaches djust unchanged.
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

      it("long-poll: its requests go to both nodes (no sticky sessions) and every event replies", async () => {
        // A request that lands on the node not owning the session is relayed to the owner
        // over Redis pub/sub: seeing relayed requests shows both nodes served the session.
        const probe = createClient({ url: redis!.url });
        await probe.connect();
        let relayed = 0;
        await probe.pSubscribe("djust:djust.longpoll.*", () => relayed++);
        const page = await loadPage(`${base}/`);
        const client = new LongPollClient([base], page.cookie);
        try {
          await client.open();
          assert.equal((await client.join(page, base)).payload.status, "ok");
          for (let n = 1; n <= 4; n++) {
            const reply = await client.event(page, "click", "increment", {});
            assert.deepEqual(response(reply).diff, { "0": String(n) });
          }
        } finally {
          client.stop();
          await probe.close();
        }
        assert.ok(relayed >= 2, `${relayed} relay messages: every request went to one node`);
      });

      it("trustedProxyCount: 1 limits each client by the address the proxy saw, on every node", async () => {
        const [client, other] = addresses;
        // Fresh connections: the proxy deals them to both nodes; the bucket is in Redis.
        const first = [];
        for (let i = 0; i < 4; i++) first.push(await subscribe(base, client));
        assert.deepEqual(first, [200, 200, 200, 429]);
        // A forged X-Forwarded-For: the proxy appends the real address (nginx) or replaces
        // the header with it (Caddy); either way the real address is what counts.
        assert.equal(await subscribe(base, client, "198.51.100.9"), 429);
        assert.equal(await subscribe(base, other, client), 200);
        const probe = createClient({ url: redis!.url });
        await probe.connect();
        try {
          const keys = (await probe.keys("*")).filter((key) => key.includes(":ip:"));
          assert.ok(
            keys.some((key) => key.includes(`ip:${client}`)),
            keys.join(" "),
          );
          assert.ok(
            keys.some((key) => key.includes(`ip:${other}`)),
            keys.join(" "),
          );
          assert.ok(!keys.some((key) => key.includes("198.51.100.9")), keys.join(" "));
        } finally {
          await probe.close();
        }
      });
    });
  }
});
