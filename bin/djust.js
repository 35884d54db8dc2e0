#!/usr/bin/env node
// The `djust` command's launcher. An installed copy (published package, or a git checkout
// under node_modules) runs the compiled dist/cli/main.js, the same files `import "djust"`
// loads. A checkout of djust itself runs src/cli/main.ts through tsx, so `npx djust` works
// in the repository without a build.
import { existsSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const source = join(root, "src", "cli", "main.ts");
const compiled = join(root, "dist", "cli", "main.js");
const installed = root.split(sep).includes("node_modules");

async function loadTsx() {
  try {
    return await import("tsx/esm/api");
  } catch {
    return null;
  }
}

const tsx = !installed && existsSync(source) ? await loadTsx() : null;
if (tsx) {
  tsx.register();
  await import(pathToFileURL(source).href);
} else if (existsSync(compiled)) {
  await import(pathToFileURL(compiled).href);
} else {
  process.stderr.write(
    `djust: ${compiled} is missing. Build the package first: npm run build (in ${root}).\n`,
  );
  process.exitCode = 1;
}
