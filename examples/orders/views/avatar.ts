/**
 * The avatar page: up to two images, previewed before they are sent, uploaded over the
 * WebSocket on submit and copied into the app's avatar directory (see docs/uploads.md).
 * @module
 */
import { copyFile, mkdir } from "node:fs/promises";
import { extname, join } from "node:path";
import { eventHandler, type LiveRequest, type Params } from "../../../src/index.js";
import { AppView } from "./base.js";

/** Where avatars are stored: a `liveSession` service. */
export interface AvatarStore {
  readonly dir: string;
}

export class AvatarView extends AppView {
  static override page = "avatar";
  static override templateName = "avatar.html";
  avatars: string[] = [];
  _store?: AvatarStore;

  override setup(_request: LiveRequest, params: Params): void {
    this._store = params.avatars as AvatarStore;
  }

  override mount(): void {
    this.pageTitle = "Avatar";
    this.allowUpload("avatar", {
      accept: [".jpg", ".jpeg", ".png"],
      maxEntries: 2,
      maxFileSize: 2_000_000,
    });
  }

  @eventHandler({ params: "any" })
  validate(): void {}

  @eventHandler({ params: "any" })
  async cancel({ ref }: { ref: string }): Promise<void> {
    await this.cancelUpload("avatar", ref);
  }

  @eventHandler({ params: "any" })
  async save(): Promise<void> {
    const dir = this._store!.dir;
    await mkdir(dir, { recursive: true });
    const names = await this.consumeUploadedEntries("avatar", async ({ path }, entry) => {
      const name = `${entry.uuid}${extname(entry.name).toLowerCase()}`;
      await copyFile(path, join(dir, name));
      return name;
    });
    this.avatars = [...this.avatars, ...names];
  }
}
