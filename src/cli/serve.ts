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

function integer(flag: string, text: string | undefined, min: number): number | string {
  const value = Number(text);
  return text !== undefined && /^\d+$/.test(text) && value >= min && value <= 65535
    ? value
    : `${flag} needs an integer from ${min} to 65535, got ${JSON.stringify(text ?? "")}`;
}

function parseArgs(argv: readonly string[]): Args | string {
  const args: Args = { help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] =
      arg.startsWith("--") && arg.includes("=") ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case "--app":
        args.app = value();
        if (!args.app) return "--app needs a module path";
        break;
      case "--host":
        args.host = value();
        if (!args.host) return "--host needs an address";
        break;
      case "--port":
      case "--workers": {
        const n = integer(flag, value(), flag === "--port" ? 0 : 1);
        if (typeof n === "string") return n;
        if (flag === "--port") args.port = n;
        else args.workers = n;
        break;
      }
      case "--help":
      case "-h":
        args.help = true;
        break;
      default:
        return `unknown argument ${JSON.stringify(arg)}`;
    }
  }
  return args;
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
  let port = args.port;
  if (port === undefined) {
    const fromEnv = integer("PORT", env.PORT ?? "8000", 0);
    if (typeof fromEnv === "string") {
      io.stderr(`djust serve: ${fromEnv}\n`);
      return 2;
    }
    port = fromEnv;
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
