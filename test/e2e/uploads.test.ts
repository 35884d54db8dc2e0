/**
 * End-to-end: uploads with the official Phoenix LiveView client in headless Chromium. Two images
 * are chosen, previewed locally (`LiveImgPreview`), uploaded in chunks with progress on submit
 * and consumed into the app's storage; a too-large and a wrong-type file show their errors and
 * block the submit until cancelled; one entry is cancelled; a file dropped on the
 * `dj-drop-target` zone uploads the same way; a socket dropped mid-upload leaves no partial file
 * and the file, chosen again after the rejoin, uploads to the end.
 *
 * `SCREENSHOTS=/tmp/dir` saves what each step looks like.
 */
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { createApp, liveSession, type RunningServer } from "../../src/server/index.js";
import { DocumentsView } from "../../docs/examples/uploads-s3.js";
import { startFakeS3, type FakeS3 } from "../support/fake-s3.js";
import { uploadTempDir } from "../../src/live/upload-writer.js";
import { browserSkipReason, launchBrowser, recordProgress, shoot } from "../support/browser.js";
import { gradientPng } from "../support/png.js";
import { AvatarView, storage } from "../live/upload-views.js";

const skip = browserSkipReason();
if (skip) process.stderr.write(`# e2e tests skipped: ${skip}\n`);

/** The avatar form with room for real images, in small chunks so progress has steps. */
class BrowserAvatarView extends AvatarView {
  override mount(): void {
    this.allowUpload("avatar", {
      accept: [".png", "image/jpeg"],
      maxEntries: 2,
      maxFileSize: 30_000,
      chunkSize: 2_048,
    });
  }
}

const red = gradientPng(120, 80, [210, 40, 40], 20);
const blue = gradientPng(100, 70, [40, 70, 210], 12);
const green = gradientPng(90, 60, [40, 170, 60], 10);
const huge = gradientPng(220, 160, [200, 160, 20], 60);

function file(name: string, buffer: Buffer, mimeType = "image/png") {
  return { name, mimeType, buffer };
}

describe("uploads in Chromium", { skip }, () => {
  let server: RunningServer;
  let browser: Browser;
  let s3: FakeS3;

  before(async () => {
    s3 = await startFakeS3();
    const app = createApp({
      secretKey: "e2e-uploads",
      logger: { info() {}, warn() {}, error() {} },
    });
    app.live("/", BrowserAvatarView);
    app.live("/documents/", liveSession(DocumentsView, { s3 }));
    server = await app.listen(0, "127.0.0.1");
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await s3?.close();
  });

  async function open(path = "/"): Promise<Page> {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.addInitScript(recordProgress);
    await page.goto(`${server.url}${path}`);
    await page.waitForSelector("[data-phx-main].phx-connected", { timeout: 10_000 });
    return page;
  }

  /** Waits until every preview `<img>` shows its decoded image. */
  async function previewsLoaded(page: Page, count: number): Promise<void> {
    await page.waitForFunction((n) => {
      const imgs = [...document.querySelectorAll<HTMLImageElement>("figure.entry img")];
      return (
        imgs.length === n && imgs.every((i) => i.src.startsWith("blob:") && i.naturalWidth > 0)
      );
    }, count);
  }

  it("two images: previews, progress, submit, consumed into storage", async () => {
    storage.clear();
    const page = await open();
    await page.setInputFiles("input[type=file]", [file("red.png", red), file("blue.png", blue)]);
    await previewsLoaded(page, 2);
    assert.deepEqual(
      await page.$$eval("figure.entry figcaption", (els) => els.map((e) => e.textContent)),
      ["red.png", "blue.png"],
    );
    await shoot(page, "uploads-1-chosen");
    // A little simulated latency between chunks, so a half-done upload can be looked at.
    await page.evaluate(() =>
      (
        window as unknown as { liveSocket: { enableLatencySim(ms: number): void } }
      ).liveSocket.enableLatencySim(40),
    );
    await page.click("button[type=submit]");
    await page.waitForFunction(() =>
      [...document.querySelectorAll("progress")].some((p) => p.value > 20 && p.value < 100),
    );
    await shoot(page, "uploads-1b-progress");
    await page.waitForFunction(() => document.querySelectorAll("#saved li").length === 2);
    await shoot(page, "uploads-2-saved");
    const seen = await page.evaluate(
      () => (window as unknown as { __progress: number[] }).__progress,
    );
    assert.ok(
      seen.some((v) => v > 0 && v < 100),
      `intermediate progress shown: ${seen.join(",")}`,
    );
    assert.ok(seen.includes(100), "complete progress shown");
    assert.deepEqual(storage.get("red.png"), red);
    assert.deepEqual(storage.get("blue.png"), blue);
    assert.equal(await page.locator("figure.entry").count(), 0, "consumed entries are gone");
    assert.deepEqual(await readdir(uploadTempDir()), [], "no temp file left");
    await page.context().close();
  });

  it("too large and wrong type show their errors; cancelling them frees the form", async () => {
    storage.clear();
    const page = await open();
    assert.ok(huge.byteLength > 30_000, `huge is ${huge.byteLength} bytes`);
    await page.setInputFiles("input[type=file]", [
      file("huge.png", huge),
      file("notes.txt", Buffer.from("not an image"), "text/plain"),
    ]);
    await page.waitForSelector("figure.entry .entry-error");
    const errors = await page.$$eval("figure.entry", (figs) =>
      figs.map((f) => [
        f.querySelector("figcaption")?.textContent,
        f.querySelector(".entry-error")?.textContent,
      ]),
    );
    assert.deepEqual(errors, [
      ["huge.png", "File too large"],
      ["notes.txt", "Unacceptable file type"],
    ]);
    await shoot(page, "uploads-3-errors");
    // The client refuses to submit a form whose input has errors.
    await page.click("button[type=submit]");
    await page.waitForTimeout(300);
    assert.equal(await page.locator("#saved li").count(), 0);
    // Cancel both, then a good image goes through.
    await page.click("figure.entry[data-ref] >> nth=0 >> button");
    await page.waitForFunction(() => document.querySelectorAll("figure.entry").length === 1);
    await page.click("figure.entry >> button");
    await page.waitForFunction(() => document.querySelectorAll("figure.entry").length === 0);
    await page.setInputFiles("input[type=file]", [file("green.png", green)]);
    await previewsLoaded(page, 1);
    await page.click("button[type=submit]");
    await page.waitForFunction(() => document.querySelectorAll("#saved li").length === 1);
    assert.deepEqual(storage.get("green.png"), green);
    await page.context().close();
  });

  it("cancels one of two chosen images; only the other is uploaded", async () => {
    storage.clear();
    const page = await open();
    await page.setInputFiles("input[type=file]", [file("red.png", red), file("blue.png", blue)]);
    await previewsLoaded(page, 2);
    await page.click("figure.entry:has(figcaption:text-is('red.png')) button");
    await page.waitForFunction(() => document.querySelectorAll("figure.entry").length === 1);
    await shoot(page, "uploads-4-cancelled");
    await page.click("button[type=submit]");
    await page.waitForFunction(() => document.querySelectorAll("#saved li").length === 1);
    assert.deepEqual([...storage.keys()], ["blue.png"]);
    await page.context().close();
  });

  it("an empty file is skipped by the official client; the other file uploads", async () => {
    storage.clear();
    const page = await open();
    // UploadEntry.isActive() keeps only files of size > 0: an empty one is never listed,
    // preflighted or sent (a client that sends one is covered in test/live/uploads.test.ts).
    await page.setInputFiles("input[type=file]", [
      file("empty.png", Buffer.alloc(0)),
      file("red.png", red),
    ]);
    await previewsLoaded(page, 1);
    assert.deepEqual(
      await page.$$eval("figure.entry figcaption", (els) => els.map((e) => e.textContent)),
      ["red.png"],
    );
    await page.click("button[type=submit]");
    await page.waitForFunction(() => document.querySelectorAll("#saved li").length === 1);
    assert.deepEqual([...storage.keys()], ["red.png"]);
    await page.context().close();
  });

  it("a file dropped on the drop target uploads like a chosen one", async () => {
    storage.clear();
    const page = await open();
    const transfer = await page.evaluateHandle(
      (bytes) => {
        const dt = new DataTransfer();
        dt.items.add(new File([new Uint8Array(bytes)], "dropped.png", { type: "image/png" }));
        return dt;
      },
      [...green],
    );
    await page.dispatchEvent(".drop", "dragenter", { dataTransfer: transfer });
    // The client adds the class on the next animation frame (its `addClass` command).
    const highlighted = await page
      .waitForSelector(".drop.phx-drop-target-active", { timeout: 5_000 })
      .then(
        () => true,
        () => false,
      );
    assert.ok(highlighted, "the drop zone is highlighted while a file is over it");
    await page.dispatchEvent(".drop", "drop", { dataTransfer: transfer });
    await previewsLoaded(page, 1);
    await shoot(page, "uploads-5-dropped");
    await page.click("button[type=submit]");
    await page.waitForFunction(() => document.querySelectorAll("#saved li").length === 1);
    assert.deepEqual(storage.get("dropped.png"), green);
    await page.context().close();
  });

  it("a socket dropped mid-upload: after the rejoin the file is chosen again and completes", async () => {
    storage.clear();
    const page = await open();
    await page.setInputFiles("input[type=file]", [file("red.png", red)]);
    await previewsLoaded(page, 1);
    // Slow chunks, so the drop lands while the upload is half done.
    await page.evaluate(() =>
      (
        window as unknown as { liveSocket: { enableLatencySim(ms: number): void } }
      ).liveSocket.enableLatencySim(150),
    );
    await page.click("button[type=submit]");
    await page.waitForFunction(() =>
      [...document.querySelectorAll("progress")].some((p) => p.value > 0 && p.value < 100),
    );
    assert.equal((await readdir(uploadTempDir())).length, 1, "the partial file on the server");
    await shoot(page, "uploads-8a-before-drop");
    await page.evaluate(() => {
      const { liveSocket } = window as unknown as {
        liveSocket: { disconnect(done: () => void): void; connect(): void };
      };
      liveSocket.disconnect(() => liveSocket.connect());
    });
    // Rejoined (the view restored): the abandoned entry is gone from the page and the server.
    await page.waitForFunction(
      () =>
        document.querySelector("[data-phx-main]")?.classList.contains("phx-connected") &&
        document.querySelectorAll("figure.entry").length === 0,
    );
    for (let i = 0; i < 100 && (await readdir(uploadTempDir())).length > 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(await readdir(uploadTempDir()), [], "the abandoned attempt's file is deleted");
    assert.equal(storage.size, 0);
    await shoot(page, "uploads-8b-rejoined");
    // Retry: the same file again, through the rejoined socket, to the end.
    await page.evaluate(() =>
      (
        window as unknown as { liveSocket: { disableLatencySim(): void } }
      ).liveSocket.disableLatencySim(),
    );
    await page.setInputFiles("input[type=file]", [file("red.png", red)]);
    await previewsLoaded(page, 1);
    await page.click("button[type=submit]");
    await page.waitForFunction(() => document.querySelectorAll("#saved li").length === 1);
    await shoot(page, "uploads-8c-retried");
    assert.deepEqual(storage.get("red.png"), red);
    assert.deepEqual(await readdir(uploadTempDir()), [], "no temp file left");
    await page.context().close();
  });

  it("external: the browser posts straight to the bucket with the signed policy", async () => {
    const page = await open("/documents/");
    await page.setInputFiles("input[type=file]", [file("scan.png", red), file("logo.png", blue)]);
    await page.waitForFunction(() => document.querySelectorAll("p.entry").length === 2);
    await page.click("button[type=submit]");
    await page.waitForFunction(() => document.querySelectorAll("#stored li").length === 2);
    await shoot(page, "uploads-6-external");
    const keys = await page.$$eval("#stored li", (els) => els.map((e) => e.textContent ?? ""));
    for (const key of keys) assert.match(key, /^uploads\/[0-9a-f-]{36}\.png$/);
    const bodies = keys.map((key) => s3.objects.get(key)?.body);
    assert.ok(bodies.some((b) => b?.equals(red)) && bodies.some((b) => b?.equals(blue)));
    assert.deepEqual(s3.refused, []);
    assert.deepEqual(await readdir(uploadTempDir()), [], "nothing went through the server's disk");
    await page.context().close();
  });

  it("external: storage refusing the post fails the entry (external_client_failure)", async () => {
    const page = await open("/documents/");
    // A forged signature: the bucket refuses the post.
    await page.evaluate(() => {
      const send = XMLHttpRequest.prototype.send;
      XMLHttpRequest.prototype.send = function (
        this: XMLHttpRequest,
        body?: Document | XMLHttpRequestBodyInit | null,
      ) {
        if (body instanceof FormData) body.set("x-amz-signature", "0".repeat(64));
        return send.call(this, body);
      };
    });
    await page.setInputFiles("input[type=file]", [file("scan.png", red)]);
    // Submit once the chosen file is listed, as in the test above (the client's change event
    // for the file input is answered first).
    await page.waitForFunction(() => document.querySelectorAll("p.entry").length === 1);
    await page.click("button[type=submit]");
    await page.waitForFunction(() =>
      [...document.querySelectorAll("p.entry")].some((p) =>
        p.textContent?.includes("external_client_failure"),
      ),
    );
    await shoot(page, "uploads-7-external-refused");
    assert.ok(s3.refused.includes("SignatureDoesNotMatch"));
    assert.equal(await page.locator("#stored li").count(), 0);
    await page.context().close();
  });
});
