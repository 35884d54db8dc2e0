/**
 * Streams vs a list in state: a feed view loads 100,000 items in pages of 100 (one event per
 * page, through the whole live pipeline: dispatch, change tracking, render, diff), once as a
 * stream and once as a plain list kept in the view's state. Reports the heap per view (after a
 * GC) after the first page and every 100 pages, and the mean time per event over the first
 * and the last 100 pages. `FEED_VIEWS` stream views (default 10) run side by side; a control
 * run sends the same events to views that stream nothing (the framework's own drift).
 *
 * Before measuring, as many views as are measured load `FEED_WARM_PAGES` pages (default 300)
 * and are closed: the code V8 compiles while the views run (optimized code, its deopt data and
 * relocation info — a heap snapshot diff shows them) is the process's, paid once, not the
 * views' memory. `FEED_WARM_PAGES=0` measures without it; the code space's growth is printed
 * beside the heap.
 *
 *   npx tsx bench/streams.ts       (FEED_ITEMS=20000 LIST_ITEMS=5000 for a quick run)
 */
import { fileURLToPath } from "node:url";
import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { eventHandler, LiveView } from "../src/index.js";
import { LiveViewTestClient } from "../src/testing/index.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const TOTAL = Number(process.env.FEED_ITEMS ?? 100_000);
// The list in state re-renders the whole list on every event: 100,000 items would take hours.
const LIST_TOTAL = Number(process.env.LIST_ITEMS ?? 20_000);
const PAGE = 100;
const WARM_PAGES = Number(process.env.FEED_WARM_PAGES ?? 300);
const templateDirs = [fileURLToPath(new URL("templates", import.meta.url))];

interface Item {
  id: number;
  author: string;
  text: string;
  at: string;
}

function page(from: number): Item[] {
  const out: Item[] = [];
  for (let id = from; id < from + PAGE; id++) {
    out.push({
      id,
      author: `user${id % 97}`,
      text: `Post number ${id}: a line of text of a typical feed entry.`,
      at: new Date(1_700_000_000_000 + id * 1000).toISOString(),
    });
  }
  return out;
}

class StreamFeed extends LiveView {
  static override templateName = "feed_stream.html";
  title = "Feed";
  loaded = 0;

  @eventHandler
  more() {
    this.stream("feed", page(this.loaded));
    this.loaded += PAGE;
  }
}

/** The control: the same view and template whose events stream nothing. */
class ControlFeed extends LiveView {
  static override templateName = "feed_stream.html";
  title = "Feed";
  loaded = 0;

  @eventHandler
  more() {
    this.loaded += PAGE;
  }
}

class ListFeed extends LiveView {
  static override templateName = "feed_list.html";
  title = "Feed";
  loaded = 0;
  items: Item[] = [];

  @eventHandler
  more() {
    this.items.push(...page(this.loaded));
    this.loaded += PAGE;
  }
}

function heap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Bytes of compiled code (V8's code space; the code's metadata lives in old space). */
function codeSpace(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === "code_space")?.space_used_size ?? 0;
}

/**
 * Loads `total` items into each of `views` views of `View`, round-robin, page by page. The heap
 * is divided by the number of views, so that the process's own noise (some 100 KiB either way
 * between two GCs) does not pass for a view's memory.
 */
async function run(
  name: string,
  View: typeof StreamFeed | typeof ListFeed,
  total: number,
  views: number,
) {
  // Views like the measured ones first, closed before measuring: the template compiled and the
  // code V8 optimizes while they run are the process's, not the views' memory.
  const warm = [];
  for (let v = 0; v < views; v++) {
    warm.push(await LiveViewTestClient.mount(View, { templateDirs, deadRender: false }));
  }
  for (let i = 0; i < Math.max(1, WARM_PAGES) && i * PAGE < total; i++) {
    for (const client of warm) await client.click("more");
  }
  for (const client of warm) await client.close();
  const base = heap();
  const baseCode = codeSpace();
  const clients = [];
  for (let v = 0; v < views; v++) {
    clients.push(await LiveViewTestClient.mount(View, { templateDirs, deadRender: false }));
  }
  // Preallocated: a growing array here would count as the views' memory.
  const times = new Float64Array((total / PAGE) * views);
  let event = 0;
  const samples: [number, number, number][] = [];
  let bytes = 0;
  for (let loaded = 0; loaded < total; loaded += PAGE) {
    for (const client of clients) {
      const start = performance.now();
      const result = await client.click("more");
      times[event++] = performance.now() - start;
      bytes += JSON.stringify(result.diff).length;
    }
    const pages = loaded / PAGE + 1;
    if (pages === 1 || pages % 100 === 0 || loaded + PAGE >= total) {
      samples.push([pages * PAGE, (heap() - base) / views, (codeSpace() - baseCode) / views]);
    }
  }
  for (const client of clients) await client.close();
  const first = samples[0]?.[1] ?? 0;
  const last = samples.at(-1)?.[1] ?? 0;
  const peak = Math.max(...samples.map(([, b]) => b));
  const mean = (xs: Float64Array) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const early = mean(times.slice(views, views * 101));
  const late = mean(times.slice(-views * 100));
  const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
  console.log(
    `\n${name}: ${views} view(s), ${total} items each, pages of ${PAGE}, warmed by ${WARM_PAGES} pages`,
  );
  for (const [items, used, code] of samples) {
    console.log(
      `  after ${String(items).padStart(6)} items: ${kib(used).padStart(12)} per view (code space ${kib(code)})`,
    );
  }
  console.log(
    `  heap per view, last / after first page: ${(last / first).toFixed(2)}x (${kib(first)} → ${kib(last)}; peak ${(peak / first).toFixed(2)}x)`,
  );
  console.log(
    `  ms per event: pages 2–101 ${early.toFixed(3)}, last 100 pages ${late.toFixed(3)} (${(late / early).toFixed(2)}x); diff bytes per event ${(bytes / times.length).toFixed(0)}`,
  );
}

const views = Number(process.env.FEED_VIEWS ?? 10);
await run("stream", StreamFeed, TOTAL, views);
await run("control: the same events streaming nothing", ControlFeed, TOTAL, views);
if (LIST_TOTAL > 0) await run("plain list in state", ListFeed, LIST_TOTAL, 1);
