/**
 * `AsyncResult`: what a state field filled by `assignAsync` holds while its loader runs and once
 * it settled, as the template reads it (`{% if org.loading %}…{% elif org.ok %}{{ org.result.name
 * }}{% elif org.failed %}…`). A plain object, so it is state like any other field: rendered,
 * sent as `assigns`, kept in snapshots.
 * @module
 */
import { DjustError } from "../errors.js";

/**
 * The state of a value loaded by `assignAsync`. While reloading, `result` (and `ok`) keep the
 * last value, so a template can show it beside a spinner (as Phoenix's `AsyncResult`).
 */
export interface AsyncResult<T = unknown> {
  /** `true` while the loader runs. */
  readonly loading: boolean;
  /** `true` once a loader delivered {@link result}. */
  readonly ok: boolean;
  /**
   * Why the last load failed, or `null`: a `DjustError`'s message (written for users), else
   * `"error"` — the error itself is logged, never sent. `"interrupted"` when the view was
   * restored without a loader for it (see docs/lifecycle.md).
   */
  readonly failed: string | null;
  /** The loaded value; `null` until one arrived. */
  readonly result: T | null;
}

/** A result not yet loaded: the value to initialise an `assignAsync` field with. */
export function asyncLoading<T>(previous?: AsyncResult<T>): AsyncResult<T> {
  return {
    loading: true,
    ok: previous?.ok ?? false,
    failed: null,
    result: previous?.result ?? null,
  };
}

/** A loaded result. */
export function asyncOk<T>(result: T): AsyncResult<T> {
  return { loading: false, ok: true, failed: null, result };
}

/** A failed load; the previous result (if any) is kept. */
export function asyncFailed<T>(reason: string, previous?: AsyncResult<T>): AsyncResult<T> {
  return {
    loading: false,
    ok: previous?.ok ?? false,
    failed: reason,
    result: previous?.result ?? null,
  };
}

/** What a failed loader's error may show to users: a `DjustError`'s message, else `"error"`. */
export function failureReason(error: unknown): string {
  return error instanceof DjustError ? error.message : "error";
}

const FIELDS = ["loading", "ok", "failed", "result"];

/** Whether `value` has exactly the shape of an {@link AsyncResult}. */
export function isAsyncResult(value: unknown): value is AsyncResult {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return (
    keys.length === FIELDS.length &&
    FIELDS.every((key) => keys.includes(key)) &&
    typeof (value as AsyncResult).loading === "boolean" &&
    typeof (value as AsyncResult).ok === "boolean"
  );
}

/** The fields of `view` holding an {@link AsyncResult} that is still loading. */
export function loadingFields(view: object, keys: readonly string[]): string[] {
  const fields = view as Record<string, unknown>;
  return keys.filter((key) => {
    const value = fields[key];
    return isAsyncResult(value) && value.loading;
  });
}
