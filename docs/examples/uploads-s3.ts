import { createHmac } from "node:crypto";
import { extname } from "node:path";
import {
  eventHandler,
  html,
  liveFileInput,
  LiveView,
  type ExternalUploadMeta,
  type LiveRequest,
  type Params,
  type Rendered,
  type UploadEntry,
} from "../../src/index.js";

/** Where uploads go: an S3 bucket (or anything speaking S3's POST: MinIO, R2, …). */
export interface S3Config {
  /** The bucket's URL, e.g. `https://my-bucket.s3.eu-west-1.amazonaws.com`. */
  readonly url: string;
  readonly bucket: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

const hmac = (key: string | Buffer, data: string) =>
  createHmac("sha256", key).update(data).digest();

/**
 * An S3 presigned POST (Signature V4): a policy that lets the browser store one object under
 * `key`, of at most `maxBytes`, for ten minutes, and the form fields that prove it.
 */
export function presignS3Post(
  s3: S3Config,
  key: string,
  contentType: string,
  maxBytes: number,
  now = new Date(),
): ExternalUploadMeta {
  const amzDate = now.toISOString().replace(/[-:]|\.\d{3}/g, ""); // 20260101T120000Z
  const day = amzDate.slice(0, 8);
  const credential = `${s3.accessKeyId}/${day}/${s3.region}/s3/aws4_request`;
  const fields: Record<string, string> = {
    key,
    "Content-Type": contentType,
    "x-amz-algorithm": "AWS4-HMAC-SHA256",
    "x-amz-credential": credential,
    "x-amz-date": amzDate,
  };
  const policy = Buffer.from(
    JSON.stringify({
      expiration: new Date(now.getTime() + 10 * 60_000).toISOString(),
      conditions: [
        { bucket: s3.bucket },
        ["content-length-range", 0, maxBytes],
        ...Object.entries(fields).map(([name, value]) => ({ [name]: value })),
      ],
    }),
  ).toString("base64");
  let signingKey = hmac(`AWS4${s3.secretAccessKey}`, day);
  for (const part of [s3.region, "s3", "aws4_request"]) signingKey = hmac(signingKey, part);
  const signature = hmac(signingKey, policy).toString("hex");
  return {
    uploader: "S3",
    url: s3.url,
    fields: { ...fields, policy, "x-amz-signature": signature },
  };
}

/** Documents go straight from the browser to the bucket; the view keeps their keys. */
export class DocumentsView extends LiveView {
  stored: string[] = [];
  _s3?: S3Config;

  override setup(_request: LiveRequest, params: Params): void {
    this._s3 = params.s3 as S3Config; // a liveSession service
  }

  override mount(): void {
    this.allowUpload("document", {
      accept: [".pdf", ".png"],
      maxEntries: 3,
      maxFileSize: 10_000_000,
      external: (entry: UploadEntry) => {
        const key = `uploads/${entry.uuid}${extname(entry.name).toLowerCase()}`;
        return presignS3Post(this._s3!, key, entry.type, 10_000_000);
      },
    });
  }

  @eventHandler({ params: "any" })
  validate(): void {}

  @eventHandler({ params: "any" })
  async save(): Promise<void> {
    const keys = await this.consumeUploadedEntries("document", ({ meta }) => {
      return (meta?.fields as { key: string }).key; // the object is already in the bucket
    });
    this.stored = [...this.stored, ...keys];
  }

  override render(): Rendered {
    const upload = this.uploads.document!;
    return html`<form dj-change="validate" dj-submit="save">
  ${liveFileInput(upload)}
  ${upload.entries.map((e) => html`<p class="entry">${e.name} ${e.progress}% ${e.errors.join(", ")}</p>`)}
  <button type="submit">Upload</button>
</form>
<ul id="stored">${this.stored.map((key) => html`<li>${key}</li>`)}</ul>`;
  }
}
