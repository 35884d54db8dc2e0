/**
 * The app bench/scale.ts serves with `djust serve --app bench/scale-app.ts`, on `/`: a counter
 * (`SCALE_VIEW=counter`, the default: almost no server work per event) or a 1,000-row table
 * rendered by a template whose event flips one row (`SCALE_VIEW=table`), or a search over
 * `SCALE_LINES` order lines whose event moves to the next query (`SCALE_VIEW=search`: the server's own
 * work per event dominates, the state written and the reply stay small). All three answer the
 * event `inc`, so the driver is the same. `BENCH_DURABILITY` (`reply` | `behind`) picks the
 * durability; without `REDIS_URL` everything is in memory. `GET /mem` answers this process's
 * memory after a full GC (node --expose-gc).
 */
import { fileURLToPath } from "node:url";
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

interface Order {
  id: number;
  customer: string;
  total: number;
  shipped: boolean;
}

const CUSTOMERS = ["ada lovelace", "grace hopper", "alan turing", "edsger dijkstra"];

/** 1,000 orders; each event flips the next one between pending and shipped. */
class TableView extends LiveView {
  static override templateName = "scale_table.html";
  rows: Order[] = Array.from({ length: 1000 }, (_, id) => ({
    id,
    customer: CUSTOMERS[id % CUSTOMERS.length]!,
    total: (id * 37) % 1000,
    shipped: false,
  }));
  shipped = 0;
  next = 0;

  @eventHandler
  inc() {
    const row = this.rows[this.next]!;
    this.next = (this.next + 1) % this.rows.length;
    row.shipped = !row.shipped;
    this.shipped += row.shipped ? 1 : -1;
  }
}

/**
 * Order lines searched by the search view (`SCALE_LINES`, default 10,000); built once, shared by
 * every view (read only).
 */
const LINES: readonly Order[] = Array.from(
  { length: Number(process.env.SCALE_LINES ?? 10_000) },
  (_, id) => ({
    id,
    customer: `${CUSTOMERS[id % CUSTOMERS.length]!} ${id % 97}`,
    total: (id * 37) % 1000,
    shipped: id % 3 === 0,
  }),
);
const QUERIES = ["ada", "grace", "alan", "edsger", "lace", "ing"];

/**
 * A search box over many order lines: each event moves to the next query; every render
 * filters the lines, sums the matches and shows the first ten. The work is the server's (a
 * filter and a sum over every line per event) while the state written (the query number)
 * and the reply (ten rows and two figures) stay small, as with a real search-as-you-type page.
 */
class SearchView extends LiveView {
  static override templateName = "scale_search.html";
  q = 0;

  @eventHandler
  inc() {
    this.q = (this.q + 1) % QUERIES.length;
  }

  override getContextData(): Record<string, unknown> {
    const query = QUERIES[this.q]!;
    const matches = LINES.filter((line) => line.customer.includes(query) && !line.shipped);
    let sum = 0;
    for (const line of matches) sum += line.total;
    return { query, count: matches.length, sum, first: matches.slice(0, 10) };
  }
}

const VIEWS = { counter: CounterView, table: TableView, search: SearchView };
const view = process.env.SCALE_VIEW ?? "counter";
if (!(view in VIEWS)) throw new Error(`SCALE_VIEW must be counter, table or search, got ${view}`);

const durability = process.env.BENCH_DURABILITY;
export const app = createApp({
  templateDirs: [fileURLToPath(new URL("templates", import.meta.url))],
  secretKey: "scale-bench",
  logger: { info: () => undefined, warn: () => undefined, error: console.error },
  ...((durability === "reply" || durability === "behind") && { durability }),
  limits: { eventsPerSecond: 1e9, eventBurst: 1e9 },
});
app.live("/", VIEWS[view as keyof typeof VIEWS]);
app.hono.get("/mem", (c) => {
  (globalThis as { gc?: () => void }).gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  return c.json({ rss, heapUsed, pid: process.pid });
});
