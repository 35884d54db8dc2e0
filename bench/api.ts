// HTTP API throughput: an exposed djust handler vs a bare Hono route doing the same zod
// validation and work, both served by @hono/node-server's request listener on node:http, loaded
// by autocannon in a separate process over loopback.
//
//   npx tsx bench/api.ts            (BENCH_SECONDS=5, BENCH_ROUNDS=2, BENCH_CONNECTIONS=50)
//
// Each server runs in its own child process (this file with `--serve <target> <work>`), set up
// the same way, so neither shares a heap or JIT feedback with the other. With two or more CPUs
// and `taskset` (util-linux) present, the servers are pinned to CPU 0 and autocannon to CPU 1,
// so load generator and server never compete for a core (BENCH_PIN=0 turns this off).
//
// Two kinds of "work": a trivial one (the framework's overhead in full view) and one SQLite
// read + write per call (closer to a real handler), identical in both servers.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import { getRequestListener } from "@hono/node-server";
import Database from "better-sqlite3";
import { Hono } from "hono";
import { z } from "zod";
import { LiveView, eventHandler, type AuthClassEntry } from "../src/index.js";
import { AllowAny, SessionAuth, createApp } from "../src/server/index.js";

const run = promisify(execFile);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const AUTOCANNON = createRequire(import.meta.url).resolve("autocannon/autocannon.js");

/** Whether servers can be pinned to CPU 0 and autocannon to CPU 1. */
async function canPin(): Promise<boolean> {
  if (process.env.BENCH_PIN === "0" || availableParallelism() < 2) return false;
  try {
    await run("taskset", ["-c", "0", "true"]);
    return true;
  } catch {
    return false;
  }
}

/** `command args` on `cpu` when pinning, else as it is. */
function onCpu(pinned: boolean, cpu: number, command: string, args: string[]): [string, string[]] {
  return pinned ? ["taskset", ["-c", String(cpu), command, ...args]] : [command, args];
}

const Params = z.object({ order_id: z.number().int(), status: z.string() });
const BODY = JSON.stringify({ order_id: 42, status: "shipped" });

type Order = { order_id: number; status: string };
type Work = (order: Order) => Order;

/** Trivial work: the same in both servers. */
const trivial: Work = (order) => ({ order_id: order.order_id, status: order.status.toUpperCase() });

/** One indexed UPDATE and one SELECT on an in-memory SQLite table of 10,000 orders. */
function sqliteWork(): Work {
  const db = new Database(":memory:");
  db.exec("CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT NOT NULL)");
  const insert = db.prepare("INSERT INTO orders (id, status) VALUES (?, ?)");
  db.transaction(() => {
    for (let id = 1; id <= 10_000; id++) insert.run(id, "pending");
  })();
  const update = db.prepare("UPDATE orders SET status = ? WHERE id = ?");
  const select = db.prepare("SELECT id AS order_id, status FROM orders WHERE id = ?");
  return (order) => {
    update.run(order.status, order.order_id);
    return select.get(order.order_id) as Order;
  };
}

function views(work: Work) {
  class OrderView extends LiveView {
    static override apiAuthClasses: readonly AuthClassEntry[] = [AllowAny];
    lastStatus = "";

    @eventHandler({ exposeApi: true, params: Params })
    update_status(order: Order) {
      const result = work(order);
      this.lastStatus = result.status;
      return result;
    }
  }
  class SessionOrderView extends OrderView {
    static override apiName = "session-order";
    static override apiAuthClasses = [SessionAuth];
  }
  return [OrderView, SessionOrderView] as const;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
  );
}

function bareHono(work: Work): Server {
  const hono = new Hono();
  hono.post("/orders/update_status/", async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json({ error: "invalid_json", message: "The body is not valid JSON." }, 400);
    }
    const parsed = Params.safeParse(body);
    if (!parsed.success) {
      return c.json({ error: "validation_error", message: "Invalid parameters." }, 400);
    }
    const result = work(parsed.data);
    return c.json({ result, assigns: { lastStatus: result.status } });
  });
  return createServer(getRequestListener(hono.fetch));
}

const TARGETS = ["djust", "djust (session + CSRF)", "bare Hono"] as const;
type Target = (typeof TARGETS)[number];
const WORKS = { trivial: () => trivial, sqlite: sqliteWork } as const;
type WorkName = keyof typeof WORKS;

/** What a server child reports once it listens: where to send load, and which headers. */
interface Served {
  url: string;
  headers: Record<string, string>;
}

/** Child mode: serves one target and prints a {@link Served} line. */
async function serve(target: Target, workName: WorkName): Promise<void> {
  const work = WORKS[workName]();
  if (target === "bare Hono") {
    const port = await listen(bareHono(work));
    const served: Served = { url: `http://127.0.0.1:${port}/orders/update_status/`, headers: {} };
    console.log(JSON.stringify(served));
    return;
  }
  const app = createApp({ secretKey: "bench", logger: { info() {}, warn() {}, error() {} } });
  const [OrderView, SessionOrderView] = views(work);
  app.register(OrderView).register(SessionOrderView);
  const { url } = await app.listen(0, "127.0.0.1");
  let served: Served = { url: `${url}/djust/api/order/update_status/`, headers: {} };
  if (target === "djust (session + CSRF)") {
    const { cookie, csrfToken } = await app.sessions.login({ id: 1 });
    served = {
      url: `${url}/djust/api/session-order/update_status/`,
      headers: { cookie, "x-csrftoken": csrfToken },
    };
  }
  console.log(JSON.stringify(served));
}

/** Starts a server child and waits for its {@link Served} line. */
function startServer(
  target: Target,
  workName: WorkName,
  pinned: boolean,
): Promise<{ child: ChildProcess; served: Served }> {
  const self = fileURLToPath(import.meta.url);
  const args = ["--import", "tsx", self, "--serve", target, workName];
  const [command, argv] = onCpu(pinned, 0, process.execPath, args);
  const child = spawn(command, argv, { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n")[0];
      if (out.includes("\n") && line) resolve({ child, served: JSON.parse(line) as Served });
    });
    child.once("exit", (code) => reject(new Error(`${target} server exited (${code})`)));
  });
}

interface Load {
  rps: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function load({ url, headers }: Served, seconds: number, pinned: boolean): Promise<Load> {
  const args = [AUTOCANNON, "-j", "-c", String(CONNECTIONS), "-d", String(seconds), "-m", "POST"];
  args.push("-H", "content-type=application/json", "-b", BODY);
  for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}=${v}`);
  args.push(url);
  const [command, argv] = onCpu(pinned, 1, process.execPath, args);
  const { stdout } = await run(command, argv, { maxBuffer: 64 * 1024 * 1024 });
  const report = JSON.parse(stdout) as {
    requests: { average: number };
    latency: { p99: number };
    non2xx: number;
    errors: number;
  };
  return {
    rps: report.requests.average,
    p99: report.latency.p99,
    non2xx: report.non2xx,
    errors: report.errors,
  };
}

async function scenario(name: string, workName: WorkName, pinned: boolean): Promise<number> {
  const servers = new Map<Target, { child: ChildProcess; served: Served }>();
  for (const target of TARGETS) servers.set(target, await startServer(target, workName, pinned));
  try {
    // Sanity: every target answers 200.
    for (const [target, { served }] of servers) {
      const res = await fetch(served.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...served.headers },
        body: BODY,
      });
      if (res.status !== 200) throw new Error(`${target}: ${res.status} ${await res.text()}`);
    }
    for (const { served } of servers.values()) await load(served, 1, pinned); // JIT warm-up

    // Rounds alternate targets so drift in machine load hits all of them alike.
    const results = new Map<Target, Load[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const [target, { served }] of servers) {
        const loads = results.get(target) ?? [];
        loads.push(await load(served, SECONDS, pinned));
        results.set(target, loads);
      }
    }

    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const summary = [...results].map(([target, loads]) => ({
      target,
      rps: mean(loads.map((l) => l.rps)),
      p99: mean(loads.map((l) => l.p99)),
      bad: loads.reduce((a, l) => a + l.non2xx + l.errors, 0),
    }));
    const base = summary.find((s) => s.target === "bare Hono")!.rps;
    console.log(`\n### ${name}\n`);
    console.log("| target | req/s | p99 ms | non-2xx + errors | ratio vs bare Hono |");
    console.log("|---|---|---|---|---|");
    for (const s of summary) {
      const ratio = (s.rps / base).toFixed(2);
      console.log(
        `| ${s.target} | ${Math.round(s.rps)} | ${s.p99.toFixed(1)} | ${s.bad} | ${ratio} |`,
      );
    }
    return summary.find((s) => s.target === "djust")!.rps / base;
  } finally {
    for (const { child } of servers.values()) child.kill();
  }
}

async function main(): Promise<void> {
  const pinned = await canPin();
  console.log(
    `HTTP API benchmark: ${ROUNDS} × ${SECONDS} s per target, ${CONNECTIONS} connections, ` +
      `one server process per target, autocannon in a child process` +
      `${pinned ? " (servers on CPU 0, autocannon on CPU 1)" : ""}, Node ${process.version}`,
  );
  const trivialRatio = await scenario(
    "Trivial work (zod validation + string op)",
    "trivial",
    pinned,
  );
  const sqliteRatio = await scenario("SQLite work (one UPDATE + one SELECT)", "sqlite", pinned);
  console.log(
    `\nratio djust/bare Hono: trivial ${trivialRatio.toFixed(2)}, SQLite ${sqliteRatio.toFixed(2)} (goal ≥ 0.80)`,
  );
}

const serveAt = process.argv.indexOf("--serve");
if (serveAt >= 0) {
  await serve(process.argv[serveAt + 1] as Target, process.argv[serveAt + 2] as WorkName);
} else {
  await main();
}
