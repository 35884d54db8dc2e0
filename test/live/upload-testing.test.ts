/**
 * `LiveViewTestClient.fileInput(...).upload()`: uploads in tests without a browser, through the
 * same preflight, tokens and chunk checks as the WebSocket.
 */
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { afterEach, describe, it } from "node:test";
import { uploadTempDir } from "../../src/live/upload-writer.js";
import { LiveViewTestClient } from "../../src/testing/index.js";
import { AvatarView, storage } from "./upload-views.js";
import { profileUploadTest } from "../../docs/examples/uploads-testing.js";
import { DocumentsView } from "../../docs/examples/uploads-s3.js";
import { gradientPng } from "../support/png.js";
import { AvatarView as ExampleAvatarView } from "../../examples/orders/views/avatar.js";
import { NotificationsView } from "../../examples/orders/views/notifications.js";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

describe("LiveViewTestClient uploads", () => {
  afterEach(async () => {
    storage.clear();
    assert.deepEqual(await readdir(uploadTempDir()), [], "no temp file is left behind");
  });

  it("chooses, uploads and consumes two files", async () => {
    const view = await LiveViewTestClient.mount(AvatarView);
    const input = view.fileInput("avatar", [
      { name: "a.png", content: "A".repeat(1500), type: "image/png" },
      { name: "b.jpg", content: new Uint8Array([1, 2, 3]), type: "image/jpeg" },
    ]);
    await input.choose("validate");
    assert.match(view.render(), /a\.png.*b\.jpg/s);
    const uploaded = await input.upload();
    assert.deepEqual(uploaded.errors, {});
    const { completed, inProgress } = view.view.uploadedEntries("avatar");
    assert.deepEqual(
      completed.map((e) => [e.name, e.progress, e.done]),
      [
        ["a.png", 100, true],
        ["b.jpg", 100, true],
      ],
    );
    assert.deepEqual(inProgress, []);
    await view.submit("save");
    assert.deepEqual(view.assigns.saved, ["a.png", "b.jpg"]);
    assert.equal(storage.get("a.png")?.toString(), "A".repeat(1500));
    assert.deepEqual([...storage.get("b.jpg")!], [1, 2, 3]);
    assert.doesNotMatch(view.render(), /<figure/);
    await view.close();
  });

  it("uploads and consumes a zero-byte file", async () => {
    const view = await LiveViewTestClient.mount(AvatarView);
    const input = view.fileInput("avatar", [{ name: "empty.png", content: "", type: "image/png" }]);
    await input.choose("validate");
    assert.deepEqual((await input.upload()).errors, {});
    assert.deepEqual(
      view.view.uploadedEntries("avatar").completed.map((e) => [e.name, e.progress, e.done]),
      [["empty.png", 100, true]],
    );
    await view.submit("save");
    assert.deepEqual(storage.get("empty.png"), Buffer.alloc(0));
    await view.close();
  });

  it("reports too large and not accepted files as entry errors", async () => {
    const view = await LiveViewTestClient.mount(AvatarView);
    const input = view.fileInput("avatar", [
      { name: "big.png", content: "x".repeat(2001), type: "image/png" },
      { name: "a.txt", content: "hi", type: "text/plain" },
    ]);
    const result = await input.upload();
    assert.deepEqual(result.errors, { "0": ["too_large"], "1": ["not_accepted"] });
    assert.match(view.render(), /File too large.*Unacceptable file type/s);
    await view.close();
  });

  it("a half-sent file is in progress: consuming it fails, cancelling it deletes its file", async () => {
    const view = await LiveViewTestClient.mount(AvatarView);
    const input = view.fileInput("avatar", [
      { name: "a.png", content: "x".repeat(1000), type: "image/png" },
    ]);
    await input.upload(50);
    const [entry] = view.view.uploadedEntries("avatar").inProgress;
    assert.equal(entry?.progress, 50);
    assert.equal((await readdir(uploadTempDir())).length, 1);
    const save = await view.submit("save");
    assert.equal(save.error?.error, "handler_error");
    await view.click("cancel", { ref: input.refs[0]! });
    assert.deepEqual(view.view.uploadedEntries("avatar"), { completed: [], inProgress: [] });
    await view.close();
  });

  it("runs the guide's example (docs/examples/uploads-testing.ts)", async () => {
    await profileUploadTest(gradientPng(40, 30, [200, 100, 50]));
  });

  it("external uploads: the preflight returns the signed metadata; consuming hands it over", async () => {
    const s3 = {
      url: "http://127.0.0.1:9/",
      bucket: "b",
      region: "eu-west-1",
      accessKeyId: "AK",
      secretAccessKey: "SK",
    };
    const view = await LiveViewTestClient.mount(DocumentsView, { services: { s3 } });
    const input = view.fileInput("document", [
      { name: "scan.pdf", content: "%PDF-1.4", type: "application/pdf" },
    ]);
    const result = await input.upload();
    assert.deepEqual(result.errors, {});
    const [entry] = view.view.uploadedEntries("document").completed;
    assert.equal(entry?.meta?.uploader, "S3");
    const fields = entry?.meta?.fields as Record<string, string>;
    assert.match(fields.key!, /^uploads\/[0-9a-f-]{36}\.pdf$/);
    assert.match(fields["x-amz-signature"]!, /^[0-9a-f]{64}$/);
    assert.deepEqual(Object.keys(fields).sort(), [
      "Content-Type",
      "key",
      "policy",
      "x-amz-algorithm",
      "x-amz-credential",
      "x-amz-date",
      "x-amz-signature",
    ]);
    await view.click("validate");
    await view.submit("save");
    assert.deepEqual(view.assigns.stored, [fields.key]);
    await view.close();
  });

  it("the example app's avatar page: template tags, upload, copy into its directory", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "avatars-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const view = await LiveViewTestClient.mount(ExampleAvatarView, {
      services: { avatars: { dir } },
      templateDirs: ["examples/orders/templates"],
      views: [NotificationsView],
      urls: {
        orders: "/",
        new_order: "/orders/new/",
        counter: "/counter/",
        sync: "/sync/",
        avatar: "/avatar/",
        order: "/orders/:id/",
      },
    });
    assert.match(
      view.render(),
      /<input id="phx-[^"]+" type="file" name="avatar" accept=".jpg,.jpeg,.png" data-phx-hook="Phoenix.LiveFileUpload"[^>]* multiple>/,
    );
    const png = gradientPng(30, 20, [10, 200, 30]);
    const input = view.fileInput("avatar", [
      { name: "me.png", content: png, type: "image/png" },
      { name: "cv.pdf", content: "%PDF", type: "application/pdf" },
    ]);
    await input.choose("validate");
    assert.match(view.render(), /data-phx-hook="Phoenix.LiveImgPreview"/);
    assert.match(view.render(), /Choose a JPEG or PNG image\./);
    await view.click("cancel", { ref: input.refs[1]! });
    assert.deepEqual((await input.upload()).errors, {});
    await view.submit("save");
    const [name] = view.assigns.avatars as string[];
    assert.match(name!, /^[0-9a-f-]{36}\.png$/);
    assert.deepEqual(await readFile(join(dir, name!)), png);
    await view.close();
  });
});
