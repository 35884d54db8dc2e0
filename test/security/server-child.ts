/**
 * The server of a memory test, in its own process: prints its URL, then answers each `rss`
 * line on stdin with its resident memory in MB after a full GC.
 */
import { createInterface } from "node:readline";
import { securityApp } from "./support.js";

const limits = JSON.parse(process.argv[2] ?? "{}") as Record<string, number>;
const app = securityApp({ limits });
const server = await app.listen(0, "127.0.0.1");
process.stdout.write(`${server.url}\n`);

const gc = (globalThis as { gc?: () => void }).gc;
createInterface({ input: process.stdin }).on("line", (line) => {
  if (line !== "rss") return;
  // Let pending socket work settle, then collect twice (weak refs, finalizers).
  setTimeout(() => {
    gc?.();
    gc?.();
    process.stdout.write(`${(process.memoryUsage().rss / 1048576).toFixed(1)}\n`);
  }, 200);
});
process.stdin.on("end", () => void server.close().then(() => process.exit(0)));
