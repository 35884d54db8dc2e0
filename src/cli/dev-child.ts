/**
 * The process `djust dev` runs the app in (one per start of the app; see dev.ts for why a
 * process and not a re-import). It gives the app the parent's stores, imports it, listens on
 * a loopback port the parent proxies to, and reports what failed: the import, a mount, a render
 * (template errors) or a handler, read from djust's tracing channels.
 *
 * Usage (by the parent only): `node --import tsx dev-child.js <app module>`
 * @module
 */
import { tracingChannel } from "node:diagnostics_channel";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { DEV_STORES } from "../server/adapters.js";
import { TRACE_CHANNELS, type TraceContext } from "../telemetry.js";
import { appOf, importModule } from "./load-app.js";
import { storesOverIpc, type DevError, type ParentMessage, type RunnerMessage } from "./dev-ipc.js";

/** djust's own directory (two levels up from src/cli/ and dist/cli/): its frames are skipped. */
const DJUST_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

function send(message: RunnerMessage): void {
  process.send?.(message);
}

/**
 * Where `error` happened in the app's own code: the first stack frame in a file under the
 * working directory that is neither djust's nor a dependency's.
 */
function appFrame(stack: string): { file: string; line: number; column: number } | undefined {
  for (const match of stack.matchAll(/\(?((?:file:\/\/)?\/[^():\n]+):(\d+):(\d+)\)?$/gm)) {
    const raw = match[1] as string;
    const path = raw.startsWith("file://") ? fileURLToPath(raw) : raw;
    if (path.startsWith(DJUST_ROOT + sep) || path.includes(`${sep}node_modules${sep}`)) continue;
    const file = relative(process.cwd(), path);
    if (file.startsWith("..") || isAbsolute(file)) continue;
    return { file, line: Number(match[2]), column: Number(match[3]) };
  }
  return undefined;
}

/** The overlay's account of `error`; `title` says what was running. */
export function describeError(title: string, error: unknown): DevError {
  const e = error as Partial<Record<"templateName" | "line" | "column" | "stack", unknown>> | null;
  // Duck-typed: the app may have thrown it with another copy of djust than this runner's.
  if (typeof e?.templateName === "string" && typeof e.line === "number") {
    return {
      title: "Template syntax error",
      message: error instanceof Error ? error.message : String(error),
      file: e.templateName,
      ...(e.line > 0 && { line: e.line, column: e.column as number }),
    };
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const stack = typeof e?.stack === "string" ? e.stack : undefined;
  const at = stack === undefined ? undefined : appFrame(stack);
  return { title, message, ...at, ...(stack !== undefined && { stack }) };
}

/** Reports failed mounts, renders and handlers of every copy of djust in this process. */
function reportErrors(): void {
  const channel = (name: string) => tracingChannel<object, TraceContext>(name);
  const failed = (name: string, title: (ctx: TraceContext) => string) =>
    channel(name).error.subscribe((message) => {
      const ctx = message as TraceContext;
      send({ kind: "error", error: describeError(title(ctx), ctx.error) });
    });
  failed(TRACE_CHANNELS.mount, (ctx) => `Error mounting ${ctx.view ?? "a view"}`);
  failed(TRACE_CHANNELS.render, (ctx) => `Error rendering ${ctx.view ?? "a view"}`);
  // A handler's failure is an outcome, not a throw: the dispatch reports it and goes on. A
  // synchronous dispatch ends with its outcome on `end`, an asynchronous one on `asyncEnd`.
  const handled = (message: unknown) => {
    const ctx = message as TraceContext;
    const result = ctx.result as { ok?: boolean; error?: { kind?: string; cause?: unknown } };
    if (result?.ok !== false || result.error?.kind !== "handler_error") return;
    const title = `Error in handler ${ctx.handler ?? ""} of ${ctx.view ?? "a view"}`;
    send({ kind: "error", error: describeError(title, result.error.cause) });
  };
  const events = channel(TRACE_CHANNELS.event);
  events.end.subscribe((message) => {
    if ((message as TraceContext).outcome !== undefined) handled(message);
  });
  events.asyncEnd.subscribe(handled);
}

async function run(path: string): Promise<void> {
  (globalThis as { [DEV_STORES]?: unknown })[DEV_STORES] = storesOverIpc(process);
  reportErrors();
  let close: () => Promise<void> = async () => undefined;
  process.on("message", (message) => {
    if ((message as ParentMessage).kind !== "shutdown") return;
    void close().finally(() => process.exit(0));
  });
  // The parent gone (killed): nothing will proxy to this process any more.
  process.on("disconnect", () => void close().finally(() => process.exit(0)));
  try {
    const module = await importModule(path);
    const app = appOf(module.app) ?? appOf(module.default);
    if (!app) {
      throw new Error(`${path} must export the app from createApp() as \`app\` or default`);
    }
    const server = await app.listen(0, "127.0.0.1");
    close = () => server.close();
    send({ kind: "ready", port: server.port });
  } catch (error) {
    send({ kind: "failed", error: describeError(`Cannot load ${path}`, error) });
  }
}

await run(process.argv[2] ?? "app.ts");
