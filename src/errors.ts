/**
 * Typed errors with a stable `kind` (the API's `error` field) and HTTP `status`. Every
 * transport maps a {@link DjustError} the same way: HTTP → status + `{ error, message, details }`,
 * WebSocket → an error reply with `{ error, message }`.
 * @module
 */

/** The error kinds of the HTTP API and WebSocket replies (DESIGN.md §5, §10). */
export type ErrorKind =
  | "not_found"
  | "unauthenticated"
  | "csrf_failed"
  | "invalid_json"
  | "payload_too_large"
  | "unsupported_media_type"
  | "method_not_allowed"
  | "permission_denied"
  | "rate_limited"
  | "validation_error"
  | "handler_error"
  | "mount_failed"
  | "serialize_error"
  | "serialization_error";

/** Per-field messages: `{ "order_id": ["This field is required."] }`. */
export type ErrorDetails = Record<string, unknown>;

/** Base class of every error djust reports to a client. */
export class DjustError extends Error {
  override readonly name: string = "DjustError";
  constructor(
    readonly kind: ErrorKind,
    readonly status: number,
    message: string,
    readonly details?: ErrorDetails,
    options?: ErrorOptions,
  ) {
    super(message, options);
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
    super("validation_error", 400, message, fields);
    this.fields = fields;
  }
}

/** The caller lacks a permission (403), or is anonymous where a user is needed (see transports). */
export class PermissionDenied extends DjustError {
  override readonly name = "PermissionDenied";
  constructor(message = "You do not have permission to perform this action.") {
    super("permission_denied", 403, message);
  }
}

/** No authenticated user where one is required (401). */
export class Unauthenticated extends DjustError {
  override readonly name = "Unauthenticated";
  constructor(message = "Authentication credentials were not provided or are invalid.") {
    super("unauthenticated", 401, message);
  }
}

/** Unknown view or handler, or a handler that is not exposed on this transport (404). */
export class NotFound extends DjustError {
  override readonly name = "NotFound";
  constructor(message: string) {
    super("not_found", 404, message);
  }
}

/** A rate limit was exceeded (429). `retryAfter` is in whole seconds, at least 1. */
export class RateLimited extends DjustError {
  override readonly name = "RateLimited";
  constructor(readonly retryAfter: number) {
    super("rate_limited", 429, `Rate limit exceeded. Retry in ${retryAfter} s.`);
  }
}

/** A handler threw something that is not a {@link DjustError} (500). */
export class HandlerError extends DjustError {
  override readonly name = "HandlerError";
  constructor(handler: string, cause: unknown) {
    super("handler_error", 500, `Handler "${handler}" raised an error.`, undefined, { cause });
  }
}

/** A decorator was used in a way that cannot work; thrown when the class is defined. */
export class DecoratorError extends TypeError {
  override readonly name = "DecoratorError";
}
