/**
 * The upload protocol frame by frame with a raw `ws` client, as the official client speaks it:
 * `uploads` in a form event, the `allow_upload` preflight, `lvu:` channels with binary chunks,
 * `progress`, consume — and every bad input of the issue: forged, foreign and reused tokens,
 * chunks after done and over the size, binary frames on other topics, a thousand entries in one
 * preflight. After each test the process's upload directory holds no file.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { after, afterEach, before, describe, it } from "node:test";
import {
  createApp,
  liveSession,
  type DjustApp,
  type RunningServer,
} from "../../src/server/index.js";
import { uploadTempDir } from "../../src/live/upload-writer.js";
import { loadPage, memoryLogger, RawClient, response, type Msg, type PageInfo } from "./helpers.js";
import { AutoView, AvatarView, storage } from "./upload-views.js";
import { DocumentsView } from "../../docs/examples/uploads-s3.js";

/** A binary push as `phoenix`'s serializer encodes it. */
function binaryPush(joinRef: string, ref: string, topic: string, event: string, data: Buffer) {
  const fields = [joinRef, ref, topic, event].map((f) => Buffer.from(f));
  const header = Buffer.from([0, ...fields.map((f) => f.byteLength)]);
  return Buffer.concat([header, ...fields, data]);
}

let chunkRef = 1000;
/** Sends `data` as one chunk on `topic` and resolves with its reply. */
function chunk(client: RawClient, topic: string, data: Buffer, joinRef = "9"): Promise<Msg> {
  const ref = String(++chunkRef);
  const reply = client.next((m) => m.ref === ref && m.event === "phx_reply");
  client.ws.send(binaryPush(joinRef, ref, topic, "chunk", data));
  return reply;
}

/** Joins the upload channel of entry "0" with the token its preflight `pre` gave. */
function joinEntry(client: RawClient, pre: Record<string, unknown>): Promise<Msg> {
  return client.push(
    "lvu:0",
    "phx_join",
    { token: (pre.entries as Record<string, string>)["0"] },
    "9",
  );
}

function uploadRef(page: PageInfo): string {
  const match = /data-phx-upload-ref="([^"]+)"/.exec(page.html);
  assert.ok(match, "the page renders a live file input");
  return match[1]!;
}

function entry(ref: string, name: string, size: number, type = "image/png") {
  return { ref, name, size, type, last_modified: 1_700_000_000_000, relative_path: "" };
}

/** The avatar form with a short chunk timeout, for what happens once a channel falls silent. */
class HastyAvatarView extends AvatarView {
  override mount(): void {
    this.allowUpload("avatar", { accept: [".png"], maxEntries: 2, chunkTimeout: 200 });
  }
}

const UPLOAD_NODE = fileURLToPath(new URL("../fixtures/upload-node.ts", import.meta.url));

async function tempFiles(): Promise<string[]> {
  return readdir(uploadTempDir());
}

describe("uploads over the WebSocket", () => {
  let app: DjustApp;
  let server: RunningServer;
  let base: string;
  const clients: RawClient[] = [];
  const logger = memoryLogger();

  async function joined(path = "/") {
    const page = await loadPage(`${base}${path}`);
    const client = await RawClient.connect(base, { cookie: page.cookie });
    clients.push(client);
    const reply = await client.join(page, base, { url: `${base}${path}` });
    assert.equal(reply.payload.status, "ok", JSON.stringify(reply.payload));
    return { page, client, topic: `lv:${page.id}`, ref: uploadRef(page) };
  }

  /** Preflights `entries` and returns the reply's response. */
  async function allow(client: RawClient, topic: string, ref: string, entries: unknown[]) {
    const reply = await client.push(topic, "allow_upload", { ref, entries });
    assert.equal(reply.payload.status, "ok", JSON.stringify(reply.payload));
    return response(reply);
  }

  before(async () => {
    app = createApp({ secretKey: "upload-secret", logger });
    // External uploads are signed only: no request reaches this bucket.
    const s3 = { url: "http://127.0.0.1:9/", bucket: "b", region: "eu-west-1" };
    app
      .live("/", AvatarView)
      .live("/auto/", AutoView)
      .live("/hasty/", HastyAvatarView)
      .live(
        "/documents/",
        liveSession(DocumentsView, { s3: { ...s3, accessKeyId: "AK", secretAccessKey: "SK" } }),
      );
    server = await app.listen(0, "127.0.0.1");
    base = server.url;
  });

  afterEach(async () => {
    // Give the views closing behind the sockets a moment, then nothing may be left behind.
    for (const client of clients.splice(0)) client.close();
    for (let i = 0; i < 50 && (await tempFiles()).length > 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(await tempFiles(), [], "no temp file is left behind");
    storage.clear();
  });

  after(async () => {
    await server.close();
  });

  it("keeps the upload's ref from the dead render through the join", async () => {
    const { client, topic, ref } = await joined();
    const reply = await client.event(
      { id: topic.slice(3) } as PageInfo,
      "form",
      "validate",
      "",
      undefined,
    );
    assert.equal(reply.payload.status, "ok");
    assert.match(ref, /^phx-/);
  });

  it("uploads two files in chunks, reports progress and consumes them into storage", async () => {
    const { page, client, topic, ref } = await joined();
    const a = Buffer.alloc(1500, 7);
    const b = Buffer.from("tiny jpeg");
    // The form's change event lists the chosen files: the entries appear in the page.
    const change = await client.push(topic, "event", {
      type: "form",
      event: "validate",
      value: "",
      uploads: {
        [ref]: [entry("0", "a.png", a.byteLength), entry("1", "b.jpg", b.byteLength, "image/jpeg")],
      },
    });
    assert.match(JSON.stringify(response(change).diff), /a\.png/);
    const preflight = await allow(client, topic, ref, [
      entry("0", "a.png", a.byteLength),
      entry("1", "b.jpg", b.byteLength, "image/jpeg"),
    ]);
    assert.equal(preflight.ref, ref);
    assert.deepEqual(preflight.config, {
      max_file_size: 2000,
      max_entries: 2,
      chunk_size: 64_000,
      chunk_timeout: 10_000,
    });
    const tokens = preflight.entries as Record<string, string>;
    assert.deepEqual(Object.keys(tokens).sort(), ["0", "1"]);
    assert.deepEqual(preflight.errors, {});
    // The rendered input now lists both entries as preflighted.
    assert.match(JSON.stringify(response(await client.event(page, "form", "validate", ""))), /.*/);

    for (const [entryRef, data] of [
      ["0", a],
      ["1", b],
    ] as const) {
      const topicU = `lvu:${entryRef}`;
      const join = await client.push(topicU, "phx_join", { token: tokens[entryRef] }, "9");
      assert.equal(join.payload.status, "ok", JSON.stringify(join.payload));
      // Two chunks for the first file, one for the second.
      const parts = data.byteLength > 1000 ? [data.subarray(0, 1000), data.subarray(1000)] : [data];
      for (const part of parts) {
        const ok = await chunk(client, topicU, part);
        assert.equal(ok.payload.status, "ok", JSON.stringify(ok.payload));
      }
      const progress = await client.push(topic, "progress", {
        ref,
        entry_ref: entryRef,
        progress: 100,
        event: null,
      });
      assert.equal(progress.payload.status, "ok");
      assert.match(JSON.stringify(response(progress).diff), /100/);
    }
    assert.equal((await tempFiles()).length, 2, "both files sit in the temp directory");
    const save = await client.event(page, "form", "save", "");
    assert.equal(save.payload.status, "ok");
    assert.match(JSON.stringify(response(save).diff), /a\.png/);
    assert.deepEqual(storage.get("a.png"), a);
    assert.deepEqual(storage.get("b.jpg"), b);
    assert.deepEqual(await tempFiles(), [], "consumed files are deleted");
  });

  it("uploads a zero-byte file: the join completes it, the client's empty chunk is acknowledged", async () => {
    const { page, client, topic, ref } = await joined();
    const pre = await allow(client, topic, ref, [entry("0", "empty.png", 0)]);
    const token = (pre.entries as Record<string, string>)["0"];
    const done = client.next((m) => m.topic === topic && m.event === "diff");
    const join = await client.push("lvu:0", "phx_join", { token }, "9");
    assert.equal(join.payload.status, "ok");
    // No progress report can mark an empty file done (0/0): the server shows it done itself.
    assert.match(JSON.stringify((await done).payload), /100/);
    // The bundled client's readNextChunk() still sends the empty file's one, empty, slice.
    const ack = await chunk(client, "lvu:0", Buffer.alloc(0));
    assert.deepEqual(ack.payload, { status: "ok", response: {} });
    const save = await client.event(page, "form", "save", "");
    assert.equal(save.payload.status, "ok");
    assert.deepEqual(storage.get("empty.png"), Buffer.alloc(0));
    assert.deepEqual(
      logger.lines.filter((l) => l.level === "error"),
      [],
      "an empty file is no failure",
    );
  });

  it("refuses too large, not accepted and too many files in the preflight, socket kept", async () => {
    const { client, topic, ref } = await joined();
    const refused = await allow(client, topic, ref, [
      entry("0", "big.png", 2001),
      entry("1", "notes.txt", 10, "text/plain"),
    ]);
    assert.equal(refused.ref, ref);
    assert.deepEqual(refused.error, [
      ["0", "too_large"],
      ["1", "not_accepted"],
    ]);
    assert.equal(refused.entries, undefined, "no token for anything");
    // The page shows both errors at once (the reply carries the render).
    assert.match(JSON.stringify(refused.diff), /File too large.*Unacceptable file type/);
    const { client: other, topic: t2, ref: r2 } = await joined();
    const many = await allow(other, t2, r2, [
      entry("0", "a.png", 1),
      entry("1", "b.png", 1),
      entry("2", "c.png", 1),
    ]);
    assert.deepEqual(many.error, [[r2, "too_many_files"]]);
    const heartbeat = await client.push("phoenix", "heartbeat", {});
    assert.equal(heartbeat.payload.status, "ok", "the socket stays open");
  });

  it("refuses 1,000 entries in one preflight whole, storing none of them", async () => {
    const { client, topic, ref } = await joined();
    // Short entries, so that all 1,000 fit in one frame (64 KiB); a longer list would only close
    // the socket as too big (1009) before any of it is read.
    const entries = Array.from({ length: 1000 }, (_, i) => ({
      ref: String(i),
      name: `${i}.png`,
      size: 1,
      type: "image/png",
    }));
    const reply = await client.push(topic, "allow_upload", { ref, entries });
    assert.equal(reply.payload.status, "ok");
    assert.deepEqual(response(reply).error, [[ref, "too_many_files"]]);
    assert.equal(response(reply).entries, undefined, "no token for anything");
    const shown = JSON.stringify(response(reply).diff);
    assert.match(shown, /Too many files/);
    assert.doesNotMatch(shown, /0\.png/, "none of the entries was stored");
    assert.equal((await client.push("phoenix", "heartbeat", {})).payload.status, "ok");
  });

  it("refuses an entry ref that is a prototype key, socket kept", async () => {
    const { client, topic, ref } = await joined();
    const reply = await client.push(topic, "allow_upload", {
      ref,
      entries: [entry("__proto__", "a.png", 3)],
    });
    assert.deepEqual(reply.payload, {
      status: "error",
      response: { error: "not_found", message: "Malformed upload entry." },
    });
    const good = await allow(client, topic, ref, [entry("0", "a.png", 3)]);
    assert.equal(typeof (good.entries as Record<string, unknown>)["0"], "string");
  });

  it("refuses forged, foreign and reused tokens", async () => {
    const { client, topic, ref } = await joined();
    const pre = await allow(client, topic, ref, [entry("0", "a.png", 3)]);
    const token = (pre.entries as Record<string, string>)["0"]!;
    const forged = await client.push(
      "lvu:0",
      "phx_join",
      { token: token.slice(0, -2) + "xx" },
      "9",
    );
    assert.deepEqual(forged.payload, { status: "error", response: { reason: "invalid_token" } });
    // A genuine token names its entry: it does not open another entry's channel.
    const wrongEntry = await client.push("lvu:1", "phx_join", { token }, "9");
    assert.deepEqual(wrongEntry.payload.response, { reason: "invalid_token" });
    // Another connection (another browser) has no such view joined.
    const { client: stranger } = await joined();
    const foreign = await stranger.push("lvu:0", "phx_join", { token }, "9");
    assert.deepEqual(foreign.payload.response, { reason: "disallowed" });
    const ok = await client.push("lvu:0", "phx_join", { token }, "9");
    assert.equal(ok.payload.status, "ok");
    const again = await client.push("lvu:0", "phx_join", { token }, "10");
    assert.deepEqual(again.payload.response, { reason: "already_registered" });
    assert.equal((await chunk(client, "lvu:0", Buffer.from("abc"))).payload.status, "ok");
    await client.push(topic, "progress", { ref, entry_ref: "0", progress: 100 });
    await client.event({ id: topic.slice(3) } as PageInfo, "form", "save", "");
    assert.deepEqual(storage.get("a.png"), Buffer.from("abc"));
    // Consumed: the same token (on a new channel) may not upload again.
    await client.push("lvu:0", "phx_leave", {}, "9");
    const reused = await client.push("lvu:0", "phx_join", { token }, "11");
    assert.deepEqual(reused.payload.response, { reason: "disallowed" });
  });

  it("fails an entry that sends past its size or after done; the socket stays", async () => {
    const { client, topic, ref } = await joined();
    const pre = await allow(client, topic, ref, [entry("0", "a.png", 4), entry("1", "b.png", 2)]);
    const tokens = pre.entries as Record<string, string>;
    await client.push("lvu:0", "phx_join", { token: tokens["0"] }, "9");
    assert.equal((await chunk(client, "lvu:0", Buffer.from("ab"))).payload.status, "ok");
    const over = await chunk(client, "lvu:0", Buffer.from("cde"));
    assert.deepEqual(over.payload, {
      status: "error",
      response: { reason: "file_size_limit_exceeded", limit: 4 },
    });
    const closed = await client.next((m) => m.topic === "lvu:0" && m.event === "phx_close");
    assert.equal(closed.joinRef, "9");
    // The view shows the error on the entry.
    const diff = await client.next((m) => m.topic === topic && m.event === "diff");
    assert.match(JSON.stringify(diff.payload), /entry-error/);
    // Done, then one more byte.
    await client.push("lvu:1", "phx_join", { token: tokens["1"] }, "12");
    assert.equal((await chunk(client, "lvu:1", Buffer.from("xy"), "12")).payload.status, "ok");
    const late = await chunk(client, "lvu:1", Buffer.from("z"), "12");
    assert.equal((late.payload.response as { reason: string }).reason, "file_size_limit_exceeded");
    // A progress report cannot claim bytes that never arrived.
    const { client: c2, topic: t2, ref: r2 } = await joined();
    const p2 = await allow(c2, t2, r2, [entry("0", "a.png", 10)]);
    await joinEntry(c2, p2);
    await chunk(c2, "lvu:0", Buffer.from("12345"));
    const claim = await c2.push(t2, "progress", { ref: r2, entry_ref: "0", progress: 100 });
    assert.match(JSON.stringify(response(claim).diff), /50/);
    const save = await c2.event({ id: t2.slice(3) } as PageInfo, "form", "save", "");
    assert.match(JSON.stringify(response(save).diff), /still uploading|handler_error/);
    assert.equal((await client.push("phoenix", "heartbeat", {})).payload.status, "ok");
  });

  it("does not consume an entry that failed after it was done", async () => {
    const { page, client, topic, ref } = await joined();
    const pre = await allow(client, topic, ref, [entry("0", "a.png", 2)]);
    await joinEntry(client, pre);
    assert.equal((await chunk(client, "lvu:0", Buffer.from("ab"))).payload.status, "ok");
    await client.push(topic, "progress", { ref, entry_ref: "0", progress: 100 });
    const failed = client.next((m) => m.topic === topic && m.event === "diff");
    const late = await chunk(client, "lvu:0", Buffer.from("c"));
    assert.equal((late.payload.response as { reason: string }).reason, "file_size_limit_exceeded");
    assert.match(JSON.stringify((await failed).payload), /entry-error/);
    // Its file is deleted: consuming hands over nothing (and the handler does not fail on it).
    const save = await client.event(page, "form", "save", "");
    assert.equal(save.payload.status, "ok");
    assert.doesNotMatch(JSON.stringify(response(save)), /handler_error/);
    assert.equal(storage.has("a.png"), false);
  });

  it("does not consume an external entry that failed after reporting 100", async () => {
    const { page, client, topic, ref } = await joined("/documents/");
    const pre = await allow(client, topic, ref, [entry("0", "a.pdf", 10, "application/pdf")]);
    assert.equal((pre.entries as Record<string, { uploader: string }>)["0"]?.uploader, "S3");
    await client.push(topic, "progress", { ref, entry_ref: "0", progress: 100 });
    await client.push(topic, "progress", { ref, entry_ref: "0", progress: { error: "failed" } });
    const save = await client.event(page, "form", "save", "");
    assert.equal(save.payload.status, "ok");
    assert.doesNotMatch(JSON.stringify(response(save)), /uploads\//, "no key is stored");
  });

  it("cancelling an entry closes its channel: a chunk still on its way is not refused as too large", async () => {
    const { page, client, topic, ref } = await joined();
    const pre = await allow(client, topic, ref, [entry("0", "a.png", 10)]);
    await joinEntry(client, pre);
    assert.equal((await chunk(client, "lvu:0", Buffer.from("12345"))).payload.status, "ok");
    // The page's cancel button: the handler calls cancelUpload.
    const closed = client.next((m) => m.topic === "lvu:0" && m.event === "phx_close");
    assert.equal((await client.event(page, "click", "cancel", { ref: "0" })).payload.status, "ok");
    // phx_close ends the client's channel without an error: its uploader stops quietly.
    assert.equal((await closed).joinRef, "9");
    const late = await chunk(client, "lvu:0", Buffer.from("67890"));
    assert.deepEqual(late.payload, { status: "error", response: { reason: "unmatched topic" } });
  });

  it("ignores progress for an external entry that was never signed", async () => {
    const { page, client, topic, ref } = await joined("/documents/");
    // The form's change lists the file; no allow_upload follows, so nothing was signed.
    await client.push(topic, "event", {
      type: "form",
      event: "validate",
      value: "",
      uploads: { [ref]: [entry("0", "a.pdf", 10, "application/pdf")] },
    });
    const claim = await client.push(topic, "progress", { ref, entry_ref: "0", progress: 100 });
    assert.equal(claim.payload.status, "ok");
    assert.equal(response(claim).diff, undefined, "the entry is not done");
    const save = await client.event(page, "form", "save", "");
    assert.doesNotMatch(JSON.stringify(response(save)), /uploads\//, "nothing is consumed");
  });

  it("answers binary frames on other topics with an error and keeps the socket", async () => {
    const { client, topic } = await joined();
    const onView = await chunk(client, topic, Buffer.from("hello"));
    assert.deepEqual(onView.payload, {
      status: "error",
      response: { reason: "binary frames are accepted on upload channels only" },
    });
    const onUnjoined = await chunk(client, "lvu:nope", Buffer.from("x"));
    assert.deepEqual(onUnjoined.payload.response, { reason: "unmatched topic" });
    assert.equal((await client.push("phoenix", "heartbeat", {})).payload.status, "ok");
    // Not a push at all: a protocol error, the socket closes 1003.
    client.ws.send(Buffer.from([1, 0, 0, 0, 0]));
    assert.equal(await client.closed(), 1003);
  });

  it("deletes a partial upload when the socket closes", async () => {
    const { client, topic, ref } = await joined();
    const pre = await allow(client, topic, ref, [entry("0", "a.png", 100)]);
    await joinEntry(client, pre);
    await chunk(client, "lvu:0", Buffer.alloc(50));
    assert.equal((await tempFiles()).length, 1);
    client.close();
    // afterEach checks the directory is empty again.
  });

  it("after a reconnect the abandoned attempt is gone and the file uploads again", async () => {
    const { page, client, topic, ref } = await joined();
    const pre = await allow(client, topic, ref, [entry("0", "a.png", 100)]);
    const token = (pre.entries as Record<string, string>)["0"]!;
    await client.push("lvu:0", "phx_join", { token }, "9");
    assert.equal((await chunk(client, "lvu:0", Buffer.alloc(50, 1))).payload.status, "ok");
    assert.equal((await tempFiles()).length, 1);
    // The socket drops mid-upload; the browser reconnects and rejoins its view (restored).
    client.close();
    await client.closed();
    const again = await RawClient.connect(base, { cookie: page.cookie });
    clients.push(again);
    const rejoin = await again.join(page, base, { url: `${base}/` });
    assert.equal(rejoin.payload.status, "ok", JSON.stringify(rejoin.payload));
    const rendered = JSON.stringify(response(rejoin).rendered).replaceAll('\\"', '"');
    assert.ok(rendered.includes(`data-phx-upload-ref="${ref}"`), "the same upload ref");
    assert.ok(rendered.includes('data-phx-active-refs=""'), "no entry survives the drop");
    for (let i = 0; i < 50 && (await tempFiles()).length > 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(await tempFiles(), [], "the partial file of the abandoned attempt is deleted");
    // The old token names an entry the restored view does not have.
    const stale = await again.push("lvu:0", "phx_join", { token }, "9");
    assert.deepEqual(stale.payload, { status: "error", response: { reason: "disallowed" } });
    // The client preflights the file again (a new entry ref) and it completes.
    const retry = await allow(again, topic, ref, [entry("1", "a.png", 100)]);
    const fresh = (retry.entries as Record<string, string>)["1"]!;
    assert.equal(
      (await again.push("lvu:1", "phx_join", { token: fresh }, "12")).payload.status,
      "ok",
    );
    const bytes = Buffer.alloc(100, 7);
    assert.equal((await chunk(again, "lvu:1", bytes, "12")).payload.status, "ok");
    await again.push(topic, "progress", { ref, entry_ref: "1", progress: 100 });
    const saved = await again.event({ id: topic.slice(3) } as PageInfo, "form", "save", "");
    assert.equal(saved.payload.status, "ok");
    assert.deepEqual(storage.get("a.png"), bytes);
    assert.deepEqual(
      logger.lines.filter((l) => l.level === "error"),
      [],
      "a dropped upload is not logged as a failure",
    );
  });

  it("a view joined again on the same socket closes the upload channels of the one it replaces", async () => {
    const { page, client, topic, ref } = await joined("/hasty/");
    const pre = await allow(client, topic, ref, [entry("0", "a.png", 10)]);
    await joinEntry(client, pre);
    assert.equal((await chunk(client, "lvu:0", Buffer.from("abc"))).payload.status, "ok");
    // The client joins the view's topic again (as phoenix.js does after the view's channel
    // errored).
    const rejoin = await client.join(page, base, { url: `${base}/hasty/` });
    assert.equal(rejoin.payload.status, "ok");
    assert.deepEqual(await tempFiles(), [], "the replaced view's partial file is deleted");
    // Its channel is closed: a chunk on it is answered as on any unknown topic.
    const late = await chunk(client, "lvu:0", Buffer.from("def"));
    assert.deepEqual(late.payload, { status: "error", response: { reason: "unmatched topic" } });
    // The new view gets a file chosen; the old entry's timeout must not show it gone.
    const next = await allow(client, topic, ref, [entry("1", "b.png", 10)]);
    assert.match(JSON.stringify(next.diff), /data-phx-active-refs=\\"1\\"/);
    client.received.length = 0;
    // Past the old channel's timeout: nothing of the replaced view reaches the new one.
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual(
      client.received.filter((m) => m.topic === topic),
      [],
    );
  });

  it("uploads automatically: a preflight with an invalid entry still signs the valid one", async () => {
    const { client, topic, ref } = await joined("/auto/");
    const pre = await allow(client, topic, ref, [entry("0", "x.bin", 5000, "")]);
    assert.deepEqual(pre.entries, {});
    assert.deepEqual(pre.errors, { "0": ["too_large"] });
  });
});

describe("uploads: the file system refuses a write", () => {
  let child: ChildProcess;
  let base: string;
  let tmp: string;
  let stderr = "";
  const clients: RawClient[] = [];

  /** Sets this process's soft file-size limit (`unlimited`, or bytes). */
  const fileSizeLimit = (limit: string) =>
    execFileSync("prlimit", [`--pid=${child.pid}`, `--fsize=${limit}:`]);

  before(async () => {
    // The server's temp files go under a directory of this test's own.
    tmp = await mkdtemp(join(tmpdir(), "djust-writer-test-"));
    child = spawn(process.execPath, ["--import", "tsx", UPLOAD_NODE], {
      env: { ...process.env, TMPDIR: tmp },
      stdio: ["pipe", "pipe", "pipe"],
    });
    child.stderr!.on("data", (data: Buffer) => (stderr += String(data)));
    base = await new Promise<string>((resolve) =>
      createInterface({ input: child.stdout! }).once("line", resolve),
    );
  });

  after(async () => {
    for (const client of clients) client.close();
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.stdin!.end();
    await exited;
    await rm(tmp, { recursive: true, force: true });
  });

  it("a chunk the file system refuses fails its entry (writer_error); the socket stays and the next file uploads", async () => {
    const page = await loadPage(`${base}/`);
    const client = await RawClient.connect(base, { cookie: page.cookie });
    clients.push(client);
    assert.equal((await client.join(page, base)).payload.status, "ok");
    const topic = `lv:${page.id}`;
    const ref = uploadRef(page);
    const preflight = async (entryRef: string, size: number) => {
      const reply = await client.push(topic, "allow_upload", {
        ref,
        entries: [entry(entryRef, `${entryRef}.png`, size)],
      });
      return (response(reply).entries as Record<string, string>)[entryRef]!;
    };
    const token = await preflight("0", 1500);
    const opened = await client.push("lvu:0", "phx_join", { token }, "9");
    assert.equal(opened.payload.status, "ok");
    // Files may now grow to 1 KiB: the 1,500-byte chunk is written in part, then refused (EFBIG).
    fileSizeLimit("1024");
    const refused = await chunk(client, "lvu:0", Buffer.alloc(1500, 7));
    fileSizeLimit("unlimited");
    assert.deepEqual(refused.payload, { status: "error", response: { reason: "writer_error" } });
    const closed = await client.next((m) => m.topic === "lvu:0" && m.event === "phx_close");
    assert.equal(closed.joinRef, "9");
    // The page shows the entry's error; the cause stays in the server's log.
    const diff = JSON.stringify(
      (await client.next((m) => m.topic === topic && m.event === "diff")).payload,
    );
    assert.match(diff, /entry-error/);
    assert.match(diff, /Could not store the file/);
    assert.doesNotMatch(diff, /EFBIG|too large/i);
    assert.match(stderr, /upload: writing a chunk failed/);
    assert.match(stderr, /EFBIG/);
    // The failed entry's file is gone.
    const uploadDirs = (await readdir(tmp)).filter((name) => name.startsWith("djust-uploads-"));
    assert.equal(uploadDirs.length, 1);
    const uploadDir = join(tmp, uploadDirs[0]!);
    assert.deepEqual(await readdir(uploadDir), []);
    // Nothing else is lost: the user cancels the failed entry (as the page offers), and the
    // same socket uploads and saves the next file.
    assert.equal((await client.event(page, "click", "cancel", { ref: "0" })).payload.status, "ok");
    const next = await preflight("1", 1500);
    assert.equal(
      (await client.push("lvu:1", "phx_join", { token: next }, "12")).payload.status,
      "ok",
    );
    assert.equal((await chunk(client, "lvu:1", Buffer.alloc(1500, 8), "12")).payload.status, "ok");
    await client.push(topic, "progress", { ref, entry_ref: "1", progress: 100 });
    const saved = await client.event(page, "form", "save", "");
    assert.equal(saved.payload.status, "ok");
    assert.match(JSON.stringify(response(saved).diff), /1\.png/);
    assert.deepEqual(await readdir(uploadDir), [], "the consumed file is deleted");
  });
});
