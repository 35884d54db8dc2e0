/**
 * Upload throughput and server memory: one file of `UPLOAD_MB` MiB (default 1024), generated on
 * the fly, sent the way the official client sends it (the `allow_upload` preflight, an `lvu:`
 * channel, 64,000-byte binary chunks, each acknowledged before the next, a `progress` report
 * per percent), then consumed — against the same bytes POSTed to a bare `node:http` server that
 * streams the body to a temp file, in the same run.
 *
 * The servers run in a child process (`--expose-gc`) that samples its heap every 10 ms: the
 * figure is the peak `heapUsed` during the upload above the heap after a GC before it.
 *
 *   npx tsx bench/uploads.ts              # 1 GiB
 *   UPLOAD_MB=64 npx tsx bench/uploads.ts # quick
 */
import { fork, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { stat, unlink } from "node:fs/promises";
import { createServer, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { eventHandler, html, liveFileInput, LiveView, type Rendered } from "../src/index.js";
import { createApp } from "../src/server/index.js";
import { loadPage, RawClient, response, type Msg } from "../test/live/helpers.js";

const MIB = 1024 * 1024;
const CHUNK = 64_000;

/** The uploading view: one file of any type, up to the bench's size; consuming checks its size. */
class BlobView extends LiveView {
  stored = 0;

  override mount(): void {
    this.allowUpload("blob", { accept: "any", maxFileSize: 2 * 1024 * MIB, chunkTimeout: 60_000 });
  }

  @eventHandler({ params: "any" })
  async save(): Promise<void> {
    const [size] = await this.consumeUploadedEntries(
      "blob",
      async ({ path }) => (await stat(path)).size,
    );
    this.stored = size ?? 0;
  }

  override render(): Rendered {
    return html`<form dj-submit="save">${liveFileInput(this.uploads.blob!)}</form><p>${this.stored}</p>`;
  }
}

type Command = { cmd: "baseline" } | { cmd: "report" };
interface HeapReport {
  baseline: number;
  peak: number;
  afterGc: number;
}

/** The child: djust and a bare HTTP server, and a heap sampler driven over IPC. */
async function serve(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc!;
  const app = createApp({
    secretKey: "bench-uploads",
    logger: { info() {}, warn() {}, error: (m: string) => console.error(m) },
    limits: { eventsPerSecond: 1000, eventBurst: 2000 },
  });
  app.live("/", BlobView);
  const djust = await app.listen(0, "127.0.0.1");
  const bare = createServer((req, res) => {
    const path = join(tmpdir(), `bare-upload-${process.pid}-${Date.now()}`);
    void pipeline(req, createWriteStream(path)).then(async () => {
      const { size } = await stat(path);
      await unlink(path);
      res.end(String(size));
    });
  });
  await new Promise<void>((resolve) => bare.listen(0, "127.0.0.1", resolve));
  const barePort = (bare.address() as { port: number }).port;
  let baseline = 0;
  let peak = 0;
  setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 10).unref();
  process.on("message", (message: Command) => {
    if (message.cmd === "baseline") {
      gc();
      baseline = process.memoryUsage().heapUsed;
      peak = baseline;
      process.send!({ ok: true });
    } else {
      const top = Math.max(peak, process.memoryUsage().heapUsed);
      gc();
      process.send!({
        baseline,
        peak: top,
        afterGc: process.memoryUsage().heapUsed,
      } satisfies HeapReport);
    }
  });
  process.send!({ djust: djust.url, bare: `http://127.0.0.1:${barePort}/` });
}

/** Chunk `i` of the generated file: the same buffer with its first bytes changed. */
function chunkOf(buffer: Buffer, i: number, size: number): Buffer {
  buffer.writeUInt32BE(i, 0);
  return size === buffer.byteLength ? buffer : buffer.subarray(0, size);
}

function binaryPush(joinRef: string, ref: string, topic: string, data: Buffer): Buffer[] {
  const fields = [joinRef, ref, topic, "chunk"].map((f) => Buffer.from(f));
  return [Buffer.from([0, ...fields.map((f) => f.byteLength)]), ...fields, data];
}

async function djustUpload(base: string, bytes: number): Promise<number> {
  const page = await loadPage(`${base}/`);
  const client = await RawClient.connect(base, { cookie: page.cookie });
  const topic = `lv:${page.id}`;
  await client.join(page, base);
  const ref = /data-phx-upload-ref="([^"]+)"/.exec(page.html)![1]!;
  const started = performance.now();
  const pre = await client.push(topic, "allow_upload", {
    ref,
    entries: [{ ref: "0", name: "big.bin", size: bytes, type: "application/octet-stream" }],
  });
  const token = (response(pre).entries as Record<string, string>)["0"];
  const joined = await client.push("lvu:0", "phx_join", { token }, "7");
  if (joined.payload.status !== "ok") throw new Error(JSON.stringify(joined.payload));
  const buffer = Buffer.alloc(CHUNK, 0x5a);
  let sent = 0;
  let percent = 0;
  let n = 0;
  while (sent < bytes) {
    const size = Math.min(CHUNK, bytes - sent);
    const chunkRef = `c${n}`;
    const reply = client.next((m: Msg) => m.ref === chunkRef && m.event === "phx_reply", 30_000);
    const frame = Buffer.concat(binaryPush("7", chunkRef, "lvu:0", chunkOf(buffer, n, size)));
    client.ws.send(frame);
    const ack = await reply;
    if (ack.payload.status !== "ok") throw new Error(JSON.stringify(ack.payload));
    sent += size;
    n++;
    const now = Math.floor((sent / bytes) * 100);
    if (now > percent) {
      percent = now;
      // The official client reports progress without waiting for the reply.
      void client.push(topic, "progress", { ref, entry_ref: "0", progress: percent });
    }
  }
  const saved = await client.push(topic, "event", { type: "form", event: "save", value: "" });
  const elapsed = performance.now() - started;
  if (!JSON.stringify(response(saved).diff).includes(String(bytes))) {
    throw new Error(`the consumed file is not ${bytes} bytes: ${JSON.stringify(saved.payload)}`);
  }
  client.close();
  return elapsed;
}

async function httpUpload(url: string, bytes: number): Promise<number> {
  const started = performance.now();
  const buffer = Buffer.alloc(CHUNK, 0x5a);
  const stored = await new Promise<string>((resolve, reject) => {
    const req = request(url, { method: "POST", headers: { "content-length": bytes } }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve(body));
    });
    req.on("error", reject);
    let sent = 0;
    let n = 0;
    const write = () => {
      while (sent < bytes) {
        const size = Math.min(CHUNK, bytes - sent);
        sent += size;
        // A copy: the request may still hold the previous chunk when the loop goes on.
        if (!req.write(Buffer.from(chunkOf(buffer, n++, size)))) {
          req.once("drain", write);
          return;
        }
      }
      req.end();
    };
    write();
  });
  if (Number(stored) !== bytes) throw new Error(`bare server stored ${stored} bytes`);
  return performance.now() - started;
}

function ask<T>(child: ChildProcess, command: Command): Promise<T> {
  return new Promise((resolve) => {
    child.once("message", (m) => resolve(m as T));
    child.send(command);
  });
}

async function main(): Promise<void> {
  const mib = Number(process.env.UPLOAD_MB ?? 1024);
  const bytes = mib * MIB;
  const child = fork(fileURLToPath(import.meta.url), ["--server"], {
    execArgv: ["--expose-gc", "--import", "tsx"],
  });
  const urls = await new Promise<{ djust: string; bare: string }>((resolve) =>
    child.once("message", (m) => resolve(m as { djust: string; bare: string })),
  );
  const rows: string[] = [];
  const mb = bytes / 1e6;
  for (const [name, run] of [
    ["djust WebSocket upload", () => djustUpload(urls.djust, bytes)],
    ["bare node:http POST", () => httpUpload(urls.bare, bytes)],
  ] as const) {
    await ask(child, { cmd: "baseline" });
    const ms = await run();
    const heap = await ask<HeapReport>(child, { cmd: "report" });
    const growth = (heap.peak - heap.baseline) / MIB;
    rows.push(
      `  ${name.padEnd(24)} ${(mb / (ms / 1000)).toFixed(1).padStart(7)} MB/s  ${(ms / 1000).toFixed(1)} s  heap peak +${growth.toFixed(1)} MiB (after GC +${((heap.afterGc - heap.baseline) / MIB).toFixed(1)} MiB)`,
    );
  }
  child.kill();
  console.log(`\nUpload of ${mib} MiB (generated), server in a child process`);
  for (const row of rows) console.log(row);
}

if (process.argv.includes("--server")) void serve();
else await main();
