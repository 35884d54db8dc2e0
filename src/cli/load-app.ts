/**
 * What the commands that run an app (`djust openapi`, `djust serve`, `djust dev`) share: finding the app's
 * module, importing it (TypeScript through tsx when installed) and taking the app it exports.
 * @module
 */
import { access } from "node:fs/promises";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { DjustApp } from "../server/app.js";

/** Where a command writes (injectable for tests). */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** The process's stdout and stderr. */
export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

/** `value` if it looks like a djust app (its `context` has `views` and `options`), else null. */
export function appOf(value: unknown): DjustApp | null {
  const context = (value as { context?: unknown } | null | undefined)?.context;
  return typeof context === "object" &&
    context !== null &&
    "views" in context &&
    "options" in context
    ? (value as DjustApp)
    : null;
}

/** Imports the module at `path` (relative to the working directory). */
export async function importModule(path: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(resolve(path)).href;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (error) {
    // Plain `node` cannot load TypeScript; tsx (when installed) can. Its hooks are registered
    // for the whole process (not `tsImport`, whose private module namespace would load a second
    // copy of djust whose registries the app's views never reach), then the app is imported
    // again under a new URL, since the failed one stays cached.
    if (!/\.[cm]?tsx?$/.test(path) || !isUnknownExtension(error)) throw error;
    const tsx = (await import("tsx/esm/api").catch(() => null)) as {
      register?: () => unknown;
    } | null;
    if (!tsx?.register) {
      throw new Error(`cannot import ${path}: install tsx or compile the app to JavaScript first`);
    }
    tsx.register();
    return (await import(`${url}?djust-tsx`)) as Record<string, unknown>;
  }
}

function isUnknownExtension(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "ERR_UNKNOWN_FILE_EXTENSION" || code === "ERR_MODULE_NOT_FOUND";
}

/** The app module used without `--app`: the first of these that exists. */
export async function defaultAppPath(): Promise<string | null> {
  for (const candidate of ["app.ts", "src/app.ts", "app.js", "src/app.js"]) {
    try {
      await access(candidate);
      return candidate;
    } catch {
      // try the next one
    }
  }
  return null;
}
