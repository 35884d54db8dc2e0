/**
 * Scale of one machine (DESIGN §7), through `djust serve` child processes on one real
 * `redis-server`, driven over real WebSockets by this process:
 * 1. events/s and p99 with 1 vs 2 worker processes (durability "reply", state in Redis);
 * 2. the cost of durability: one process with write-through ("reply"), write-behind ("behind")
 *    and everything in memory;
 *    both for each view of `SCALE_VIEWS` (bench/scale-app.ts): `counter` (almost no server
 *    work per event, so the driver and Redis weigh as much as the server), `table` (1,000
 *    rows rendered by a template, one flipped per event) and `search` (a filter and a sum over
 *    `SCALE_LINES` (10,000) order lines per event, ten rows shown: the server's own work dominates);
 * 3. memory per idle view at 1,000 and 10,000 connections (one joined view each): the server
 *    process's RSS and heap (after a full GC) before and after, divided by the connections.
 *
 * The driver runs closed loops (each socket sends its next event when the reply came), so it
 * measures what the server sustains, and reports the CPU time of the server processes, of
 * redis-server and of its own beside the figures: on a 2-core machine the driver, Redis and two
 * workers share the cores, and the sum shows how much of them a run used.
 *
 * Run: `node --import tsx bench/scale.ts` (`SCALE_SECONDS=5 SCALE_SOCKETS=32
 * SCALE_VIEWS=counter,table,search IDLE=1000,10000`; `IDLE=` skips the memory part).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { resolve } from "node:path";
import { createClient } from "redis";
import { loadPage, RawClient, type PageInfo } from "../test/live/helpers.js";
import { startRedis } from "../test/support/redis.js";
import { percentile } from "./support.js";

const ROOT = resolve(import.meta.dirname, "..");
const SECONDS = Number(process.env.SCALE_SECONDS ?? 5);
const SOCKETS = Number(process.env.SCALE_SOCKETS ?? 32);
const VIEWS = (process.env.SCALE_VIEWS ?? "counter,table,search").split(",").filter(Boolean);
const IDLE = (process.env.IDLE ?? "1000,10000").split(",").filter(Boolean).map(Number);
const TICKS = 100; // /proc clock ticks per second on Linux

interface Served {
  readonly child: ChildProcess;
  readonly url: string;
}

async function serve(args: string[], env: Record<string, string>): Promise<Served> {
  const child = spawn(
    process.execPath,
    ["--expose-gc", "bin/djust.js", "serve", "--app", "bench/scale-app.ts", "--port", "0", ...args],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const url = await new Promise<string>((done, fail) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = / on (http:\/\/\S+) \(/.exec(out);
      if (match) done(match[1]!);
    });
    child.once("exit", (code) => fail(new Error(`djust serve exited (${code})`)));
  });
  return { child, url };
}

async function stop(served: Served): Promise<void> {
  const exited = new Promise((done) => served.child.once("exit", done));
  served.child.kill("SIGTERM");
  await exited;
}

/** The process and its children (the workers). */
function tree(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    // gone
  }
  return [pid, ...children.flatMap(tree)];
}

/** CPU seconds (user + system) used so far by `pids`. */
function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks / TICKS;
}

/** Opens `count` sockets, each with one joined view (pages loaded `parallel` at a time). */
async function openViews(
  url: string,
  count: number,
  parallel = 16,
): Promise<{ client: RawClient; page: PageInfo }[]> {
  const views: { client: RawClient; page: PageInfo }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        next++;
        const page = await loadPage(`${url}/`);
        const client = await RawClient.connect(url, { cookie: page.cookie });
        const reply = await client.join(page, url);
        if (reply.payload.status !== "ok") throw new Error(JSON.stringify(reply.payload));
        views.push({ client, page });
      }
    }),
  );
  return views;
}

interface Load {
  readonly eventsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly serverCpu: number;
  readonly redisCpu: number;
  readonly driverCpu: number;
}

/** Closed-loop events on `SOCKETS` views for `SECONDS` (after 1 s of warm-up). */
async function drive(served: Served): Promise<Load> {
  const views = await openViews(served.url, SOCKETS);
  const pids = tree(served.child.pid!);
  let measuring = false;
  let stopped = false;
  const latencies: number[] = [];
  const loops = views.map(async ({ client, page }) => {
    while (!stopped) {
      const start = performance.now();
      await client.event(page, "click", "inc", {}, undefined);
      if (measuring) latencies.push(performance.now() - start);
    }
  });
  await new Promise((r) => setTimeout(r, 1000));
  const cpu0 = cpuSeconds(pids);
  const redis0 = cpuSeconds([redisPid]);
  const driver0 = process.cpuUsage();
  const t0 = performance.now();
  measuring = true;
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  const driver = process.cpuUsage(driver0);
  const serverCpu = (cpuSeconds(pids) - cpu0) / elapsed;
  const redisCpu = (cpuSeconds([redisPid]) - redis0) / elapsed;
  stopped = true;
  await Promise.all(loops);
  for (const { client } of views) client.close();
  return {
    eventsPerSecond: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    serverCpu,
    redisCpu,
    driverCpu: (driver.user + driver.system) / 1e6 / elapsed,
  };
}

function row(name: string, load: Load, base?: Load): string {
  const ratio = base ? ` | ${(load.eventsPerSecond / base.eventsPerSecond).toFixed(2)}×` : " | —";
  return (
    `| ${name} | ${Math.round(load.eventsPerSecond)} | ${load.p50.toFixed(1)} | ${load.p99.toFixed(1)}` +
    ` | ${load.serverCpu.toFixed(2)} | ${load.redisCpu.toFixed(2)} | ${load.driverCpu.toFixed(2)}` +
    ` | ${(load.serverCpu + load.redisCpu + load.driverCpu).toFixed(2)}${ratio} |`
  );
}

const redis = await startRedis();
if ("skip" in redis) throw new Error(redis.skip);
const env = { REDIS_URL: redis.url };
const redisPid = await (async () => {
  const client = createClient({ url: redis.url });
  await client.connect();
  const info = String(await client.sendCommand(["INFO", "server"]));
  await client.close();
  return Number(/process_id:(\d+)/.exec(info)![1]);
})();
console.log(
  `cores: ${availableParallelism()}, load average before: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
console.log(`${SOCKETS} sockets in closed loops, ${SECONDS} s measured per run\n`);

try {
  for (const view of VIEWS) {
    console.log(`\nview: ${view}\n`);
    console.log(
      "| run | events/s | p50 ms | p99 ms | server CPU | redis CPU | driver CPU | total (cores) | vs |",
    );
    console.log("|---|---|---|---|---|---|---|---|---|");
    const results: [string, Load][] = [];
    for (const [name, args, runEnv] of [
      ["1 worker, Redis, reply", ["--workers", "1"], env],
      ["2 workers, Redis, reply", ["--workers", "2"], env],
      ["1 process, Redis, reply", [], { ...env, BENCH_DURABILITY: "reply" }],
      ["1 process, Redis, behind", [], { ...env, BENCH_DURABILITY: "behind" }],
      ["1 process, memory", [], {}],
    ] as const) {
      const served = await serve([...args], { ...runEnv, SCALE_VIEW: view });
      try {
        const load = await drive(served);
        const base = name.startsWith("2 workers")
          ? results[0]?.[1]
          : results.find(([n]) => n.startsWith("1 process"))?.[1];
        console.log(row(name, load, base));
        results.push([name, load]);
      } finally {
        await stop(served);
      }
    }
  }

  console.log("\n| idle views (one socket each) | RSS per view | heap per view |");
  console.log("|---|---|---|");
  for (const count of IDLE) {
    const served = await serve([], env);
    try {
      const mem = async () =>
        (await (await fetch(`${served.url}/mem`)).json()) as { rss: number; heapUsed: number };
      const views0 = await openViews(served.url, 10); // code paths warm
      const before = await mem();
      const views = await openViews(served.url, count);
      await new Promise((r) => setTimeout(r, 500));
      const after = await mem();
      console.log(
        `| ${count.toLocaleString("en")} | ${((after.rss - before.rss) / count / 1024).toFixed(1)} KiB | ${((after.heapUsed - before.heapUsed) / count / 1024).toFixed(1)} KiB |`,
      );
      for (const { client } of [...views0, ...views]) client.close();
    } finally {
      await stop(served);
    }
  }
} finally {
  await redis.stop();
  console.log(
    `\nload average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
}
