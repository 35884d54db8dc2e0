/**
 * The markup of uploads, as the official client reads it (Phoenix's `live_file_input` and
 * `live_img_preview` components): `liveFileInput(upload)` / `{% live_file_input uploads.x %}`
 * renders the file input whose `data-phx-*` attributes tell the client which entries are
 * active, preflighted, done and failed; `liveImgPreview(entry)` / `{% live_img_preview entry %}`
 * an `<img>` the client fills with a local preview of the chosen file.
 * @module
 */
import { registerTag } from "../template/custom-tags.js";
import { escapeHtml, SafeString } from "../template/safe.js";
import { UploadConfig, type UploadEntry } from "./upload-config.js";

/** Extra attributes: `true` writes the bare name, `false`/`null`/`undefined` leave it out. */
export type HtmlAttributes = Readonly<Record<string, string | number | boolean | null | undefined>>;

function attributes(attrs: Record<string, string | number | boolean | null | undefined>): string {
  let out = "";
  for (const [name, value] of Object.entries(attrs)) {
    // Attribute names come from code, but a template's kwargs could name anything: keep them
    // to what HTML allows unquoted.
    if (!/^[a-zA-Z_:][-a-zA-Z0-9_:.]*$/.test(name)) continue;
    if (value === false || value === null || value === undefined) continue;
    out += value === true ? ` ${name}` : ` ${name}="${escapeHtml(String(value))}"`;
  }
  return out;
}

const refs = (entries: readonly UploadEntry[]): string => entries.map((e) => e.ref).join(",");

/**
 * The file input of `upload` (place it inside the form whose `dj-change` validates and whose
 * `dj-submit` consumes). `attrs` are added (`class`, `dj-drop-target` goes on a container).
 * @throws TypeError when `upload` is not an allowed upload (`this.uploads.<name>`).
 */
export function liveFileInput(upload: UploadConfig, attrs: HtmlAttributes = {}): SafeString {
  if (!(upload instanceof UploadConfig)) {
    throw new TypeError("liveFileInput: pass an allowed upload (this.uploads.<name>)");
  }
  const errorRefs = new Set<string>();
  if (upload.errors.length > 0) errorRefs.add(upload.ref);
  for (const entry of upload.entries) if (entry.errors.length > 0) errorRefs.add(entry.ref);
  return new SafeString(
    `<input${attributes({
      id: upload.ref,
      type: "file",
      name: upload.name,
      accept: upload.accept || undefined,
      "data-phx-hook": "Phoenix.LiveFileUpload",
      "data-phx-upload-ref": upload.ref,
      "data-phx-active-refs": refs(upload.entries),
      "data-phx-done-refs": refs(upload.entries.filter((e) => e.done)),
      "data-phx-preflighted-refs": refs(upload.entries.filter((e) => e.preflighted)),
      "data-phx-error-refs": errorRefs.size > 0 ? [...errorRefs].join(",") : undefined,
      "data-phx-auto-upload": upload.autoUpload,
      multiple: upload.maxEntries > 1,
      ...attrs,
    })}>`,
  );
}

/**
 * An `<img>` showing a local preview of `entry` (an image the browser has not uploaded yet);
 * the client's `LiveImgPreview` hook sets its `src`.
 */
export function liveImgPreview(entry: UploadEntry, attrs: HtmlAttributes = {}): SafeString {
  if (typeof entry !== "object" || entry === null || typeof entry.ref !== "string") {
    throw new TypeError("liveImgPreview: pass an upload entry");
  }
  return new SafeString(
    `<img${attributes({
      id: `phx-preview-${entry.ref}`,
      "data-phx-upload-ref": entry.uploadRef,
      "data-phx-entry-ref": entry.ref,
      "data-phx-hook": "Phoenix.LiveImgPreview",
      "data-phx-update": "ignore",
      ...attrs,
    })}>`,
  );
}

type TagAttrs = Record<string, string | number | boolean | null | undefined>;

// `{% live_file_input uploads.avatar class="x" %}`, `{% live_img_preview entry width=75 %}`.
// Not pure: entries change in place, so the slot is evaluated whenever `uploads` changed.
registerTag("live_file_input", {
  fn: (upload: UploadConfig, attrs?: TagAttrs) => liveFileInput(upload, attrs),
});
registerTag("live_img_preview", {
  fn: (entry: UploadEntry, attrs?: TagAttrs) => liveImgPreview(entry, attrs),
});
