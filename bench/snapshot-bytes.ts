/**
 * Bytes written to Redis per event by the write-through snapshots (`durability: "reply"`),
 * measured on a real `redis-server` (its `total_net_input_bytes`) through a real app and
 * WebSocket, against what a full record of the same view weighs; the restored state is checked
 * against the live one at the end of each:
 * - a view holding 1,000 rows: events that bump one row (1,000 of them, so the figure includes
 *   the periodic whole write of the field that compacts its deltas), and events that change
 *   only a scalar beside the rows;
 * - a view holding a `Map` index of 1,000 rows: events that set one key to a new row, and
 *   events that delete one key and add another;
 * - a feed of 1,000 rows: a row appended by `[...rows, row]`, the first filtered out by
 *   `rows.filter`, and a rolling window (`shift()` and `push(row)`);
 * - a page of 500 LiveComponents: events of one component, and events of the view alone;
 * - a LiveComponent holding 1,000 rows: events that bump one of its rows.
 *
 * Run: `node --import tsx bench/snapshot-bytes.ts`
 */
import { createClient } from "redis";
import { LiveComponent, LiveView, eventHandler, liveComponent } from "../src/index.js";
import { createApp } from "../src/server/index.js";
import { html } from "../src/template/html.js";
import { MemorySessionStore } from "../src/auth/session.js";
import { RedisStateBackend } from "../src/state/backends/redis.js";
import { MemoryRateLimitStore } from "../src/ratelimit/bucket.js";
import { restorable } from "../src/live/snapshot.js";
import type { StoredView } from "../src/state/backends/types.js";
import { loadPage, RawClient, type PageInfo } from "../test/live/helpers.js";
import { FeedView } from "../test/live/views.js";
import { startRedis } from "../test/support/redis.js";

class TableView extends LiveView {
  rows = Array.from({ length: 1000 }, (_, i) => ({ id: i, name: `row ${i}`, qty: 0 }));
  selected = 0;

  @eventHandler
  bump() {
    this.rows[500]!.qty++;
  }

  @eventHandler
  select() {
    this.selected++;
  }

  override render() {
    return html`<p>${this.selected}</p><ul>${this.rows.map((r) => html`<li>${r.name} ${r.qty}</li>`)}</ul>`;
  }
}

type Row = { id: number; name: string; qty: number };

class IndexView extends LiveView {
  byId = new Map<string, Row>(
    Array.from({ length: 1000 }, (_, i) => [`r${i}`, { id: i, name: `row ${i}`, qty: 0 }]),
  );
  next = 1000;

  @eventHandler
  replace() {
    const row = this.byId.get("r500")!;
    this.byId.set("r500", { ...row, qty: row.qty + 1 });
  }

  @eventHandler
  churn() {
    this.byId.delete(`r${this.next - 1000}`);
    this.byId.set(`r${this.next}`, { id: this.next, name: `row ${this.next}`, qty: 0 });
    this.next++;
  }

  override render() {
    return html`<ul>${[...this.byId.values()].map((r) => html`<li>${r.name} ${r.qty}</li>`)}</ul>`;
  }
}

class Counter extends LiveComponent {
  id = 0;
  label = "";
  count = 0;

  @eventHandler
  inc() {
    this.count++;
  }

  override render() {
    return html`<li>${this.label} <b>${this.count}</b><button dj-click="inc" dj-target=${this.myself}>+</button></li>`;
  }
}

class ComponentPage extends LiveView {
  title = 0;
  ids = Array.from({ length: 500 }, (_, i) => i);

  @eventHandler
  retitle() {
    this.title++;
  }

  override render() {
    return html`<h1>${this.title}</h1><ul>${this.ids.map((id) => liveComponent(Counter, { id, label: `counter ${id}` }))}</ul>`;
  }
}

class RowsComponent extends LiveComponent {
  id = "";
  rows = Array.from({ length: 1000 }, (_, i) => ({ id: i, name: `row ${i}`, qty: 0 }));

  @eventHandler
  bump() {
    this.rows[500]!.qty++;
  }

  override render() {
    return html`<ul>${this.rows.map((r) => html`<li>${r.name} ${r.qty}</li>`)}</ul>`;
  }
}

class ComponentTable extends LiveView {
  override render() {
    return html`<div>${liveComponent(RowsComponent, { id: "rows" })}</div>`;
  }
}

const redis = await startRedis();
if ("skip" in redis) throw new Error(redis.skip);
const probe = createClient({ url: redis.url });
await probe.connect();
const inputBytes = async () =>
  Number(/total_net_input_bytes:(\d+)/.exec(await probe.info("stats"))?.[1] ?? 0);

// Sessions and rate limits in memory: only the snapshots reach Redis.
const app = createApp({
  secretKey: "bench",
  redis: redis.url,
  sessionStore: new MemorySessionStore(),
  rateLimitStore: new MemoryRateLimitStore(),
  limits: { eventsPerSecond: 100_000, eventBurst: 100_000 },
});
app
  .live("/", TableView)
  .live("/index/", IndexView)
  .live("/feed/", FeedView)
  .live("/components/", ComponentPage)
  .live("/component-table/", ComponentTable);
const server = await app.listen(0, "127.0.0.1");
const reader = new RedisStateBackend({ url: redis.url });

/**
 * Bytes written per event for each of `events` (its label, how many times, and the frame that
 * sends it) on a fresh page of `path`; the stored record is then handed to `check`.
 */
async function measure(
  path: string,
  events: [string, number, (send: RawClient, page: PageInfo) => Promise<unknown>][],
  check: (stored: StoredView | null) => boolean,
) {
  const page = await loadPage(`${server.url}${path}`);
  const client = await RawClient.connect(server.url, { cookie: page.cookie });
  await client.join(page, server.url);
  // The first write after a join is full: made here, before the measurement.
  await events[0]![2](client, page);
  const full = (await probe.hGetAll(`djust:view:${page.id}`)) as Record<string, string>;
  const fullBytes = Object.entries(full).reduce((n, [k, v]) => n + k.length + v.length, 0);
  console.log(`${path}: full record of the view ${fullBytes} B`);
  for (const [label, count, send] of events) {
    const before = await inputBytes();
    for (let i = 0; i < count; i++) await send(client, page);
    console.log(
      `  bytes written per event, ${label}: ${(((await inputBytes()) - before) / count).toFixed(0)} B`,
    );
  }
  if (!check(restorable(await reader.get(page.id)))) {
    throw new Error(`the stored snapshot of ${path} does not restore the live state`);
  }
  client.close();
}

const click = (event: string) => (client: RawClient, page: PageInfo) =>
  client.event(page, "click", event, {});
await measure(
  "/",
  [
    ["one row of 1,000 bumped", 1000, click("bump")],
    ["a scalar beside 1,000 rows", 200, click("select")],
  ],
  (stored) =>
    (stored?.state.rows as { qty: number }[] | undefined)?.[500]?.qty === 1001 &&
    stored?.state.selected === 200,
);
await measure(
  "/index/",
  [
    ["one key of a 1,000-row Map set to a new row", 500, click("replace")],
    ["one key of a 1,000-row Map deleted and another added", 500, click("churn")],
  ],
  (stored) => {
    const entries = (stored?.state.byId as { value?: [string, Row][] } | undefined)?.value;
    return entries?.length === 1000 && entries[0]?.[0] === "r500" && entries[0][1].qty === 501;
  },
);
await measure(
  "/feed/",
  [
    ["a row appended to 1,000 by `[...rows, row]`", 200, click("append")],
    ["the first row filtered out by `rows.filter`", 200, click("drop")],
    ["a rolling window: `shift()` and `push(row)`", 500, click("roll")],
  ],
  (stored) => {
    const ids = (stored?.state.rows as Row[] | undefined)?.map((r) => r.id) ?? [];
    // One append more: the write that makes the record full, before the measurement.
    const live = Array.from({ length: 1001 }, (_, i) => 700 + i);
    return JSON.stringify(ids) === JSON.stringify(live);
  },
);
await measure(
  "/components/",
  [
    [
      "one of 500 components changed",
      500,
      (client, page) =>
        client.push(`lv:${page.id}`, "event", { type: "click", event: "inc", value: {}, cid: 7 }),
    ],
    ["the view's own scalar beside 500 components", 200, click("retitle")],
  ],
  (stored) => {
    const seventh = stored?.components?.list.find((c) => c.cid === 7);
    return stored?.components?.list.length === 500 && seventh?.state.count === 501;
  },
);
await measure(
  "/component-table/",
  [
    [
      "one row of a component's 1,000 bumped",
      1000,
      (client, page) =>
        client.push(`lv:${page.id}`, "event", { type: "click", event: "bump", value: {}, cid: 1 }),
    ],
  ],
  (stored) => {
    const rows = stored?.components?.list[0]?.state.rows as Row[] | undefined;
    return rows?.length === 1000 && rows[500]?.qty === 1001;
  },
);

await reader.close();
await server.close();
await probe.close();
await redis.stop();
