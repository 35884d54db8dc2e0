/**
 * Typed errors with a stable `kind` (the API's `error` field) and HTTP `status`. Every
 * transport maps a {@link DjustError} the same way: HTTP → status + `{ error, message, details }`,
 * WebSocket → an `ok` reply whose diff carries a `djust:error` event with the same body.
 * @module
 */

/**
 * Every error kind of the HTTP API and WebSocket replies (DESIGN.md §5, §10) with its HTTP
 * status: the one table both transports and the OpenAPI document read.
 */
export const ERROR_STATUS = Object.freeze({
  invalid_json: 400,
  validation_error: 400,
  unauthenticated: 401,
  csrf_failed: 403,
  permission_denied: 403,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  handler_error: 500,
  mount_failed: 500,
  serialize_error: 500,
  serialization_error: 500,
  service_unavailable: 503,
} as const);

/** The error kinds of the HTTP API and WebSocket replies (the `error` field). */
export type ErrorKind = keyof typeof ERROR_STATUS;

/** Per-field messages or other structured facts about an error (the `details` field). */
export type ErrorDetails = Record<string, unknown>;

/** Base class of every error djust reports to a client; its status comes from {@link ERROR_STATUS}. */
export class DjustError extends Error {
  override readonly name: string = "DjustError";
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly details?: ErrorDetails,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  /** The HTTP status of this kind. */
  get status(): number {
    return ERROR_STATUS[this.kind];
  }

  /** The JSON body of an error response. */
  toJSON(): { error: ErrorKind; message: string; details?: ErrorDetails } {
    return this.details
      ? { error: this.kind, message: this.message, details: this.details }
      : { error: this.kind, message: this.message };
  }
}

/** Field-level messages, as `details = { field: [messages] }` (`__all__` when no field). */
export type FieldErrors = Record<string, string[]>;

/**
 * Invalid input. Throw it from a handler or a `@fieldValidator` method with a message and,
 * optionally, the field it concerns: `throw new ValidationError("Too late to refund", "order_id")`.
 */
export class ValidationError extends DjustError {
  override readonly name = "ValidationError";
  readonly fields: FieldErrors;
  constructor(message: string, field?: string);
  constructor(fields: FieldErrors);
  constructor(messageOrFields: string | FieldErrors, field?: string) {
    const fields =
      typeof messageOrFields === "string"
        ? { [field ?? "__all__"]: [messageOrFields] }
        : messageOrFields;
    const message = typeof messageOrFields === "string" ? messageOrFields : "Invalid parameters.";
    super("validation_error", message, fields);
    this.fields = fields;
  }
}

/** The caller lacks a permission (403), or is anonymous where a user is needed (see transports). */
export class PermissionDenied extends DjustError {
  override readonly name = "PermissionDenied";
  constructor(message = "You do not have permission to perform this action.") {
    super("permission_denied", message);
  }
}

/** No authenticated user where one is required (401). */
export class Unauthenticated extends DjustError {
  override readonly name = "Unauthenticated";
  constructor(message = "Authentication credentials were not provided or are invalid.") {
    super("unauthenticated", message);
  }
}

/** Unknown view or handler, or a handler that is not exposed on this transport (404). */
export class NotFound extends DjustError {
  override readonly name = "NotFound";
  constructor(message: string) {
    super("not_found", message);
  }
}

/**
 * A stream operation (`streamInsert`, `streamDelete`, `streamDeleteByDomId`) named a stream the
 * view neither declares in `static streams` nor started with `stream()` (404 `not_found`).
 */
export class UnknownStream extends DjustError {
  override readonly name = "UnknownStream";
  constructor(view: string, stream: string) {
    super(
      "not_found",
      `${view} has no stream ${JSON.stringify(stream)}: declare it in static streams or start it with stream().`,
    );
  }
}

/** A rate limit was exceeded (429). `retryAfter` is in whole seconds, at least 1. */
export class RateLimited extends DjustError {
  override readonly name = "RateLimited";
  constructor(readonly retryAfter: number) {
    super("rate_limited", `Rate limit exceeded. Retry in ${retryAfter} s.`);
  }
}

/** A handler threw something that is not a {@link DjustError} (500). */
export class HandlerError extends DjustError {
  override readonly name = "HandlerError";
  constructor(handler: string, cause: unknown) {
    super("handler_error", `Handler "${handler}" raised an error.`, undefined, { cause });
  }
}

/** The CSRF token is missing or wrong, or the `Origin` is foreign (403). */
export class CsrfFailed extends DjustError {
  override readonly name = "CsrfFailed";
  constructor(reason: string) {
    super("csrf_failed", `CSRF Failed: ${reason}`);
  }
}

/** A body or frame that is not the JSON it must be (400). */
export class InvalidJson extends DjustError {
  override readonly name = "InvalidJson";
  constructor(message: string) {
    super("invalid_json", message);
  }
}

/** A request body over `limits.bodyBytes` (413). */
export class PayloadTooLarge extends DjustError {
  override readonly name = "PayloadTooLarge";
  constructor(readonly limit: number) {
    super("payload_too_large", `The request body exceeds ${limit} bytes.`, { limit });
  }
}

/** A request body that is not JSON (415). */
export class UnsupportedMediaType extends DjustError {
  override readonly name = "UnsupportedMediaType";
  constructor(contentType: string | null) {
    super(
      "unsupported_media_type",
      `Request bodies must be JSON (Content-Type: application/json), got ${contentType ? JSON.stringify(contentType) : "no Content-Type"}.`,
    );
  }
}

/** A method the path does not answer; `allow` lists the ones it does (405). */
export class MethodNotAllowed extends DjustError {
  override readonly name = "MethodNotAllowed";
  constructor(readonly allow: string) {
    super("method_not_allowed", `Method not allowed; use ${allow.split(", ")[0]}.`);
  }
}

/** `setup` or `mount` threw (500). */
export class MountFailed extends DjustError {
  override readonly name = "MountFailed";
  constructor(view: string, cause: unknown) {
    super("mount_failed", `${view} failed to mount.`, undefined, { cause });
  }
}

/** A handler's result could not be turned into JSON (500). */
export class SerializeError extends DjustError {
  override readonly name = "SerializeError";
  constructor(message: string, cause?: unknown) {
    super("serialize_error", message, undefined, { cause });
  }
}

/** Strict serialization found a non-serializable value in state (500). */
export class SerializationError extends DjustError {
  override readonly name = "SerializationError";
  constructor(message: string, cause?: unknown) {
    super("serialization_error", message, undefined, { cause });
  }
}

/**
 * A shared store the request needs (Redis: sessions, rate limits, snapshots, pub/sub) did not
 * answer within its timeout or is unreachable (503). The message says so without exception
 * text; the cause (kept for the server log) has the details. Everything recovers by itself once
 * the store answers again, so a client may retry after {@link retryAfter} seconds.
 */
export class ServiceUnavailable extends DjustError {
  override readonly name = "ServiceUnavailable";
  /** Seconds after which a retry makes sense (the `Retry-After` header). */
  readonly retryAfter = 1;
  constructor(message: string, cause?: unknown) {
    super("service_unavailable", message, undefined, { cause });
  }
}

/** A decorator was used in a way that cannot work; thrown when the class is defined. */
export class DecoratorError extends TypeError {
  override readonly name = "DecoratorError";
}
