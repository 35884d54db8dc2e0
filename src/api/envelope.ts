/**
 * What the HTTP API answers: JSON responses with the API's headers, the `{ result, assigns }`
 * envelope of a call and the wire encoding of its result, and the `{ error, message, details? }`
 * body of a refused or failed one (with `details.traceback` in debug mode).
 * @module
 */
import { MethodNotAllowed, RateLimited, ServiceUnavailable, type DjustError } from "../errors.js";
import { toWire, type SerializationPolicy } from "../state/codec.js";
import type { JsonObject, JsonValue } from "../state/serializable.js";

const JSON_HEADERS = {
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
} as const;

/** A JSON response with the API's headers, plus `extra`; no body for 204, 205 and 304. */
export function json(status: number, body: unknown, extra?: Record<string, string>): Response {
  // The shared header object is only read (Response init is copied), so the hot path skips a spread.
  const headers = extra ? { ...JSON_HEADERS, ...extra } : JSON_HEADERS;
  if (status === 204 || status === 205 || status === 304) {
    return new Response(null, { status, headers });
  }
  return new Response(JSON.stringify(body), { status, headers });
}

/**
 * The envelope of a call that ran: `{ result, assigns }`, `result` in its wire form (`null`
 * when the handler returned nothing).
 */
export function envelope(
  status: number,
  result: unknown,
  assigns: JsonObject,
  policy: SerializationPolicy,
): Response {
  return json(status, { result: wire(result, policy), assigns });
}

function wire(value: unknown, policy: SerializationPolicy): JsonValue {
  return value === undefined ? null : toWire(value, "result", policy);
}

/** The JSON error response of `error`; `Retry-After` for 429 and 503, `Allow` for 405. */
export function errorResponse(error: DjustError, extra?: Record<string, string>): Response {
  const headers: Record<string, string> = { ...extra };
  if (error instanceof RateLimited || error instanceof ServiceUnavailable) {
    headers["retry-after"] = String(error.retryAfter);
  }
  return json(error.status, error.toJSON(), headers);
}

/** 405 `method_not_allowed` with its `Allow` header. */
export function methodNotAllowed(allow: string): Response {
  return errorResponse(new MethodNotAllowed(allow), { allow });
}

/** The stack of what caused `error` (its own when it wraps nothing), for logs and debug mode. */
export function causeStack(error: DjustError): string {
  const cause = error.cause instanceof Error ? error.cause : error;
  return cause.stack ?? String(cause);
}

/**
 * The error response of `error` in debug mode: a handler, mount or serializer failure carries
 * the stack of its cause as `details.traceback`.
 */
export function debugErrorResponse(error: DjustError): Response {
  const kind = error.kind;
  if (kind !== "handler_error" && kind !== "mount_failed" && kind !== "serialize_error") {
    return errorResponse(error);
  }
  const body = { ...error.toJSON(), details: { ...error.details, traceback: causeStack(error) } };
  return json(error.status, body);
}
