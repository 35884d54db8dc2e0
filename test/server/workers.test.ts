/**
 * `djust serve` and `listen({ workers })` with real processes and a real `redis-server`
 * (DESIGN §7): workers sharing one port are full nodes on the shared Redis; a crashed worker is
 * replaced, with a back-off when they keep crashing; memory adapters with several workers are
 * refused; SIGTERM drains (events in flight reply, views are saved, sockets close with 1001)
 * and the process exits within `shutdownTimeoutMs`, Redis stalled or not.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { get } from "node:http";
import { resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { findRedisServer, REDIS_MISSING, startRedis, type TestRedis } from "../support/redis.js";
import { loadPage, RawClient, response, type Msg, type PageInfo } from "../live/helpers.js";

const skip = findRedisServer() ? undefined : REDIS_MISSING;
const ROOT = resolve(import.meta.dirname, "../..");
const APP = "test/fixtures/workers-app.ts";

/** A running `djust serve`. */
interface Served {
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: { stdout: string; stderr: string };
  /** Resolves with the exit code (or signal) and how long after `since` it came. */
  exited(): Promise<{ code: number | null; signal: string | null }>;
}

/** Runs `djust serve --app <fixture> --port 0 …args` and waits for its "serving" line. */
function serve(args: string[], env: Record<string, string>): Promise<Served> {
  const child = spawn(
    process.execPath,
    ["bin/djust.js", "serve", "--app", APP, "--port", "0", ...args],
    { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  const output = { stdout: "", stderr: "" };
  const exit = new Promise<{ code: number | null; signal: string | null }>((done) =>
    child.once("exit", (code, signal) => done({ code, signal })),
  );
  child.stderr!.on("data", (chunk: Buffer) => (output.stderr += chunk.toString()));
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no serving line within 90 s:\n${output.stderr}`)),
      90_000,
    );
    child.stdout!.on("data", (chunk: Buffer) => {
      output.stdout += chunk.toString();
      const url = / on (http:\/\/\S+) \(/.exec(output.stdout)?.[1];
      if (!url) return;
      clearTimeout(timer);
      resolvePromise({ child, url, output, exited: () => exit });
    });
    void exit.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`djust serve exited (${code ?? signal}) before serving:\n${output.stderr}`));
    });
  });
}

async function stop(served: Served | undefined): Promise<void> {
  if (!served || served.child.exitCode !== null || served.child.signalCode !== null) return;
  const timer = setTimeout(() => served.child.kill("SIGKILL"), 15_000);
  served.child.kill("SIGTERM");
  await served.exited();
  clearTimeout(timer);
}

/** The pid of the process answering a request on a fresh connection (no keep-alive). */
function pidAt(url: string): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const request = get(`${url}/pid`, { agent: false, timeout: 5000 }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolvePromise((JSON.parse(body) as { pid: number }).pid));
    });
    request.on("timeout", () => request.destroy(new Error("no answer within 5 s")));
    request.on("error", reject);
  });
}

/** Asks until `count` distinct pids answered (connections are dealt round-robin). */
async function workerPids(url: string, count: number, exclude: number[] = []): Promise<number[]> {
  const seen = new Set<number>();
  for (let i = 0; i < 200 && seen.size < count; i++) {
    const pid = await pidAt(url).catch(() => 0);
    if (pid && !exclude.includes(pid)) seen.add(pid);
    if (seen.size < count) await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(seen.size, count, `distinct workers answering: ${[...seen].join(", ")}`);
  return [...seen];
}

/** The number an event's reply carries (`inc`, `slowInc` and `pid` return one), else null. */
function value(reply: Msg): number | null {
  const diff = response(reply).diff as { r?: { value?: unknown }; e?: unknown } | undefined;
  if (reply.payload.status !== "ok" || diff?.e !== undefined) return null;
  return typeof diff?.r?.value === "number" ? diff.r.value : null;
}

/** Joins `page` on a new socket to `url`; resolves with the client and the count restored. */
async function joinCount(
  url: string,
  page: PageInfo,
): Promise<{ client: RawClient; count: number }> {
  const client = await RawClient.connect(url, { cookie: page.cookie });
  const reply = await client.join(page, url);
  assert.equal(reply.payload.status, "ok", JSON.stringify(reply.payload));
  const rendered = response(reply).rendered as Record<string, unknown>;
  return { client, count: Number(rendered["0"]) };
}

describe("djust serve --workers: refusals", () => {
  it("several workers with memory adapters: exits 1 naming what is not shared and the fix", async () => {
    const started = serve(["--workers", "2"], { DJUST_SECRET_KEY: "workers-secret" });
    await assert.rejects(started, (error: Error) => {
      assert.match(error.message, /exited \(1\) before serving/);
      assert.match(
        error.message,
        /djust serve: listen: workers: 2 needs shared state, but sessions, rate limits, view snapshots, pub\/sub are kept in each process's memory: a view could not reconnect to another worker, a login on one worker would be unknown to the others and rate limits would not be shared\. Set REDIS_URL \(or createApp\(\{ redis: url \}\)\), or use workers: 1\./,
      );
      return true;
    });
  });

  it("bad --workers and --port values are usage errors (exit 2)", async () => {
    for (const args of [
      ["--workers", "0"],
      ["--workers", "two"],
      ["--port", "70000"],
    ]) {
      await assert.rejects(serve(args, {}), (error: Error) => {
        assert.match(error.message, /exited \(2\)/);
        assert.match(error.message, /needs an integer from [01] to 65535/);
        return true;
      });
    }
  });
});

describe("djust serve --workers 2 on a shared redis-server", { skip }, () => {
  let redis: TestRedis | undefined;
  let env: Record<string, string>;

  before(async () => {
    const started = await startRedis();
    if ("skip" in started) throw new Error(started.skip);
    redis = started;
    env = { REDIS_URL: started.url, DJUST_SECRET_KEY: "workers-secret" };
  });

  after(async () => {
    await redis?.stop();
  });

  it("two workers share the port; a view moves between them with its state; a SIGKILLed worker is replaced", async () => {
    const served = await serve(["--workers", "2"], env);
    try {
      assert.match(
        served.output.stdout,
        /serving test\/fixtures\/workers-app\.ts on http:\/\/127\.0\.0\.1:\d+ \(2 workers\)/,
      );
      const [first, second] = await workerPids(served.url, 2);
      assert.notEqual(served.child.pid, first, "the primary serves nothing");

      // A view with state on one worker, then rejoined until a socket lands on the other.
      const page = await loadPage(`${served.url}/`);
      const { client, count } = await joinCount(served.url, page);
      assert.equal(count, 0);
      for (let i = 0; i < 3; i++) await client.event(page, "click", "inc", {});
      const owner = value(await client.event(page, "click", "pid", {}));
      client.close();
      let other: number | null = owner;
      for (let i = 0; i < 20 && other === owner; i++) {
        const again = await joinCount(served.url, page);
        assert.equal(again.count, 3, "every worker restores the view's state");
        other = value(await again.client.event(page, "click", "pid", {}));
        again.client.close();
      }
      assert.ok(other !== owner && [first, second].includes(other!), `moved: ${owner} → ${other}`);

      // SIGKILL one worker: the primary logs it and forks another; the port keeps answering.
      process.kill(first!, "SIGKILL");
      const replaced = await workerPids(served.url, 2, [first!]);
      assert.ok(replaced.includes(second!));
      assert.match(
        served.output.stderr,
        new RegExp(
          `worker ${first} exited \\(signal SIGKILL\\) after \\d+ ms; starting another in \\d+ ms`,
        ),
      );
    } finally {
      await stop(served);
    }
  });

  it("a worker that keeps crashing is replaced with a growing delay, not in a tight loop", async () => {
    const served = await serve(["--workers", "1"], { ...env, TEST_WORKER_CRASH_MS: "300" });
    try {
      const delays = () =>
        [
          ...served.output.stderr.matchAll(
            /exited \(code 3\) after \d+ ms; starting another in (\d+) ms/g,
          ),
        ].map((m) => Number(m[1]));
      for (let i = 0; i < 2400 && delays().length < 3; i++)
        await new Promise((r) => setTimeout(r, 50));
      const seen = delays();
      assert.ok(seen.length >= 3, `crashes logged: ${served.output.stderr}`);
      // Each crash within 10 s of listening doubles the wait: 200, 400, 800 ms… (a worker takes
      // seconds to load on a busy machine, so three crashes are what a test can wait for)
      for (let i = 1; i < seen.length; i++)
        assert.equal(seen[i], seen[i - 1]! * 2, `delays ${seen}`);
      assert.equal(seen[0], 200);
    } finally {
      await stop(served);
    }
  });

  for (const workers of [undefined, 2]) {
    const how = workers ? `${workers} workers` : "one process";
    it(`SIGTERM during a 50 events/s stream (${how}): events in flight reply, 0 acknowledged events lost, exit 0 within the bound`, async () => {
      const shutdownMs = 4000;
      const served = await serve(workers ? ["--workers", String(workers)] : [], {
        ...env,
        TEST_SHUTDOWN_MS: String(shutdownMs),
      });
      const page = await loadPage(`${served.url}/`);
      const { client } = await joinCount(served.url, page);
      let acked = 0;
      let sent = 0;
      const stream = setInterval(() => {
        sent++;
        client.event(page, "click", "inc", {}).then(
          (reply) => (acked = Math.max(acked, value(reply) ?? 0)),
          () => undefined, // dropped once the drain began: never acknowledged
        );
      }, 20);
      await new Promise((r) => setTimeout(r, 600));
      // An event still running when the signal arrives.
      const slow = client.event(page, "click", "slowInc", {});
      await new Promise((r) => setTimeout(r, 50));
      const signalled = Date.now();
      served.child.kill("SIGTERM");
      const slowReply = await slow;
      const closeCode = await client.closed();
      clearInterval(stream);
      const { code } = await served.exited();
      const tookMs = Date.now() - signalled;
      assert.equal(code, 0, served.output.stderr);
      assert.ok(tookMs < shutdownMs, `exited ${tookMs} ms after SIGTERM`);
      assert.ok(
        value(slowReply)! > 0,
        `the event in flight replied: ${JSON.stringify(slowReply.payload)}`,
      );
      assert.equal(closeCode, 1001, "going away: the client reconnects");
      acked = Math.max(acked, value(slowReply)!);

      // Another node on the same Redis restores everything acknowledged.
      const next = await serve([], env);
      try {
        const { client: rejoined, count } = await joinCount(next.url, page);
        rejoined.close();
        assert.ok(acked > 20, `events were acknowledged: ${acked} of ${sent}`);
        assert.ok(
          count >= acked && count <= sent + 1,
          `acknowledged ${acked}, restored ${count}, sent ${sent}`,
        );
      } finally {
        await stop(next);
      }
    });
  }

  it("SIGTERM with Redis stalled: the workers and the primary exit within shutdownTimeoutMs", async () => {
    const shutdownMs = 2000;
    const served = await serve(["--workers", "2"], {
      ...env,
      TEST_SHUTDOWN_MS: String(shutdownMs),
    });
    const page = await loadPage(`${served.url}/`);
    const { client } = await joinCount(served.url, page);
    await client.event(page, "click", "inc", {});
    redis!.pause();
    try {
      // A view whose snapshot cannot be written, and a drain that cannot close the adapters.
      void client.event(page, "click", "inc", {}).catch(() => undefined);
      const signalled = Date.now();
      served.child.kill("SIGTERM");
      const { code } = await served.exited();
      const tookMs = Date.now() - signalled;
      assert.equal(code, 0, served.output.stderr);
      // The workers' bound, plus the time processes take to exit on a loaded machine.
      assert.ok(tookMs < shutdownMs + 3000, `exited ${tookMs} ms after SIGTERM`);
      assert.match(
        served.output.stderr,
        /not closed within 2000 ms \(shutdownTimeoutMs\); dropping them/,
      );
    } finally {
      redis!.resume();
      client.close();
      await stop(served);
    }
  });
});
