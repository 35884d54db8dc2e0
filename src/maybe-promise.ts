/**
 * Steps that are usually synchronous (auth classes, `mount`, validation, handlers) may return a
 * promise. Awaiting only real promises keeps the common path free of promise allocations and
 * microtask hops, which under load cost far more than their in-process price suggests
 * (bench/RESULTS.md, "HTTP API").
 * @module
 */

/** A value, or a promise of it. */
export type MaybePromise<T> = T | PromiseLike<T>;

/** Whether `value` is a thenable that has to be awaited. */
export function isThenable<T>(value: MaybePromise<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

/** Runs `next` on `value` now, or once it resolves when it is a promise. */
export function andThen<T, R>(
  value: MaybePromise<T>,
  next: (value: T) => MaybePromise<R>,
): MaybePromise<R> {
  return isThenable(value) ? Promise.resolve(value).then(next) : next(value);
}
