/**
 * `djust dev`: serves the app and reloads it on every change while the browser's live views keep
 * their state.
 *
 * The app runs in a child process that is started again on each change, and this process keeps
 * the port, proxies HTTP and WebSocket traffic to the current child, and holds the stores that
 * must survive the restart (view snapshots and sessions, see dev-ipc.ts). A restart is: the old
 * child shuts down as in production (every connected view's snapshot is written, then its socket
 * closed with 1012) → a new child imports the changed code → the browsers' clients reconnect
 * (the upgrade waits here until the child is ready), rejoin with the page's signed view token
 * and restore from the snapshot, rendering with the new code and templates.
 *
 * Why a process and not a re-import with a cache-busting query: ESM has no module cache
 * eviction, so re-importing `app.ts?v=2` gets a new app module but the *old* `views.ts` and
 * everything else it imports (their URLs did not change), and each reload would keep the
 * previous module graph, its timers and connections alive for good. A new process loads every
 * module afresh, drops everything the old one held, and runs the exact shutdown and restore
 * paths production runs.
 *
 * The dev-only parts (the browser script, its event stream, the error overlay) live here, in
 * front of the app: an app started any other way never serves them.
 * @module
 */
import { fork, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, statSync, watch, type FSWatcher } from "node:fs";
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { extname, join, relative, resolve, sep } from "node:path";
import type { Duplex } from "node:stream";
import { fileURLToPath } from "node:url";
import { MemorySessionStore } from "../auth/session.js";
import type { DevStores } from "../server/adapters.js";
import { MemoryStateBackend } from "../state/backends/memory.js";
import { defaultAppPath } from "./load-app.js";
import {
  DEV_CLIENT_SCRIPT,
  DEV_EVENTS_PATH,
  DEV_PREFIX,
  DEV_SCRIPT_PATH,
  DEV_SCRIPT_TAG,
  type DevEvent,
} from "./dev-client.js";
import { answerStore, type DevError, type ParentMessage, type RunnerMessage } from "./dev-ipc.js";
import { integer, isHelp, readFlags, text } from "./args.js";

const USAGE = `Usage: djust dev [--app <module>] [--port <n>] [--host <name>] [--static <dir>]

Serves the app and reloads it when a file changes; connected views keep their state.

  --app <module>  module exporting the app as \`app\` or default (default: app.ts, src/app.ts)
  --port <n>      port to listen on (default: $PORT or 8000; 0 picks a free one)
  --host <name>   address to listen on (default: localhost; error details are shown to
                  whoever can reach it)
  --static <dir>  a directory of assets: a change there reloads the page (default: public and
                  static, when they exist); a changed .css file anywhere is swapped in place
`;

/** Directories never watched. */
const IGNORED_DIRS = new Set(["node_modules", "dist", "coverage"]);
/** How long after the last change of a burst (an editor's save, a `git checkout`) to restart. */
const SETTLE_MS = 100;
/** How long a child may take to shut down before it is killed. */
const STOP_TIMEOUT_MS = 15_000;

interface Args {
  app?: string;
  port: number;
  host: string;
  statics: string[];
  help: boolean;
}

function parseArgs(argv: readonly string[]): Args | string {
  const args: Args = {
    port: Number(process.env.PORT ?? 8000),
    host: "localhost",
    statics: [],
    help: false,
  };
  const mistake = readFlags(argv, (flag, value) => {
    if (isHelp(flag)) return (args.help = true);
    switch (flag) {
      case "--app":
        return text(flag, value(), "a module path", (v) => (args.app = v));
      case "--port":
        return integer(flag, value(), 0, (n) => (args.port = n));
      case "--host":
        return text(flag, value(), "an address", (v) => (args.host = v));
      case "--static":
        return text(flag, value(), "a directory", (v) => args.statics.push(v));
      default:
        return false;
    }
  });
  if (mistake) return mistake;
  if (!Number.isInteger(args.port)) return "$PORT is not a port number";
  return args;
}

/** The runner (dev-child.ts next to this file, or its compiled .js). */
const RUNNER = fileURLToPath(new URL(`./dev-child${extname(import.meta.url)}`, import.meta.url));

/** tsx's loader as a URL for `--import`, or null when it is not installed. */
function tsxLoader(): string | null {
  try {
    return import.meta.resolve("tsx");
  } catch {
    return null;
  }
}

type Upstream = { readonly port: number } | { readonly error: DevError };

/** What the supervisor tells the server about. */
interface SupervisorEvents {
  /** The app reported an error (or failed to start): shown until the next start. */
  error(error: DevError): void;
  /** A new child is ready (or failed: then `error` was called first). */
  started(upstream: Upstream): void;
}

/**
 * Runs the app in a child process and replaces it on demand. The new child loads the changed
 * code while the old one still serves, so the browsers are without a server only for the old
 * child's shutdown: a restart that kept them waiting for the whole load (seconds under tsx)
 * would outlast the client's WebSocket fallback and move it to long-polling.
 */
class Supervisor {
  readonly #stores: DevStores = {
    stateBackend: new MemoryStateBackend(),
    sessionStore: new MemorySessionStore(),
  };
  #child: ChildProcess | undefined;
  #upstream: Promise<Upstream>;
  #queue: Promise<void>;

  constructor(
    readonly appPath: string,
    readonly execArgv: readonly string[],
    readonly events: SupervisorEvents,
  ) {
    let ready!: (upstream: Upstream) => void;
    this.#upstream = new Promise<Upstream>((resolve) => (ready = resolve));
    this.#queue = this.#replace().then(ready);
  }

  /** The child to proxy to, once it is ready (requests before the first start wait here). */
  upstream(): Promise<Upstream> {
    return this.#upstream;
  }

  /**
   * Starts a new child and, once it is ready, stops the old one; restarts queue up. Resolves to
   * the new child, or to the error that kept it from starting (the old one then serves on).
   */
  restart(): Promise<Upstream> {
    const replaced = this.#queue.then(() => this.#replace());
    this.#queue = replaced.then(() => undefined);
    return replaced;
  }

  /** Stops the child (its views' snapshots written). */
  async close(): Promise<void> {
    await this.#queue;
    const child = this.#child;
    this.#child = undefined;
    await stop(child);
  }

  /**
   * Starts a child; when it is ready it takes the traffic, then the old one shuts down (writing
   * its views' snapshots before closing their sockets, so their rejoin, which can only reach
   * the new child, finds them). A child that fails to load is stopped and the old one kept.
   */
  async #replace(): Promise<Upstream> {
    const { child, upstream } = this.#start();
    const up = await upstream;
    if ("error" in up) {
      this.events.error(up.error);
      await stop(child);
      return up;
    }
    const old = this.#child;
    this.#child = child;
    this.#upstream = Promise.resolve(up);
    this.events.started(up);
    await stop(old);
    return up;
  }

  #start(): { child: ChildProcess; upstream: Promise<Upstream> } {
    const child = fork(RUNNER, [this.appPath], {
      execArgv: [...this.execArgv],
      serialization: "advanced",
      stdio: "inherit",
    });
    const upstream = new Promise<Upstream>((resolve) => {
      child.on("message", (raw) => {
        const message = raw as RunnerMessage;
        switch (message.kind) {
          case "store":
            // Answered for a child that is shutting down too: its last snapshots matter most.
            void answerStore(this.#stores, message).then((reply: ParentMessage) => {
              if (child.connected) child.send(reply);
            });
            break;
          case "ready":
            resolve({ port: message.port });
            break;
          case "failed":
            resolve({ error: message.error });
            break;
          case "error":
            if (this.#child === child) this.events.error(message.error);
            break;
        }
      });
      child.once("exit", (code, signal) => {
        const error: DevError = {
          title: "The app stopped",
          message: `The process running the app exited (${signal ?? `code ${code}`}); djust dev starts it again when a file changes.`,
        };
        resolve({ error });
        if (this.#child !== child) return;
        this.#child = undefined;
        this.#upstream = Promise.resolve({ error });
        this.events.error(error);
      });
    });
    return { child, upstream };
  }
}

/** Asks `child` to shut down (killed if it takes too long); resolves when it has exited. */
async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  if (child.connected) child.send({ kind: "shutdown" } satisfies ParentMessage);
  else child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** Inserts the dev script into an HTML page: before `</head>`, else at the end. */
export function withDevScript(html: string): string {
  const at = html.search(/<\/head\s*>/i);
  return at < 0
    ? `${html}${DEV_SCRIPT_TAG}`
    : `${html.slice(0, at)}${DEV_SCRIPT_TAG}${html.slice(at)}`;
}

/** An `IncomingMessage`'s raw headers without `names` (lowercase). */
function headersWithout(raw: readonly string[], names: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (!names.includes((raw[i] as string).toLowerCase()))
      kept.push(raw[i] as string, raw[i + 1] as string);
  }
  return kept;
}

/** The dev server: the proxy in front of the child, the dev script and its event stream. */
class DevServer {
  readonly #clients = new Set<ServerResponse>();
  #error: DevError | null = null;
  readonly server: Server;
  readonly supervisor: Supervisor;

  constructor(appPath: string, execArgv: readonly string[]) {
    this.supervisor = new Supervisor(appPath, execArgv, {
      error: (error) => {
        this.#error = error;
        this.#broadcast("overlay", error);
      },
      started: (upstream) => {
        if ("port" in upstream && this.#error) {
          this.#error = null;
          this.#broadcast("clear");
        }
      },
    });
    this.server = createServer((req, res) => void this.#request(req, res));
    this.server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      void this.#upgrade(req, socket, head);
    });
  }

  /** Tells the pages what changed after a restart: stylesheets, or other assets. */
  assetsChanged(kind: "css" | "reload"): void {
    this.#broadcast(kind);
  }

  #broadcast(event: DevEvent, data: unknown = {}): void {
    const text = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const client of this.#clients) client.write(text);
  }

  async #request(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?", 1)[0] as string;
    if (path.startsWith(DEV_PREFIX)) return this.#devRequest(path, req, res);
    const upstream = await this.supervisor.upstream();
    if ("error" in upstream) {
      // The app is not running: a page whose script shows why (the overlay has the error).
      res.writeHead(503, {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-store",
      });
      res.end(
        withDevScript(
          `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>djust dev</title></head><body></body></html>\n`,
        ),
      );
      return;
    }
    const forward = httpRequest(
      {
        host: "127.0.0.1",
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent: false,
      },
      (answer) => {
        const type = answer.headers["content-type"] ?? "";
        if (!type.startsWith("text/html") || answer.headers["content-encoding"]) {
          res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => chunks.push(chunk));
        answer.on("end", () => {
          const body = Buffer.from(withDevScript(Buffer.concat(chunks).toString("utf8")));
          const headers = headersWithout(answer.rawHeaders, [
            "content-length",
            "transfer-encoding",
          ]);
          res.writeHead(answer.statusCode ?? 502, [
            ...headers,
            "content-length",
            String(body.length),
          ]);
          res.end(body);
        });
        answer.on("error", () => res.destroy());
      },
    );
    forward.on("error", (error) => {
      if (res.headersSent) return void res.destroy();
      res.writeHead(502, { "content-type": "text/plain; charset=utf-8" });
      res.end(`djust dev: the app did not answer: ${error.message}\n`);
    });
    req.pipe(forward);
  }

  #devRequest(path: string, req: IncomingMessage, res: ServerResponse): void {
    if (path === DEV_SCRIPT_PATH) {
      res.writeHead(200, {
        "content-type": "text/javascript; charset=utf-8",
        "cache-control": "no-store",
      });
      res.end(DEV_CLIENT_SCRIPT);
      return;
    }
    if (path === DEV_EVENTS_PATH) {
      res.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-store",
        connection: "keep-alive",
      });
      res.write(": djust dev\n\n");
      if (this.#error) res.write(`event: overlay\ndata: ${JSON.stringify(this.#error)}\n\n`);
      this.#clients.add(res);
      req.on("close", () => this.#clients.delete(res));
      return;
    }
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
    res.end("Not found\n");
  }

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on("error", () => socket.destroy());
    const upstream = await this.supervisor.upstream();
    if ("error" in upstream || socket.destroyed) return void socket.destroy();
    const app = connect(upstream.port, "127.0.0.1", () => {
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      }
      app.write(`${lines.join("\r\n")}\r\n\r\n`);
      if (head.length > 0) app.write(head);
      socket.pipe(app).pipe(socket);
    });
    app.on("error", () => socket.destroy());
    socket.on("close", () => app.destroy());
    app.on("close", () => socket.destroy());
  }

  /** Ends the event streams and the connections, then the child. */
  async close(): Promise<void> {
    for (const client of this.#clients) client.end();
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await this.supervisor.close();
    await stopped;
  }
}

/** Watches `root`'s directories (not dependencies, builds or hidden ones) for changed files. */
function watchTree(root: string, changed: (path: string) => void): () => void {
  const watchers = new Map<string, FSWatcher>();
  const skip = (name: string) => name.startsWith(".") || IGNORED_DIRS.has(name);
  const add = (dir: string) => {
    if (watchers.has(dir)) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, (_event, name) => {
        if (name === null || skip(name) || name.endsWith("~")) return;
        const path = join(dir, name);
        let isDir = false;
        try {
          isDir = statSync(path).isDirectory();
        } catch {
          // removed: still a change
        }
        if (isDir) add(path);
        else changed(path);
      });
    } catch {
      return; // gone already
    }
    watcher.on("error", () => {
      watcher.close();
      watchers.delete(dir);
    });
    watchers.set(dir, watcher);
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory() && !skip(entry.name)) add(join(dir, entry.name));
    }
  };
  add(root);
  return () => {
    for (const watcher of watchers.values()) watcher.close();
  };
}

/**
 * Runs `djust dev` with the arguments after the subcommand; resolves to the exit status when
 * the server stops (SIGINT/SIGTERM): 0, 1 when it cannot start, 2 for bad usage.
 */
export async function runDev(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === "string") {
    process.stderr.write(`djust dev: ${args}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const appPath = args.app ?? (await defaultAppPath());
  if (!appPath) {
    process.stderr.write(`djust dev: no --app given and no app.ts or src/app.ts found\n\n${USAGE}`);
    return 2;
  }
  if (!existsSync(appPath)) {
    process.stderr.write(`djust dev: ${appPath} does not exist\n`);
    return 1;
  }
  const tsx = tsxLoader();
  const needsTsx = /\.[cm]?tsx?$/.test(appPath) || RUNNER.endsWith(".ts");
  if (needsTsx && !tsx) {
    process.stderr.write("djust dev: TypeScript apps need tsx: npm install --save-dev tsx\n");
    return 1;
  }
  const root = process.cwd();
  const statics = (
    args.statics.length > 0 ? args.statics : ["public", "static"].filter((d) => existsSync(d))
  ).map((dir) => resolve(dir) + sep);

  const dev = new DevServer(appPath, tsx ? ["--import", tsx] : []);
  try {
    await new Promise<void>((done, fail) => {
      dev.server.once("error", fail);
      dev.server.listen(args.port, args.host, () => done());
    });
  } catch (error) {
    process.stderr.write(
      `djust dev: cannot listen on ${args.host}:${args.port}: ${(error as Error).message}\n`,
    );
    await dev.supervisor.close();
    return 1;
  }
  const { port } = dev.server.address() as AddressInfo;
  const host = args.host.includes(":") ? `[${args.host}]` : args.host;
  process.stdout.write(`djust dev: ${appPath} at http://${host}:${port}/ (reloads on change)\n`);

  let pending = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const settle = () => {
    const paths = [...pending];
    pending = new Set();
    process.stdout.write(
      `djust dev: ${paths.map((p) => relative(root, p)).join(", ")} changed; restarting the app\n`,
    );
    void dev.supervisor.restart().then((upstream) => {
      if ("error" in upstream) {
        process.stdout.write(`djust dev: the changes did not start (${upstream.error.title})\n`);
        return;
      }
      process.stdout.write("djust dev: restarted with the changes\n");
      if (paths.some((p) => statics.some((dir) => p.startsWith(dir)) && !p.endsWith(".css"))) {
        dev.assetsChanged("reload");
      } else if (paths.some((p) => p.endsWith(".css"))) {
        dev.assetsChanged("css");
      }
    });
  };
  const unwatch = watchTree(root, (path) => {
    pending.add(path);
    clearTimeout(timer);
    timer = setTimeout(settle, SETTLE_MS);
  });

  await new Promise<void>((done) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => done());
  });
  clearTimeout(timer);
  unwatch();
  await dev.close();
  return 0;
}
