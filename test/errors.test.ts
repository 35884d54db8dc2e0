/**
 * The error table (src/errors.ts): one status per kind, one class per kind, and the JSON body
 * both transports send.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CsrfFailed,
  DjustError,
  ERROR_STATUS,
  HandlerError,
  InvalidJson,
  MethodNotAllowed,
  MountFailed,
  NotFound,
  PayloadTooLarge,
  PermissionDenied,
  RateLimited,
  SerializationError,
  ServiceUnavailable,
  SerializeError,
  Unauthenticated,
  UnsupportedMediaType,
  ValidationError,
  type ErrorKind,
} from "../src/errors.js";

describe("errors", () => {
  it("has a class for every kind, whose status is the table's", () => {
    const samples: DjustError[] = [
      new InvalidJson("bad"),
      new ValidationError("bad", "x"),
      new Unauthenticated(),
      new CsrfFailed("missing token"),
      new PermissionDenied(),
      new NotFound("nothing here"),
      new MethodNotAllowed("POST"),
      new PayloadTooLarge(10),
      new UnsupportedMediaType("text/plain"),
      new RateLimited(3),
      new HandlerError("save", new Error("boom")),
      new MountFailed("OrderView", new Error("boom")),
      new SerializeError("no"),
      new SerializationError("no"),
      new ServiceUnavailable("Redis did not answer"),
    ];
    const kinds = samples.map((error) => error.kind).sort();
    assert.deepEqual(kinds, (Object.keys(ERROR_STATUS) as ErrorKind[]).sort());
    for (const error of samples) {
      assert.ok(error instanceof DjustError);
      assert.equal(error.status, ERROR_STATUS[error.kind], error.kind);
    }
  });

  it("says what went wrong in each message", () => {
    assert.equal(new CsrfFailed("Origin mismatch").message, "CSRF Failed: Origin mismatch");
    assert.equal(new MethodNotAllowed("GET, HEAD").message, "Method not allowed; use GET.");
    assert.deepEqual(new PayloadTooLarge(1024).toJSON(), {
      error: "payload_too_large",
      message: "The request body exceeds 1024 bytes.",
      details: { limit: 1024 },
    });
    assert.equal(
      new UnsupportedMediaType(null).message,
      "Request bodies must be JSON (Content-Type: application/json), got no Content-Type.",
    );
    assert.equal(new MountFailed("OrderView", null).message, "OrderView failed to mount.");
    assert.equal(new RateLimited(2).message, "Rate limit exceeded. Retry in 2 s.");
  });

  it("keeps the cause of server-side failures and leaves it out of the JSON body", () => {
    const cause = new Error("database is down");
    const error = new HandlerError("save", cause);
    assert.equal(error.cause, cause);
    assert.deepEqual(error.toJSON(), {
      error: "handler_error",
      message: 'Handler "save" raised an error.',
    });
  });
});
