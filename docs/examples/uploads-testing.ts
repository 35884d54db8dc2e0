import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LiveViewTestClient } from "../../src/testing/index.js";
import { ProfileView } from "./uploads-avatar.js";

export async function profileUploadTest(png: Uint8Array): Promise<void> {
  const avatarDir = await mkdtemp(join(tmpdir(), "avatars-"));
  const view = await LiveViewTestClient.mount(ProfileView, { services: { avatarDir } });
  try {
    const input = view.fileInput("avatar", [{ name: "me.png", content: png, type: "image/png" }]);
    await input.choose("validate"); // the form's change: the entry appears, checked
    const result = await input.upload(); // preflight, token, chunks, progress
    assert.deepEqual(result.errors, {}); // a 6 MB file would give { "0": ["too_large"] }
    await view.submit("save");
    assert.equal((await readdir(avatarDir)).length, 1);
    assert.equal((view.assigns.avatars as string[]).length, 1);
  } finally {
    await view.close();
    await rm(avatarDir, { recursive: true, force: true });
  }
}
