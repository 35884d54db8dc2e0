/**
 * What telemetry costs: one event through the dispatch pipeline with no `djust:*` subscriber
 * (the default) and with no-op subscribers on every channel, next to the bare handler call.
 *
 *   npx tsx bench/telemetry.ts
 *
 * Rounds alternate between the cases (3 rounds of 1 s each) so a busy machine weighs on all
 * of them alike. The guard every traced step runs with no subscriber is one
 * `hasSubscribers` read; its cost per read is printed too.
 */
import { tracingChannel } from "node:diagnostics_channel";
import { z } from "zod";
import { LiveView, eventHandler } from "../src/index.js";
import { dispatch, type DispatchContext } from "../src/pipeline/dispatch.js";
import { MemoryRateLimitStore } from "../src/ratelimit/bucket.js";
import { DEFAULT_LIMITS } from "../src/server/context.js";
import { StateTracker } from "../src/state/tracker.js";
import { TRACE_CHANNELS, tracing } from "../src/telemetry.js";
import { measure, report, type Measurement } from "./support.js";

class CounterView extends LiveView {
  count = 0;

  @eventHandler({ params: z.object({ by: z.number().int() }) })
  add({ by }: { by: number }) {
    this.count += by;
  }
}

const view = new CounterView();
const tracker = new StateTracker({ strict: false, view: "CounterView", logger: console });
tracker.reset(view);
const ctx: DispatchContext = {
  transport: "websocket",
  user: null,
  caller: "bench",
  slug: "counter",
  rateLimits: new MemoryRateLimitStore(),
  tracker,
  coerceStrings: false,
  inputDepth: DEFAULT_LIMITS.inputDepth,
};
const params = { by: 1 };

const noop = { start() {}, end() {}, asyncStart() {}, asyncEnd() {}, error() {} };
function subscribeAll(on: boolean): void {
  for (const name of Object.values(TRACE_CHANNELS)) {
    if (on) tracingChannel(name).subscribe(noop);
    else tracingChannel(name).unsubscribe(noop);
  }
}

const cases: Record<string, () => unknown> = {
  "bare handler call + change detection": () => {
    view.add(params);
    return tracker.changes(view);
  },
  "dispatch, no subscriber": () => dispatch(view, "add", params, ctx),
  "dispatch, subscribers on every channel": () => dispatch(view, "add", params, ctx),
};

const best = new Map<string, Measurement>();
for (let round = 0; round < 3; round++) {
  for (const [name, fn] of Object.entries(cases)) {
    subscribeAll(name.includes("subscribers"));
    const m = measure(name, fn);
    const known = best.get(name);
    if (!known || m.meanUs < known.meanUs) best.set(name, m);
  }
}
subscribeAll(false);
const rows = [...best.values()];
report("One event through dispatch (best of 3 rounds)", rows, rows[1]);

let sink = false;
const loop = (read: () => boolean) => () => {
  for (let i = 0; i < 100; i++) sink = read() || sink;
  return sink;
};
const empty = measure(
  "empty loop",
  loop(() => false),
);
const guard = measure(
  "hasSubscribers read",
  loop(() => tracing.event.hasSubscribers),
);
const perReadNs = Math.max(0, ((guard.meanUs - empty.meanUs) * 1000) / 100);
const dispatchNs = (rows[1]?.meanUs ?? 1) * 1000;
console.log(
  `\n  guard: ${perReadNs.toFixed(2)} ns per read over an empty loop ` +
    `(${((perReadNs * 100) / dispatchNs).toFixed(2)} % of a dispatch)`,
);
