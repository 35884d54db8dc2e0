/**
 * End-to-end: the orders example's avatar page (`/avatar/`) in headless Chromium through the
 * official client, as a user walks it: choose an image, see its preview, upload it with
 * progress, and the stored avatar shows on the page, served by the app from its avatar
 * directory. `SCREENSHOTS=/tmp/dir` saves what each step looks like.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { uploadTempDir } from "../../src/live/upload-writer.js";
import { browserSkipReason, recordProgress, shoot } from "../support/browser.js";
import { connected, ordersInBrowser } from "../support/orders-browser.js";
import { gradientPng } from "../support/png.js";

const skip = browserSkipReason();

describe("orders example: the avatar page in Chromium", { skip }, () => {
  const avatarDir = mkdtempSync(join(tmpdir(), "djust-avatars-"));
  const app = ordersInBrowser({ avatarDir });
  after(() => rmSync(avatarDir, { recursive: true, force: true }));

  it("choose an image, preview, progress, save: the avatar shows", async () => {
    // Big enough (a few 64 KB chunks) for progress between 0 and 100.
    const image = gradientPng(320, 320, [60, 120, 200], 40);
    assert.ok(image.byteLength > 200_000, `${image.byteLength} bytes`);
    const page = await app.newPage(recordProgress);
    await page.goto(`${app.server.url}/avatar/`);
    await connected(page);
    assert.equal(await page.title(), "Avatar");
    assert.equal(await page.textContent("nav a.active"), "Avatar");

    await page.setInputFiles("#avatar-form input[type=file]", [
      { name: "Me.PNG", mimeType: "image/png", buffer: image },
    ]);
    // The preview is the chosen file, decoded by the browser before any byte is sent.
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>("figure.entry img");
      return img !== null && img.src.startsWith("blob:") && img.naturalWidth === 320;
    });
    assert.equal(await page.textContent("figure.entry figcaption"), "Me.PNG");
    assert.equal(await page.getAttribute("figure.entry progress", "value"), "0");
    await shoot(page, "avatar-1-chosen");

    await page.evaluate(() =>
      (
        window as unknown as { liveSocket: { enableLatencySim(ms: number): void } }
      ).liveSocket.enableLatencySim(60),
    );
    await page.click("#avatar-form button[type=submit]");
    await page.waitForFunction(() =>
      [...document.querySelectorAll("progress")].some((p) => p.value > 0 && p.value < 100),
    );
    await shoot(page, "avatar-2-uploading");

    // Saved: the entry is consumed and the stored image shows, loaded from the app.
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>("#avatars img");
      return img !== null && img.complete && img.naturalWidth === 320;
    });
    await shoot(page, "avatar-3-saved");
    const seen = await page.evaluate(
      () => (window as unknown as { __progress: number[] }).__progress,
    );
    assert.ok(
      seen.some((v) => v > 0 && v < 100),
      `progress shown on the way: ${seen.join(",")}`,
    );
    assert.ok(seen.includes(100), "complete progress shown");
    assert.equal(await page.locator("figure.entry").count(), 0, "the entry was consumed");

    const stored = await readdir(avatarDir);
    assert.equal(stored.length, 1);
    assert.match(stored[0]!, /^[0-9a-f-]{36}\.png$/, "a name of the server's, not the file's");
    assert.deepEqual(await readFile(join(avatarDir, stored[0]!)), image);
    assert.equal(await page.getAttribute("#avatars img", "src"), `/avatars/${stored[0]}`);
    assert.deepEqual(await readdir(uploadTempDir()), [], "the temp file went with the consume");

    // At phone width the page still fits.
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    assert.equal(overflow, 0, "no horizontal overflow at 390px");
    await shoot(page, "avatar-4-phone");
  });

  it("serves stored avatars by their own names only", async () => {
    const base = app.server.url;
    for (const path of [
      "/avatars/..%2Forders.sqlite",
      "/avatars/passwd",
      "/avatars/00000000-0000-0000-0000-000000000000.png",
    ]) {
      assert.equal((await fetch(`${base}${path}`)).status, 404, path);
    }
  });
});
