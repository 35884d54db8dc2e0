/**
 * Telemetry through `node:diagnostics_channel` tracing channels (DESIGN §11): what
 * OpenTelemetry instrumentations and APM agents subscribe to. Each channel publishes the
 * standard `start`/`end`/`asyncStart`/`asyncEnd`/`error` events with one context object per
 * operation, which carries the view, the handler, the transport and, once it is known, the
 * outcome.
 *
 * With no subscriber nothing is published and nothing is allocated: every traced step first
 * asks `hasSubscribers`.
 * @module
 */
import { tracingChannel, type TracingChannel } from "node:diagnostics_channel";
import { isThenable } from "./maybe-promise.js";

/** What a traced operation publishes. `result`/`error` are set when the operation ends. */
export interface TraceContext {
  /** The view class name (a join names its `topic` instead: the view is known after its checks). */
  readonly view?: string;
  /** The channel topic (`lv:<id>`) of a join. */
  readonly topic?: string;
  /** The handler (events and API calls). */
  readonly handler?: string;
  /** `http`, `websocket`, `longpoll` or `test`. */
  readonly transport: string;
  /** `ok`, or the error kind of a refused or failed operation, once it ended. */
  outcome?: string;
  result?: unknown;
  error?: unknown;
}

/** The channel names, one per operation. */
export const TRACE_CHANNELS = Object.freeze({
  /** `setup` + `mount` or restore of a view instance (every transport). */
  mount: "djust:mount",
  /** One event through the dispatch pipeline (handler lookup to change detection). */
  event: "djust:event",
  /** A live view's render and diff after a step. */
  render: "djust:render",
  /** One HTTP API call, request to response. */
  api: "djust:api",
  /** A `phx_join`, checks to reply. */
  join: "djust:join",
});

type Channel = TracingChannel<object, TraceContext>;

/** The tracing channels djust publishes on, for subscribers: `tracing.event.subscribe({...})`. */
export const tracing: Readonly<Record<keyof typeof TRACE_CHANNELS, Channel>> = Object.freeze({
  mount: tracingChannel(TRACE_CHANNELS.mount) as Channel,
  event: tracingChannel(TRACE_CHANNELS.event) as Channel,
  render: tracingChannel(TRACE_CHANNELS.render) as Channel,
  api: tracingChannel(TRACE_CHANNELS.api) as Channel,
  join: tracingChannel(TRACE_CHANNELS.join) as Channel,
});

/**
 * Runs `fn` inside a trace of `channel` when someone listens; synchronous results stay
 * synchronous. `outcome` names the outcome of a fulfilled value (default `ok`); a thrown or
 * rejected error is published on `error`, its outcome the error's kind (`permission_denied`…).
 */
export function traced<R>(
  channel: Channel,
  context: () => TraceContext,
  fn: () => R,
  outcome?: (value: Awaited<R>) => string,
): R {
  if (!channel.hasSubscribers) return fn();
  const ctx = context();
  channel.start.publish(ctx);
  let value: R;
  try {
    value = fn();
  } catch (error) {
    failed(channel, ctx, error);
    channel.end.publish(ctx);
    throw error;
  }
  if (!isThenable(value)) {
    ctx.result = value;
    ctx.outcome = outcome ? outcome(value as Awaited<R>) : "ok";
    channel.end.publish(ctx);
    return value;
  }
  channel.end.publish(ctx);
  // The same kind of value back: a promise of what `fn`'s promise resolves to.
  return Promise.resolve(value).then(
    (resolved) => {
      ctx.result = resolved;
      ctx.outcome = outcome ? outcome(resolved) : "ok";
      channel.asyncStart.publish(ctx);
      channel.asyncEnd.publish(ctx);
      return resolved;
    },
    (error: unknown) => {
      failed(channel, ctx, error);
      channel.asyncStart.publish(ctx);
      channel.asyncEnd.publish(ctx);
      throw error;
    },
  ) as R;
}

/** Publishes `error`; the outcome is its error kind when it has one (a refusal), else `error`. */
function failed(channel: Channel, ctx: TraceContext, error: unknown): void {
  ctx.error = error;
  const kind =
    (error as { kind?: unknown } | null)?.kind ??
    (error as { error?: { kind?: unknown } } | null)?.error?.kind;
  ctx.outcome = typeof kind === "string" ? kind : "error";
  channel.error.publish(ctx);
}
