/**
 * Views with uploads, shared by the protocol tests, the test-client tests and the browser e2e.
 */
import { readFile } from "node:fs/promises";
import {
  eventHandler,
  html,
  liveFileInput,
  liveImgPreview,
  LiveView,
  uploadErrors,
  type Rendered,
  type RenderContext,
} from "../../src/index.js";

/** What the views' `save` handlers stored: the app's storage (file name → bytes). */
export const storage = new Map<string, Buffer>();

const MESSAGES: Record<string, string> = {
  too_large: "File too large",
  not_accepted: "Unacceptable file type",
  too_many_files: "Too many files",
  external_client_failure: "Upload to storage failed",
  writer_error: "Could not store the file",
};

/** Two images at most, 2,000 bytes each, png/jpeg. Consumed on submit. */
export class AvatarView extends LiveView {
  saved: string[] = [];

  override mount(): void {
    this.allowUpload("avatar", {
      accept: [".png", "image/jpeg"],
      maxEntries: 2,
      maxFileSize: 2_000,
    });
  }

  @eventHandler({ params: "any" })
  validate(): void {}

  @eventHandler({ params: "any" })
  async save(): Promise<void> {
    const names = await this.consumeUploadedEntries("avatar", async ({ path }, entry) => {
      storage.set(entry.name, await readFile(path));
      return entry.name;
    });
    this.saved = [...this.saved, ...names];
  }

  @eventHandler({ params: "any" })
  async cancel({ ref }: { ref: string }): Promise<void> {
    await this.cancelUpload("avatar", ref);
  }

  override render(assigns: RenderContext): Rendered {
    const upload = this.uploads.avatar!;
    const saved = assigns.saved as string[];
    return html`<form id="avatar-form" dj-change="validate" dj-submit="save">
  <div class="drop" dj-drop-target="${upload.ref}">${liveFileInput(upload)} drop here</div>
  ${uploadErrors(upload).map((e) => html`<p class="upload-error">${MESSAGES[e] ?? e}</p>`)}
  ${upload.entries.map(
    (entry) => html`<figure class="entry" data-ref="${entry.ref}">
    ${liveImgPreview(entry, { width: 60 })}
    <figcaption>${entry.name}</figcaption>
    <progress value="${entry.progress}" max="100">${entry.progress}%</progress>
    ${uploadErrors(upload, entry).map((e) => html`<p class="entry-error">${MESSAGES[e] ?? e}</p>`)}
    <button type="button" dj-click="cancel" dj-value-ref="${entry.ref}">cancel</button>
  </figure>`,
  )}
  <button type="submit">Upload</button>
</form>
<ul id="saved">${saved.map((name) => html`<li>${name}</li>`)}</ul>`;
  }
}

/** Uploads as soon as files are chosen; any type; one large file (for the byte limits). */
export class AutoView extends LiveView {
  override mount(): void {
    this.allowUpload("doc", { accept: "any", maxFileSize: 4096, autoUpload: true });
  }

  @eventHandler({ params: "any" })
  validate(): void {}

  @eventHandler({ params: "any" })
  async save(): Promise<void> {
    await this.consumeUploadedEntries("doc", async ({ path }, entry) => {
      storage.set(entry.name, await readFile(path));
    });
  }

  override render(): Rendered {
    const upload = this.uploads.doc!;
    return html`<form dj-change="validate" dj-submit="save">${liveFileInput(upload)}${upload.entries.map(
      (e) => html`<p>${e.name} ${e.progress} ${e.done ? "done" : ""} ${e.errors.join(",")}</p>`,
    )}</form>`;
  }
}
