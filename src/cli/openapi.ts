/**
 * `djust openapi`: prints the app's OpenAPI 3.1 document, so it can be committed, diffed in CI,
 * or fed to client generators without starting a server.
 *
 * ```
 * npx djust openapi --app src/app.ts > openapi.json
 * ```
 * @module
 */
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { apiDocument } from "../api/openapi.js";
import { apiHostOf } from "../server/api.js";
import type { AppContext } from "../server/context.js";
import { handlersOf } from "../view/registry.js";
import type { DjustApp } from "../server/app.js";
import { isHelp, readFlags, text } from "./args.js";
import { appOf, defaultAppPath, importModule, processIo, type CliIo } from "./load-app.js";

const USAGE = `Usage: djust openapi [--app <module>] [--out <file>] [--compact]

Prints the OpenAPI 3.1 document of the HTTP API.

  --app <module>  module exporting the app as \`app\` or default (default: app.ts, src/app.ts)
  --out <file>    write to a file instead of stdout
  --compact       no indentation
`;

interface Args {
  app?: string;
  out?: string;
  compact: boolean;
  help: boolean;
}

function parseArgs(argv: readonly string[]): Args | string {
  const args: Args = { compact: false, help: false };
  const mistake = readFlags(argv, (flag, value) => {
    if (isHelp(flag)) return (args.help = true);
    switch (flag) {
      case "--app":
        return text(flag, value(), "a module path", (v) => (args.app = v));
      case "--out":
      case "-o":
        return text("--out", value(), "a file path", (v) => (args.out = v));
      case "--compact":
        return (args.compact = true);
      default:
        return false;
    }
  });
  return mistake ?? args;
}

/** Metadata keys a djust copy writes handlers under (see view/registry.ts). */
const METHODS_KEY = "djust.methods";

/** `true` when some class of `cls`'s metadata chain has handlers recorded by any djust copy. */
function hasForeignHandlers(cls: object): boolean {
  let metadata = (cls as Record<symbol, object | null | undefined>)[Symbol.metadata as symbol];
  while (metadata) {
    if (Object.getOwnPropertySymbols(metadata).some((s) => s.description === METHODS_KEY)) {
      return true;
    }
    metadata = Object.getPrototypeOf(metadata) as object | null;
  }
  return false;
}

/**
 * Why the app's registry cannot give a document: no views at all, or views whose handlers
 * were recorded by another copy of djust than this command's (the app imports a different
 * installation, e.g. a checkout's sources while the command runs the compiled package).
 */
function registryProblem(context: AppContext): string | undefined {
  if (context.views.size === 0) {
    return (
      "the app has no views: register them before exporting it " +
      "(app.live(path, View) or app.register(View)) and make sure the module does not wait for " +
      "something (a listen() call) before doing so"
    );
  }
  for (const entry of context.views.values()) {
    let own: number;
    try {
      own = handlersOf(entry.view).size;
    } catch {
      continue; // a decoration error: generating the document reports it
    }
    if (own === 0 && hasForeignHandlers(entry.view)) {
      return (
        `the view ${entry.view.name} was defined with another copy of djust than this command ` +
        `(${fileURLToPath(import.meta.url)}); run the djust command of the installation the app ` +
        `imports (npx djust from the app's directory) so both use one copy`
      );
    }
  }
  return undefined;
}

/**
 * Runs `djust openapi` with the arguments after the subcommand. Returns the exit code: 0 on
 * success, 1 when the app cannot be loaded, 2 for bad usage.
 */
export async function runOpenapi(argv: string[], io: CliIo = processIo): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === "string") {
    io.stderr(`djust openapi: ${args}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    io.stdout(USAGE);
    return 0;
  }
  const path = args.app ?? (await defaultAppPath());
  if (!path) {
    io.stderr(`djust openapi: no --app given and no app.ts or src/app.ts found\n\n${USAGE}`);
    return 2;
  }
  let app: DjustApp | null;
  try {
    const module = await importModule(path);
    app = appOf(module.app) ?? appOf(module.default);
  } catch (error) {
    io.stderr(`djust openapi: cannot load ${path}: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
  if (!app) {
    io.stderr(
      `djust openapi: ${path} must export the app from createApp() as \`app\` or default\n`,
    );
    return 1;
  }
  const problem = registryProblem(app.context);
  if (problem) {
    io.stderr(`djust openapi: ${path}: ${problem}\n`);
    await app.close().catch(() => undefined);
    return 1;
  }
  let text: string;
  try {
    const document = apiDocument(apiHostOf(app.context));
    if (Object.keys(document.paths ?? {}).length === 0) {
      io.stderr(
        `djust openapi: note: no handler of the app's ${app.context.views.size} view(s) has ` +
          `exposeApi: true, so the document has no paths\n`,
      );
    }
    text = `${JSON.stringify(document, null, args.compact ? 0 : 2)}\n`;
  } catch (error) {
    io.stderr(`djust openapi: ${(error as Error).message}\n`);
    return 1;
  } finally {
    // The app was loaded only for its registry: release what it opened (pub/sub, stores), so
    // the command exits instead of waiting on open handles.
    await app.close().catch(() => undefined);
  }
  if (args.out) await writeFile(args.out, text);
  else io.stdout(text);
  return 0;
}
