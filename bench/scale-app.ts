/**
 * The app bench/scale.ts serves with `djust serve --app bench/scale-app.ts`: one counter view.
 * `BENCH_DURABILITY` (`reply` | `behind`) picks the durability; without `REDIS_URL` everything
 * is in memory. `GET /mem` answers this process's memory after a full GC (node --expose-gc).
 */
import { LiveView, eventHandler, html } from "../src/index.js";
import type { RenderContext, Rendered } from "../src/index.js";
import { createApp } from "../src/server/index.js";

class CounterView extends LiveView {
  count = 0;

  @eventHandler
  inc() {
    this.count++;
  }

  override render(a: RenderContext): Rendered {
    return html`<p>${a.count}</p><button dj-click="inc">+1</button>`;
  }
}

const durability = process.env.BENCH_DURABILITY;
export const app = createApp({
  secretKey: "scale-bench",
  logger: { info: () => undefined, warn: () => undefined, error: console.error },
  ...((durability === "reply" || durability === "behind") && { durability }),
  limits: { eventsPerSecond: 1e9, eventBurst: 1e9 },
});
app.live("/", CounterView);
app.hono.get("/mem", (c) => {
  (globalThis as { gc?: () => void }).gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  return c.json({ rss, heapUsed, pid: process.pid });
});
