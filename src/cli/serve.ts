/**
 * `djust serve`: loads the app's module (like `djust openapi --app`) and serves it, in this
 * process or in `--workers N` processes sharing the port (`listen({ workers })`). SIGTERM and
 * SIGINT drain it: events in flight finish, views are saved, sockets close so that clients
 * reconnect, and the process exits within the app's `shutdownTimeoutMs`.
 *
 * ```
 * DJUST_SECRET_KEY=… REDIS_URL=redis://127.0.0.1:6379 npx djust serve --app src/app.ts --workers 2
 * ```
 * @module
 */
import { isClusterWorker } from "../server/cluster.js";
import { integer, isHelp, readFlags, text } from "./args.js";
import { appOf, defaultAppPath, importModule, processIo, type CliIo } from "./load-app.js";

const USAGE = `Usage: djust serve [--app <module>] [--port <n>] [--host <address>] [--workers <n>]

Serves the app.

  --app <module>   module exporting the app as \`app\` or default (default: app.ts, src/app.ts)
  --port <n>       port to listen on; 0 picks a free one (default: env PORT, else 8000)
  --host <address> address to listen on (default: env HOST, else 127.0.0.1)
  --workers <n>    worker processes sharing the port (node:cluster); more than one needs
                   Redis (REDIS_URL) for sessions, rate limits, snapshots and pub/sub
`;

interface Args {
  app?: string;
  port?: number;
  host?: string;
  workers?: number;
  help: boolean;
}

function parseArgs(argv: readonly string[]): Args | string {
  const args: Args = { help: false };
  const mistake = readFlags(argv, (flag, value) => {
    if (isHelp(flag)) return (args.help = true);
    switch (flag) {
      case "--app":
        return text(flag, value(), "a module path", (v) => (args.app = v));
      case "--host":
        return text(flag, value(), "an address", (v) => (args.host = v));
      case "--port":
        return integer(flag, value(), 0, (n) => (args.port = n));
      case "--workers":
        return integer(flag, value(), 1, (n) => (args.workers = n));
      default:
        return false;
    }
  });
  return mistake ?? args;
}

/**
 * Runs `djust serve` with the arguments after the subcommand. Resolves once the server
 * listens (0; the process then lives until a signal), or with 1 when the app cannot be loaded
 * or started, 2 for bad usage.
 */
export async function runServe(
  argv: string[],
  io: CliIo = processIo,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === "string") {
    io.stderr(`djust serve: ${args}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    io.stdout(USAGE);
    return 0;
  }
  let port = args.port ?? 8000;
  if (args.port === undefined) {
    const fromEnv = integer("PORT", env.PORT ?? "8000", 0, (n) => (port = n));
    if (fromEnv !== true) {
      io.stderr(`djust serve: ${fromEnv}\n`);
      return 2;
    }
  }
  const hostname = args.host ?? (env.HOST || "127.0.0.1");
  const path = args.app ?? (await defaultAppPath());
  if (!path) {
    io.stderr(`djust serve: no --app given and no app.ts or src/app.ts found\n\n${USAGE}`);
    return 2;
  }
  let module: Record<string, unknown>;
  try {
    module = await importModule(path);
  } catch (error) {
    io.stderr(`djust serve: cannot load ${path}: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
  const app = appOf(module.app) ?? appOf(module.default);
  if (!app) {
    io.stderr(`djust serve: ${path} must export the app from createApp() as \`app\` or default\n`);
    return 1;
  }
  const workers = args.workers;
  let server;
  try {
    server = await app.listen({ port, hostname, ...(workers !== undefined && { workers }) });
  } catch (error) {
    io.stderr(`djust serve: ${(error as Error).message}\n`);
    return 1;
  }
  if (isClusterWorker()) return 0; // the primary says where it listens, and handles signals
  if (workers === undefined) {
    // Workers and their primary drain on signals by themselves (listen({ workers })).
    const stop = () => void server.close().then(() => process.exit(0));
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  }
  const how = workers === undefined ? `pid ${process.pid}` : `${workers} workers`;
  io.stdout(`djust: serving ${path} on ${server.url} (${how})\n`);
  return 0;
}
