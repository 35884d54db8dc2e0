import { tracingChannel } from "node:diagnostics_channel";
import { TRACE_CHANNELS, type TraceContext } from "../../src/server/index.js";

/** The part of an OpenTelemetry `Tracer` this needs (`trace.getTracer("djust")` fits). */
export interface Tracer {
  startSpan(name: string, options: { attributes: Record<string, string> }): Span;
}
export interface Span {
  setAttribute(key: string, value: string): void;
  recordException(error: unknown): void;
  end(): void;
}

/** One span per mount, event, render, API call and join, with djust's attributes. */
export function traceDjust(tracer: Tracer): () => void {
  const spans = new WeakMap<object, Span>();
  const unsubscribers = Object.entries(TRACE_CHANNELS).map(([operation, name]) => {
    const handlers = {
      start(message: unknown) {
        const ctx = message as TraceContext;
        const attributes: Record<string, string> = { "djust.transport": ctx.transport };
        if (ctx.view) attributes["djust.view"] = ctx.view;
        if (ctx.handler) attributes["djust.handler"] = ctx.handler;
        spans.set(ctx, tracer.startSpan(`djust ${operation}`, { attributes }));
      },
      end(message: unknown) {
        const ctx = message as TraceContext;
        // An operation that awaited ends at asyncEnd, once its outcome is known.
        if (ctx.outcome !== undefined) finish(ctx);
      },
      asyncStart() {},
      asyncEnd(message: unknown) {
        finish(message as TraceContext);
      },
      error(message: unknown) {
        spans.get(message as object)?.recordException((message as TraceContext).error);
      },
    };
    const finish = (ctx: TraceContext) => {
      const span = spans.get(ctx);
      if (!span) return;
      span.setAttribute("djust.outcome", ctx.outcome ?? "ok");
      span.end();
      spans.delete(ctx);
    };
    const channel = tracingChannel(name);
    channel.subscribe(handlers);
    return () => channel.unsubscribe(handlers);
  });
  return () => unsubscribers.forEach((off) => off());
}
