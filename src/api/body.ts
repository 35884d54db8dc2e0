/**
 * Reading an API request body: JSON only, size-limited while streaming (an oversized body is
 * never buffered in full), and it must be a JSON object.
 * @module
 */
import { DjustError, InvalidJson, PayloadTooLarge, UnsupportedMediaType } from "../errors.js";

/** Whether a `Content-Type` names JSON: `application/json` or any `…/…+json`. */
export function isJsonContentType(header: string | null): boolean {
  if (!header) return false;
  if (header === "application/json") return true;
  const semi = header.indexOf(";");
  const mediaType = (semi < 0 ? header : header.slice(0, semi)).trim().toLowerCase();
  return (
    mediaType === "application/json" ||
    (/^[\w.+-]+\/[\w.+-]+$/.test(mediaType) && mediaType.endsWith("+json"))
  );
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads the body of an API call, JSON only: the header checks (thrown synchronously), then the
 * text (`""` when empty), size-limited while streaming. A read that fails rejects with whatever
 * the stream threw: see {@link bodyReadError}. `headers` is where `Content-Type` and
 * `Content-Length` are read (the request's by default). {@link parseJsonObject} comes next.
 *
 * @param parserBounded Whether the server's HTTP parser ends the body at its `Content-Length`
 * (Node's does), so that a declared length within `limit` bounds the read and the body may be
 * taken in one piece. Otherwise (`app.fetch`, a `Request` built by anyone) the header may lie,
 * and the body is streamed with the limit enforced as it comes.
 *
 * @throws DjustError `unsupported_media_type` (415) for a non-empty non-JSON body,
 * `payload_too_large` (413) above `limit` bytes, `invalid_json` (400) for invalid UTF-8.
 */
export function readJsonText(
  request: Request,
  limit: number,
  headers: Pick<Headers, "get"> = request.headers,
  parserBounded = false,
): string | Promise<string> {
  const type = headers.get("content-type");
  const json = isJsonContentType(type);
  const declared = headers.get("content-length");
  const length = declared === null ? NaN : Number(declared);
  if (!(Number.isSafeInteger(length) && length >= 0)) {
    return readText(request, json ? limit : 0, type);
  }
  if (length === 0) return "";
  if (!json) throw new UnsupportedMediaType(type);
  if (length > limit) throw new PayloadTooLarge(limit);
  if (!parserBounded) return readText(request, limit, type);
  // The HTTP parser stops at Content-Length, so this read is bounded. `arrayBuffer()` lets
  // @hono/node-server take the socket's buffer without building a web stream (several times
  // faster), and the strict decoder answers malformed UTF-8 with 400, as the streamed path does.
  return request.arrayBuffer().then(decodeBuffer);
}

function decodeBuffer(buffer: ArrayBuffer): string {
  return buffer.byteLength === 0 ? "" : decode(new Uint8Array(buffer));
}

/**
 * Body text as a JSON object (`{}` when empty).
 * @throws DjustError `invalid_json` (400) for malformed JSON or a value that is not an object,
 * `payload_too_large` (413) for text longer than `limit`.
 */
export function parseJsonObject(text: string, limit: number): Record<string, unknown> {
  if (text === "") return {};
  // Each byte decodes to at most one UTF-16 unit, so this catches a lying Content-Length.
  if (text.length > limit) throw new PayloadTooLarge(limit);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidJson(`The body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidJson("The body must be a JSON object.");
  }
  return value as Record<string, unknown>;
}

/** A failed body read: a size or type refusal stays what it is; a broken stream is a 400. */
export function bodyReadError(error: unknown): DjustError {
  if (error instanceof DjustError) return error;
  // The client went away or sent a broken stream.
  return new InvalidJson("Could not read the request body.");
}

/**
 * Streams the body, stopping as soon as it passes `limit` bytes. With `limit` 0 (a non-JSON
 * type) the first byte already decides: 415.
 */
async function readText(request: Request, limit: number, type: string | null): Promise<string> {
  const body = request.body;
  if (!body) return "";
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      if (value.byteLength === 0) continue;
      total += value.byteLength;
      if (limit === 0) throw new UnsupportedMediaType(type);
      if (total > limit) throw new PayloadTooLarge(limit);
      chunks.push(value);
    }
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    throw error;
  }
  if (total === 0) return "";
  return decode(chunks.length === 1 ? (chunks[0] as Uint8Array) : concat(chunks, total));
}

function decode(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new InvalidJson("The body is not valid UTF-8.");
  }
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
