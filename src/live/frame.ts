/**
 * Phoenix Channels V2 JSON frames: `[join_ref, ref, topic, event, payload]`, as the official
 * `phoenix` client's serializer (`assets/js/phoenix/serializer.js`) writes and reads them.
 * Binary frames (upload chunks) are the serializer's `push` kind: a header of five lengths, then
 * join ref, ref, topic and event, then the raw payload.
 * @module
 */
import { CHANNEL_EVENTS } from "./protocol.js";

/** One decoded frame. `joinRef`/`ref` are `null` on server pushes and broadcasts. */
export interface Frame {
  readonly joinRef: string | null;
  readonly ref: string | null;
  readonly topic: string;
  readonly event: string;
  readonly payload: unknown;
}

/** A frame that could not be decoded. */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
}

function refOf(value: unknown, what: string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value;
  // Old clients sent numbers; the V2 client always sends strings, but a number is harmless.
  if (typeof value === "number" && Number.isInteger(value)) return String(value);
  throw new ProtocolError(`${what} must be a string or null`);
}

/**
 * Parses a text frame.
 * @throws ProtocolError when the text is not a V2 frame.
 */
export function decodeFrame(text: string): Frame {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ProtocolError("frame is not valid JSON");
  }
  if (!Array.isArray(parsed) || parsed.length !== 5) {
    throw new ProtocolError(
      "frame must be a 5-element array [join_ref, ref, topic, event, payload]",
    );
  }
  const [joinRef, ref, topic, event, payload] = parsed as unknown[];
  if (typeof topic !== "string" || topic.length === 0) throw new ProtocolError("bad topic");
  if (typeof event !== "string" || event.length === 0) throw new ProtocolError("bad event");
  return {
    joinRef: refOf(joinRef, "join_ref"),
    ref: refOf(ref, "ref"),
    topic,
    event,
    payload: payload ?? {},
  };
}

/** A decoded binary push: its payload is the raw bytes (a view into the received buffer). */
export interface BinaryFrame extends Frame {
  readonly payload: Buffer;
}

/** The serializer's binary frame kinds; clients only ever send pushes. */
const BINARY_PUSH = 0;
const BINARY_HEADER = 5;

/**
 * Parses a binary frame (`phoenix`'s `binaryEncode`).
 * @throws ProtocolError when it is not a binary push or its lengths do not fit.
 */
export function decodeBinaryFrame(data: Buffer): BinaryFrame {
  if (data.byteLength < BINARY_HEADER || data[0] !== BINARY_PUSH) {
    throw new ProtocolError("binary frame is not a push");
  }
  const sizes = [data[1], data[2], data[3], data[4]] as number[];
  let offset = BINARY_HEADER;
  const fields: string[] = [];
  for (const size of sizes) {
    if (offset + size > data.byteLength) throw new ProtocolError("binary frame is truncated");
    fields.push(data.toString("utf8", offset, offset + size));
    offset += size;
  }
  const [joinRef, ref, topic, event] = fields as [string, string, string, string];
  if (topic.length === 0) throw new ProtocolError("bad topic");
  if (event.length === 0) throw new ProtocolError("bad event");
  return {
    joinRef: joinRef.length > 0 ? joinRef : null,
    ref: ref.length > 0 ? ref : null,
    topic,
    event,
    payload: data.subarray(offset),
  };
}

/** Serialises a frame for the wire. */
export function encodeFrame(frame: Frame): string {
  return JSON.stringify([frame.joinRef, frame.ref, frame.topic, frame.event, frame.payload]);
}

/** Reply status: `ok` or `error` (the client's `receive("ok" | "error", …)`). */
export type ReplyStatus = "ok" | "error";

/** A `phx_reply` to `request`. */
export function replyFrame(request: Frame, status: ReplyStatus, response: unknown): Frame {
  return {
    joinRef: request.joinRef,
    ref: request.ref,
    topic: request.topic,
    event: CHANNEL_EVENTS.reply,
    payload: { status, response },
  };
}

/** A server push on a joined topic (`diff`, `live_patch`, `redirect`, …). */
export function pushFrame(joinRef: string | null, topic: string, event: string, payload: unknown) {
  return { joinRef, ref: null, topic, event, payload } satisfies Frame;
}
