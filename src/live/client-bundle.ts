/**
 * The browser client (`client/index.ts`), bundled with esbuild into memory on first use, and
 * served from `/djust/static/` under a content-hashed name (cached for a year) and a stable name
 * (revalidated by ETag). No separate build step: `npm start` serves a fresh bundle. Also the
 * version of `phoenix_live_view` it bundles, which join replies name.
 * @module
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** A built client script. */
export interface ClientBundle {
  readonly code: string;
  /** First 16 hex digits of the SHA-256 of {@link code}. */
  readonly hash: string;
  /** `"<hash>"`, for ETag / If-None-Match. */
  readonly etag: string;
  /** `djust.<hash>.js` */
  readonly fileName: string;
}

const SOURCE = fileURLToPath(new URL("../../client/index.ts", import.meta.url));
// A published package ships the bundle prebuilt next to the compiled code (no esbuild at run time).
const PREBUILT = fileURLToPath(new URL("../client/djust.js", import.meta.url));

let pending: Promise<ClientBundle> | undefined;

function bundleOf(code: string): ClientBundle {
  const hash = createHash("sha256").update(code).digest("hex").slice(0, 16);
  return { code, hash, etag: `"${hash}"`, fileName: `djust.${hash}.js` };
}

async function build(): Promise<ClientBundle> {
  if (!existsSync(SOURCE) && existsSync(PREBUILT)) {
    return bundleOf(readFileSync(PREBUILT, "utf8"));
  }
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    entryPoints: [SOURCE],
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
    target: ["es2020"],
    minify: true,
    legalComments: "none",
    logLevel: "silent",
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error("esbuild produced no output for the djust client");
  return bundleOf(file.text);
}

/** The client bundle, built once per process (concurrent callers share one build). */
export function clientBundle(): Promise<ClientBundle> {
  pending ??= build().catch((error: unknown) => {
    pending = undefined;
    throw error;
  });
  return pending;
}

/**
 * Writes the bundle to `path` (for a published package: `dist/client/djust.js`, which is served
 * when the `client/` sources are not shipped). Returns the bundle written.
 */
export async function writeClientBundle(path: string): Promise<ClientBundle> {
  const { mkdir, writeFile } = await import("node:fs/promises");
  const bundle = await clientBundle();
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bundle.code);
  return bundle;
}

/** The stable name of the bundle (revalidated by ETag; the hashed name is cached for a year). */
const STABLE_NAME = "djust.js";

/**
 * The response for client asset `file`: the bundle under its hashed or stable name (304 when
 * `ifNoneMatch` is its ETag), else `null` (not found).
 */
export async function clientBundleResponse(
  file: string,
  ifNoneMatch: string | undefined,
): Promise<Response | null> {
  const bundle = await clientBundle();
  const hashed = file === bundle.fileName;
  if (!hashed && file !== STABLE_NAME) return null;
  const headers: Record<string, string> = {
    "content-type": "text/javascript; charset=utf-8",
    etag: bundle.etag,
    "cache-control": hashed ? "public, max-age=31536000, immutable" : "no-cache",
  };
  if (ifNoneMatch === bundle.etag) return new Response(null, { status: 304, headers });
  return new Response(bundle.code, { status: 200, headers });
}

/** The `phoenix_live_view` version the bundled client expects in join replies. */
export function liveviewVersion(): string {
  try {
    const main = createRequire(import.meta.url).resolve("phoenix_live_view");
    // main = <pkg>/priv/static/phoenix_live_view.cjs.js
    const pkg = JSON.parse(
      readFileSync(join(dirname(main), "..", "..", "package.json"), "utf8"),
    ) as { version?: string };
    return pkg.version ?? "1.2.0";
  } catch {
    return "1.2.0";
  }
}
