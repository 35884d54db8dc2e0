/**
 * A stand-in for an S3 bucket on loopback: it takes presigned POST uploads (multipart form with
 * `key`, `policy`, `x-amz-*` fields and `file` last), checks the Signature V4 of the policy with
 * its own copy of the algorithm, the policy's expiry, its field conditions and its
 * `content-length-range`, and keeps the objects in memory. Answers 204 like S3 (or 403/400 with
 * an S3-style error), with CORS headers so a page of another origin may post to it.
 * @module
 */
import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";

export interface FakeS3 {
  readonly url: string;
  readonly bucket: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Stored objects: key → bytes and content type. */
  readonly objects: Map<string, { body: Buffer; type: string }>;
  /** Refused posts, with the reason. */
  readonly refused: string[];
  close(): Promise<void>;
}

const hmac = (key: string | Buffer, data: string) =>
  createHmac("sha256", key).update(data).digest();

function check(form: FormData, secret: string, bucket: string): string | undefined {
  const field = (name: string) => {
    const value = form.get(name);
    return typeof value === "string" ? value : undefined;
  };
  const policy = field("policy");
  const credential = field("x-amz-credential");
  const signature = field("x-amz-signature");
  if (!policy || !credential || !signature) return "missing policy fields";
  const [, day, region, service] = credential.split("/");
  let key = hmac(`AWS4${secret}`, day!);
  for (const part of [region!, service!, "aws4_request"]) key = hmac(key, part);
  if (hmac(key, policy).toString("hex") !== signature) return "SignatureDoesNotMatch";
  const doc = JSON.parse(Buffer.from(policy, "base64").toString()) as {
    expiration: string;
    conditions: (Record<string, string> | [string, number, number])[];
  };
  if (Date.parse(doc.expiration) < Date.now()) return "policy expired";
  const file = form.get("file");
  if (!(file instanceof Blob)) return "no file";
  for (const condition of doc.conditions) {
    if (Array.isArray(condition)) {
      const [, min, max] = condition;
      if (file.size < min || file.size > max) return "EntityTooLarge";
      continue;
    }
    for (const [name, value] of Object.entries(condition)) {
      const actual = name === "bucket" ? bucket : field(name);
      if (actual !== value) return `condition failed: ${name}`;
    }
  }
  return undefined;
}

/** Starts the fake bucket on a random loopback port. */
export async function startFakeS3(): Promise<FakeS3> {
  const objects = new Map<string, { body: Buffer; type: string }>();
  const refused: string[] = [];
  const secretAccessKey = "fake-secret-key";
  const bucket = "uploads-bucket";
  const server: Server = createServer((req, res) => {
    res.setHeader("Access-Control-Allow-Origin", "*");
    if (req.method === "OPTIONS") {
      res.setHeader("Access-Control-Allow-Methods", "POST");
      res.end();
      return;
    }
    const parts: Buffer[] = [];
    req.on("data", (d: Buffer) => parts.push(d));
    req.on("end", () => {
      const request = new Request("http://fake/", {
        method: "POST",
        headers: { "content-type": req.headers["content-type"] ?? "" },
        body: Buffer.concat(parts),
      });
      void request.formData().then(
        async (form) => {
          const problem = check(form, secretAccessKey, bucket);
          if (problem) {
            refused.push(problem);
            res.statusCode = problem === "EntityTooLarge" ? 400 : 403;
            res.end(`<Error><Code>${problem}</Code></Error>`);
            return;
          }
          const file = form.get("file") as Blob;
          objects.set(form.get("key") as string, {
            body: Buffer.from(await file.arrayBuffer()),
            type: String(form.get("Content-Type")),
          });
          res.statusCode = 204;
          res.end();
        },
        () => {
          refused.push("malformed form");
          res.statusCode = 400;
          res.end();
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/`,
    bucket,
    region: "eu-west-1",
    accessKeyId: "AKIAFAKE",
    secretAccessKey,
    objects,
    refused,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
