/**
 * A connected view's timers and background tasks: `sendAfter` → `handleInfo`, `startAsync` →
 * `handleAsync`, `assignAsync` → its state fields. Everything here ends with the view (`cancelAll` on close), so a view that goes
 * away leaves no timer or pending work behind; a task that fails is delivered as a failed
 * result, never as an unhandled rejection.
 * @module
 */
import { errorText, type Logger } from "../logger.js";
import {
  asyncFailed,
  asyncOk,
  failureReason,
  isAsyncResult,
  type AsyncResult,
} from "../view/async-result.js";
import type { AsyncOutcome, ViewTasks } from "../view/runtime.js";

/**
 * Hands a step to the view's queue (the instance runs it, renders, and pushes the diff): a
 * timer's message (`info`), a `startAsync` outcome (`async`, by task name) or an `assignAsync`
 * outcome (`assign`, with its keys). `current`, for a task's outcome, is called when the step
 * runs: `false` when the task was replaced or cancelled while its outcome waited in the queue,
 * and the step then does nothing.
 */
export type Deliver = (
  step: "info" | "async" | "assign",
  name: string,
  payload: unknown,
  keys?: readonly string[],
  current?: () => boolean,
) => void;

/** A running task: `startAsync` ones by name, `assignAsync` ones by their keys. */
const asyncKey = (name: string) => `async:${name}`;
/** The same keys in any order are one loader's. */
const ASSIGN = "assign:";
const assignKey = (keys: readonly string[]) => `${ASSIGN}${[...keys].sort().join(",")}`;

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
    this.#run(asyncKey(name), task, (outcome, current) =>
      this.deliver("async", name, outcome, undefined, current),
    );
  }

  assignAsync(keys: readonly string[], loader: (signal: AbortSignal) => unknown): void {
    this.#run(assignKey(keys), loader, (outcome, current) =>
      this.deliver("assign", "", outcome, keys, current),
    );
  }

  #run(
    id: string,
    task: (signal: AbortSignal) => unknown,
    deliver: (outcome: AsyncOutcome, current: () => boolean) => void,
  ): void {
    if (this.#ended) return;
    const running = (this.#running ??= new Map());
    running.get(id)?.abort(new Error(`replaced by a new "${id}" task`));
    const controller = new AbortController();
    running.set(id, controller);
    // Asked again when the outcome's step runs: a step of the view's queue may replace or
    // cancel the task after it settled and before its outcome's turn (it stays running until
    // then, so that a replacement or cancel finds it).
    const runs = () => running.get(id) === controller && !controller.signal.aborted;
    const current = (): boolean => runs() && running.delete(id);
    // A cancelled or replaced task reports nothing.
    const settle = (outcome: AsyncOutcome) => {
      if (runs()) deliver(outcome, current);
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
    const controller = this.#running?.get(asyncKey(name));
    if (!controller) return false;
    this.#running?.delete(asyncKey(name));
    controller.abort(reason ?? new Error(`"${name}" was cancelled`));
    return true;
  }

  /** The fields of the `assignAsync` loaders running (or whose outcome waits its turn). */
  loading(): string[] {
    const out: string[] = [];
    for (const id of this.#running?.keys() ?? []) {
      if (id.startsWith(ASSIGN)) out.push(...id.slice(ASSIGN.length).split(","));
    }
    return out;
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
  | { kind: "async"; name: string; task: (signal: AbortSignal) => unknown }
  | { kind: "assign"; keys: readonly string[]; task: (signal: AbortSignal) => unknown };

/**
 * What `mount` schedules before the instance that runs it exists (a fresh join mounts first):
 * recorded, then handed to the instance by {@link replay}.
 */
export class EarlyTasks implements ViewTasks {
  readonly #calls: Early[] = [];

  /** Forgets what was recorded (a failed restore's calls, before its view mounts afresh). */
  discard(): void {
    this.#calls.length = 0;
  }

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

  assignAsync(keys: readonly string[], loader: (signal: AbortSignal) => unknown): void {
    const key = assignKey(keys);
    const index = this.#calls.findIndex(
      (call) => call.kind === "assign" && assignKey(call.keys) === key,
    );
    if (index >= 0) this.#calls.splice(index, 1);
    this.#calls.push({ kind: "assign", keys, task: loader });
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
      else if (call.kind === "assign") target.assignAsync(call.keys, call.task);
      else if (!call.cancelled) call.cancel = target.sendAfter(call.ms, call.message);
    }
    this.#calls.length = 0;
  }
}

/**
 * Writes an `assignAsync` loader's outcome into `view`'s fields `keys`: each its value from the
 * loader's object, or `failed` (logged with the error; a key the loader left out fails alone).
 */
export function settleAsync(
  view: object,
  keys: readonly string[],
  outcome: AsyncOutcome,
  logger: Logger,
): void {
  const fields = view as Record<string, unknown>;
  const previous = (key: string): AsyncResult | undefined => {
    const value = fields[key];
    return isAsyncResult(value) ? value : undefined;
  };
  const name = view.constructor.name;
  if (!outcome.ok) {
    logger.error(`${name}.assignAsync(${keys.join(", ")}) failed`, {
      view: name,
      keys: keys.join(","),
      error: errorText(outcome.error),
    });
    const reason = failureReason(outcome.error);
    for (const key of keys) fields[key] = asyncFailed(reason, previous(key));
    return;
  }
  const values = outcome.result;
  for (const key of keys) {
    if (typeof values === "object" && values !== null && Object.hasOwn(values, key)) {
      fields[key] = asyncOk((values as Record<string, unknown>)[key]);
    } else {
      logger.error(`${name}.assignAsync: the loader returned no "${key}"`, { view: name, key });
      fields[key] = asyncFailed("error", previous(key));
    }
  }
}
