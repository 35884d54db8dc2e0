/**
 * Mounted behind another Node framework, djust may get a request whose body stream a body
 * parser already read (Express's `express.json()`, `express.text()`, `express.raw()`,
 * `express.urlencoded()`; Fastify's parsers when its `request.body` is handed on as
 * `req.body`). The stream is empty by then, so the parsed body is turned back into bytes and
 * left where `@hono/node-server` reads a pre-read body (`rawBody`, the convention of Google
 * Cloud Functions and Firebase). Every size, type and JSON check then runs on it as on a body
 * read from the socket.
 * @module
 */
import type { IncomingMessage } from "node:http";
import { isJsonContentType } from "../api/body.js";

/** What a body parser in front of djust leaves on the request. */
interface ParsedRequest extends IncomingMessage {
  body?: unknown;
  rawBody?: unknown;
}

/**
 * Gives `req` a `rawBody` rebuilt from `req.body` when a parser already read its stream.
 * Leaves it alone when the stream is unread (djust reads it itself, so Express 4's `{}` on
 * requests its parser skipped is ignored), when `rawBody` is already there (a parser's
 * `verify` hook may keep the original bytes), and when the body cannot be written back
 * faithfully (the read then fails with 400 `invalid_json`, as for a stream read and dropped).
 */
export function keepParsedBody(req: IncomingMessage): void {
  const parsed = req as ParsedRequest;
  if (!req.readableDidRead || parsed.body === undefined || parsed.rawBody !== undefined) return;
  const bytes = bytesOf(parsed.body, req.headers["content-type"]);
  if (bytes) parsed.rawBody = bytes;
}

function bytesOf(body: unknown, contentType: string | undefined): Buffer | undefined {
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.length);
  if (typeof body === "string") return Buffer.from(body, "utf8");
  if (typeof body !== "object" || body === null) return undefined;
  if (isJsonContentType(contentType ?? null)) return Buffer.from(JSON.stringify(body), "utf8");
  if (contentType?.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
    return formBytes(body as Record<string, unknown>);
  }
  return undefined;
}

/** A flat form (`name` → string or strings); nested values (qs's `extended`) are not rebuilt. */
function formBytes(fields: Record<string, unknown>): Buffer | undefined {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value === "string") form.append(name, value);
    else if (Array.isArray(value) && value.every((v) => typeof v === "string")) {
      for (const v of value) form.append(name, v);
    } else return undefined;
  }
  return Buffer.from(form.toString(), "utf8");
}
