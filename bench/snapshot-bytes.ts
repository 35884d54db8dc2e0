/**
 * Bytes written to Redis per event by the write-through snapshots (`durability: "reply"`),
 * measured on a real `redis-server` (its `total_net_input_bytes`) through a real app and
 * WebSocket: a view holding 1,000 rows, events that bump one row (1,000 of them, so the
 * figure includes the periodic whole write of the field that compacts its deltas), and events
 * that change only a scalar beside the rows; against what a full record of the same view
 * weighs. The restored state is checked against the live one at the end.
 *
 * Run: `node --import tsx bench/snapshot-bytes.ts`
 */
import { createClient } from "redis";
import { LiveView, eventHandler } from "../src/index.js";
import { createApp } from "../src/server/index.js";
import { html } from "../src/template/html.js";
import { MemorySessionStore } from "../src/auth/session.js";
import { RedisStateBackend } from "../src/state/backends/redis.js";
import { MemoryRateLimitStore } from "../src/ratelimit/bucket.js";
import { loadPage, RawClient } from "../test/live/helpers.js";
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
app.live("/", TableView);
const server = await app.listen(0, "127.0.0.1");
const page = await loadPage(`${server.url}/`);
const client = await RawClient.connect(server.url, { cookie: page.cookie });
await client.join(page, server.url);
await client.event(page, "click", "select", {}); // the first write after a join is full

const full = (await probe.hGetAll(`djust:view:${page.id}`)) as Record<string, string>;
const fullBytes = Object.entries(full).reduce((n, [k, v]) => n + k.length + v.length, 0);
const EVENTS = { bump: 1000, select: 200 };
const results: Record<string, number> = {};
for (const event of ["bump", "select"] as const) {
  const before = await inputBytes();
  for (let i = 0; i < EVENTS[event]; i++) await client.event(page, "click", event, {});
  results[event] = ((await inputBytes()) - before) / EVENTS[event];
}
const reader = new RedisStateBackend({ url: redis.url });
const stored = await reader.get(page.id);
await reader.close();
const rows = stored?.state.rows as { qty: number }[] | undefined;
if (rows?.[500]?.qty !== EVENTS.bump || stored?.state.selected !== EVENTS.select + 1) {
  throw new Error("the stored snapshot does not restore the live state");
}
console.log(`full record of the view: ${fullBytes} B`);
console.log(`bytes written per event, one row of 1,000 bumped: ${results.bump!.toFixed(0)} B`);
console.log(`bytes written per event, a scalar beside 1,000 rows: ${results.select!.toFixed(0)} B`);

client.close();
await server.close();
await probe.close();
await redis.stop();
