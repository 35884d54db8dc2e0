// Pattern 1: create the service in a private helper; keep only its serializable results in
// public state.
import { LiveView, eventHandler } from "../../src/index.js";
import { z } from "zod";

/** Stand-in for an SDK client (AWS, Stripe, …): not serializable, and not meant to be. */
export class S3Client {
  static created = 0;
  constructor(readonly region: string) {
    S3Client.created += 1;
  }
  async listBuckets(): Promise<{ Buckets: { Name: string }[] }> {
    return { Buckets: [{ Name: "invoices" }, { Name: "photos" }] };
  }
  async listObjects(bucket: string): Promise<{ Contents: { Key: string; Size: number }[] }> {
    return { Contents: [{ Key: `${bucket}/a.pdf`, Size: 1200 }] };
  }
}

export class S3BrowserView extends LiveView {
  static override templateName = "s3_browser.html";

  buckets: string[] = [];
  selected_bucket = "";
  objects: { key: string; size: number }[] = [];

  // `_`-prefixed: a helper, never state. A fresh client per call, so nothing to restore.
  _s3(): S3Client {
    return new S3Client("eu-west-1");
  }

  override async mount() {
    const response = await this._s3().listBuckets();
    this.buckets = response.Buckets.map((b) => b.Name);
  }

  @eventHandler({ params: z.object({ bucket_name: z.string().default("") }) })
  async select_bucket({ bucket_name }: { bucket_name: string }) {
    this.selected_bucket = bucket_name;
    const response = await this._s3().listObjects(bucket_name);
    this.objects = response.Contents.map((o) => ({ key: o.Key, size: o.Size }));
  }
}
