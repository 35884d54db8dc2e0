import { copyFile } from "node:fs/promises";
import { extname, join } from "node:path";
import {
  eventHandler,
  html,
  liveFileInput,
  liveImgPreview,
  LiveView,
  uploadErrors,
  type LiveRequest,
  type Params,
  type Rendered,
} from "../../src/index.js";

const MESSAGES: Record<string, string> = {
  too_large: "That file is too large (5 MB at most).",
  not_accepted: "Choose a JPEG or PNG image.",
  too_many_files: "Two images at most.",
};

/** Up to two avatar images, uploaded on submit and copied into the app's avatar directory. */
export class ProfileView extends LiveView {
  avatars: string[] = [];
  _dir = "";

  override setup(_request: LiveRequest, params: Params): void {
    this._dir = params.avatarDir as string; // a liveSession service
  }

  override mount(): void {
    this.allowUpload("avatar", {
      accept: [".jpg", ".jpeg", ".png"],
      maxEntries: 2,
      maxFileSize: 5_000_000,
    });
  }

  /** dj-change: the chosen files are listed and checked before this runs. */
  @eventHandler({ params: "any" })
  validate(): void {}

  @eventHandler({ params: "any" })
  async cancel({ ref }: { ref: string }): Promise<void> {
    await this.cancelUpload("avatar", ref);
  }

  @eventHandler({ params: "any" })
  async save(): Promise<void> {
    const names = await this.consumeUploadedEntries("avatar", async ({ path }, entry) => {
      const name = `${entry.uuid}${extname(entry.name).toLowerCase()}`;
      await copyFile(path, join(this._dir, name)); // the temp file is deleted afterwards
      return name;
    });
    this.avatars = [...this.avatars, ...names];
  }

  override render(): Rendered {
    const upload = this.uploads.avatar!;
    return html`<form dj-change="validate" dj-submit="save">
  <div class="dropzone" dj-drop-target="${upload.ref}">${liveFileInput(upload)} or drop images here</div>
  ${uploadErrors(upload).map((kind) => html`<p class="error">${MESSAGES[kind]}</p>`)}
  ${upload.entries.map(
    (entry) => html`<figure>
    ${liveImgPreview(entry, { width: 80 })}
    <figcaption>${entry.name} — ${entry.progress}%</figcaption>
    ${uploadErrors(upload, entry).map((kind) => html`<p class="error">${MESSAGES[kind]}</p>`)}
    <button type="button" dj-click="cancel" dj-value-ref="${entry.ref}">Cancel</button>
  </figure>`,
  )}
  <button type="submit">Upload</button>
</form>`;
  }
}
