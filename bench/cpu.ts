/**
 * CPU time per operation of one checkout, for before/after comparisons on a busy machine:
 * process CPU time (user + system) is far less sensitive to other load than wall-clock
 * throughput. Compares commits, not peers (the peer benchmarks are api.ts and live.ts).
 *
 *   git worktree add /tmp/base <rev> && ln -s "$PWD/node_modules" /tmp/base/node_modules
 *   npx tsx bench/cpu.ts /tmp/base; npx tsx bench/cpu.ts .      (alternate a few times; take the minimum)
 *
 * Prints µs per HTTP API call through `app.fetch` (AllowAny, zod params, no network), per live
 * event of a counter through `djust/testing` (dispatch, change tracking, render, diff), per
 * event of the same counter beside 10,000 untouched rows, and per event of bench/live.ts's
 * 1,000-row html`` table (one row's status toggled).
 */
import { resolve } from "node:path";

const root = resolve(process.argv[2] ?? ".");
const { LiveView, eventHandler, html } = await import(`${root}/src/index.ts`);
const { createApp, AllowAny } = await import(`${root}/src/server/index.ts`);
const { LiveViewTestClient } = await import(`${root}/src/testing/index.ts`);
const { z } = await import("zod");
const quiet = { info() {}, warn() {}, error() {} };

async function cpuPerCall(n: number, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < n / 2; i++) await fn();
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) await fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

class EchoView extends LiveView {
  static apiAuthClasses = [AllowAny];
  static csrfExempt = true;
  @eventHandler({ exposeApi: true, params: z.object({ name: z.string() }) })
  hello({ name }: { name: string }) {
    return { greeting: `hello ${name}` };
  }
}
const app = createApp({ secretKey: "bench", logger: quiet });
app.register(EchoView);
const body = JSON.stringify({ name: "ada" });
const api = await cpuPerCall(40_000, () =>
  app.fetch(
    new Request("http://app.test/djust/api/echo/hello/", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    }),
  ),
);

function counter(rows: number) {
  return class CounterView extends LiveView {
    count = 0;
    rows = Array.from({ length: rows }, (_, i) => ({ id: i, qty: i % 7 }));
    @eventHandler
    inc() {
      this.count += 1;
    }
    render(a: { count: number }) {
      return html`<p>${String(a.count)}</p>`;
    }
  };
}
const events: Record<string, number> = {};
for (const rows of [0, 10_000]) {
  const view = await LiveViewTestClient.mount(counter(rows), { deadRender: false, logger: quiet });
  events[rows] = await cpuPerCall(20_000, () => view.click("inc"));
  await view.close();
}

class TableView extends LiveView {
  rows = Array.from({ length: 1000 }, (_, i) => ({
    id: i,
    name: `Customer ${i}`,
    status: i % 3 === 0 ? "shipped" : "pending",
  }));
  @eventHandler({ params: z.object({ id: z.number().int() }) })
  toggle({ id }: { id: number }) {
    const row = this.rows[id];
    if (row) row.status = row.status === "pending" ? "shipped" : "pending";
  }
  render(a: { rows: TableView["rows"] }) {
    return html`<table><tbody>${a.rows.map(
      (r) =>
        html`<tr><td>${r.id}</td><td>${r.name}</td><td>${r.status}</td><td><button dj-click="toggle" dj-value-id="${r.id}">toggle</button></td></tr>`,
    )}</tbody></table>`;
  }
}
const table = await LiveViewTestClient.mount(TableView, { deadRender: false, logger: quiet });
let toggled = 0;
const tableEvent = await cpuPerCall(2_000, () => table.click("toggle", { id: toggled++ % 1000 }));
await table.close();

console.log(
  `${root}: API call ${api.toFixed(1)} µs, counter event ${events[0]!.toFixed(1)} µs, ` +
    `counter event beside 10,000 rows ${events[10_000]!.toFixed(1)} µs, ` +
    `1,000-row html table event ${tableEvent.toFixed(1)} µs (CPU time)`,
);
