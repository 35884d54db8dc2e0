/**
 * A connected view's timers and background tasks: `sendAfter` → `handleInfo`, `startAsync` →
 * `handleAsync`. Everything here ends with the view (`cancelAll` on close), so a view that goes
 * away leaves no timer or pending work behind; a task that fails is delivered as a failed
 * result, never as an unhandled rejection.
 * @module
 */
import type { AsyncOutcome, ViewTasks } from "../view/runtime.js";

/** Hands a step to the view's queue (the instance runs it, renders, and pushes the diff). */
export type Deliver = (step: "info" | "async", name: string, payload: unknown) => void;

/** The timers and tasks of one view. */
export class Tasks implements ViewTasks {
  #timers?: Set<ReturnType<typeof setTimeout>>;
  #running?: Map<string, AbortController>;
  #ended = false;

  constructor(readonly deliver: Deliver) {}

  sendAfter(ms: number, message: unknown): () => void {
    if (this.#ended) return () => undefined;
    const timers = (this.#timers ??= new Set());
    const timer = setTimeout(() => {
      timers.delete(timer);
      this.deliver("info", "", message);
    }, ms);
    timers.add(timer);
    return () => {
      clearTimeout(timer);
      timers.delete(timer);
    };
  }

  startAsync(name: string, task: (signal: AbortSignal) => unknown): void {
    if (this.#ended) return;
    const running = (this.#running ??= new Map());
    running.get(name)?.abort(new Error(`replaced by a new "${name}" task`));
    const controller = new AbortController();
    running.set(name, controller);
    const settle = (outcome: AsyncOutcome) => {
      // A cancelled or replaced task reports nothing.
      if (running.get(name) !== controller || controller.signal.aborted) return;
      running.delete(name);
      this.deliver("async", name, outcome);
    };
    let promise: Promise<unknown>;
    try {
      promise = Promise.resolve(task(controller.signal));
    } catch (error) {
      promise = Promise.reject(error);
    }
    promise.then(
      (result) => settle({ ok: true, result }),
      (error: unknown) => settle({ ok: false, error }),
    );
  }

  cancelAsync(name: string, reason?: unknown): boolean {
    const controller = this.#running?.get(name);
    if (!controller) return false;
    this.#running?.delete(name);
    controller.abort(reason ?? new Error(`"${name}" was cancelled`));
    return true;
  }

  /** Ends every timer and task; later calls schedule nothing. */
  cancelAll(): void {
    this.#ended = true;
    for (const timer of this.#timers ?? []) clearTimeout(timer);
    this.#timers?.clear();
    for (const controller of this.#running?.values() ?? []) {
      controller.abort(new Error("the view ended"));
    }
    this.#running?.clear();
  }
}

type Early =
  | { kind: "after"; ms: number; message: unknown; cancel?: () => void; cancelled: boolean }
  | { kind: "async"; name: string; task: (signal: AbortSignal) => unknown };

/**
 * What `mount` schedules before the instance that runs it exists (a fresh join mounts first):
 * recorded, then handed to the instance by {@link replay}.
 */
export class EarlyTasks implements ViewTasks {
  readonly #calls: Early[] = [];

  sendAfter(ms: number, message: unknown): () => void {
    const call: Early = { kind: "after", ms, message, cancelled: false };
    this.#calls.push(call);
    return () => {
      call.cancelled = true;
      call.cancel?.();
    };
  }

  startAsync(name: string, task: (signal: AbortSignal) => unknown): void {
    this.cancelAsync(name);
    this.#calls.push({ kind: "async", name, task });
  }

  cancelAsync(name: string): boolean {
    const index = this.#calls.findIndex((call) => call.kind === "async" && call.name === name);
    if (index < 0) return false;
    this.#calls.splice(index, 1);
    return true;
  }

  /** Schedules what was recorded on `target`. */
  replay(target: ViewTasks): void {
    for (const call of this.#calls) {
      if (call.kind === "async") target.startAsync(call.name, call.task);
      else if (!call.cancelled) call.cancel = target.sendAfter(call.ms, call.message);
    }
    this.#calls.length = 0;
  }
}
