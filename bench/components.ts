/**
 * 200 components vs the same markup without components: a page of 200 rows where one row
 * changes per event, through the whole live pipeline (dispatch, change tracking, render, diff)
 * via the test client. With components, the event targets one row's component (its cid) and
 * only that component renders; without, the view keeps the 200 rows in a plain list in its
 * state and re-renders its loop. Reports the mean server time and the diff's bytes per event.
 * Also: each row a component given its row object, which the view edits in place (against the
 * plain loop), a view event that edits no row (the components given rows render nothing), and
 * a component's event that edits the row it was given in place (the view's tracking did not see
 * it: its rows field renders and is stored again). Each case runs in a child process of its
 * own, every case once per round; the median run is printed.
 *
 *   npx tsx bench/components.ts      (EVENTS=2000, ROUNDS=3 by default)
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import {
  eventHandler,
  html,
  LiveComponent,
  liveComponent,
  LiveView,
  type RenderContext,
} from "../src/index.js";
import { LiveViewTestClient } from "../src/testing/index.js";

const ROWS = 200;
const EVENTS = Number(process.env.EVENTS ?? 2000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);

class Row extends LiveComponent {
  id = 0;
  name = "";
  qty = 0;
  override render(a: RenderContext) {
    return html`<tr id=${`row-${String(a.id)}`}>
      <td>${a.name}</td>
      <td>${a.qty}</td>
      <td><button dj-click="bump" dj-target=${a.myself}>+</button></td>
    </tr>`;
  }
  @eventHandler
  bump() {
    this.qty++;
  }
}

const names = Array.from({ length: ROWS }, (_, i) => `Item ${i}`);

class WithComponents extends LiveView {
  override render() {
    return html`<table>
      ${names.map((name, i) => liveComponent(Row, { id: i, name }))}
    </table>`;
  }
}

interface Item {
  id: number;
  name: string;
  qty: number;
}

class WithoutComponents extends LiveView {
  rows: Item[] = names.map((name, id) => ({ id, name, qty: 0 }));
  /** Changed by `tick`, shown nowhere: a view event that changes nothing the rows show. */
  ticks = 0;
  override render(a: RenderContext) {
    const rows = a.rows as { id: number; name: string; qty: number }[];
    return html`<table>
      ${rows.map(
        (r) => html`<tr id=${`row-${r.id}`}>
          <td>${r.name}</td>
          <td>${r.qty}</td>
          <td><button dj-click="bump" dj-value-id=${r.id}>+</button></td>
        </tr>`,
      )}
    </table>`;
  }
  @eventHandler({ params: z.object({ id: z.number().int() }) })
  bump({ id }: { id: number }) {
    const row = this.rows[id];
    if (row) row.qty++;
  }

  @eventHandler
  tick() {
    this.ticks++;
  }
}

/** One of the view's rows, given as an object (`row: r`): the view edits it in place. */
class GivenRow extends LiveComponent {
  id = 0;
  row: Item = { id: 0, name: "", qty: 0 };
  /** Edits the view's row in place. */
  @eventHandler
  add() {
    this.row.qty++;
  }
  override render() {
    return html`<tr id=${`row-${this.row.id}`}>
      <td>${this.row.name}</td>
      <td>${this.row.qty}</td>
      <td><button dj-click="bump" dj-value-id=${this.row.id}>+</button></td>
    </tr>`;
  }
}

/** The plain loop's rows and events, each row a component given its row object. */
class GivenRows extends WithoutComponents {
  override render() {
    return html`<table>
      ${this.rows.map((row) => liveComponent(GivenRow, { id: row.id, row }))}
    </table>`;
  }
}

async function run(
  name: string,
  View: typeof WithComponents | typeof WithoutComponents,
  event: (view: LiveViewTestClient, i: number) => Promise<unknown>,
) {
  const view = await LiveViewTestClient.mount(View);
  for (let i = 0; i < 200; i++) await event(view, i); // warm-up
  let bytes = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < EVENTS; i++) {
    const result = (await event(view, i)) as { diff: unknown; error?: unknown };
    if (result.error) throw new Error(JSON.stringify(result.error));
    bytes += JSON.stringify(result.diff).length;
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  await view.close();
  return { name, usPerEvent: (ms * 1000) / EVENTS, bytesPerEvent: bytes / EVENTS };
}

const bumpRow = (view: LiveViewTestClient, i: number) => view.click("bump", { id: i % ROWS });
const tick = (view: LiveViewTestClient) => view.click("tick");
const cases = {
  components: () =>
    run("components", WithComponents, (view, i) =>
      view.click("bump", {}, { target: (i % ROWS) + 1 }),
    ),
  "plain loop": () => run("plain loop", WithoutComponents, bumpRow),
  // The view edits a row in place: the component given that row renders it again, no other does.
  "given rows": () => run("given rows", GivenRows, bumpRow),
  // A view event that edits no row: no component renders.
  "given, tick": () => run("given, tick", GivenRows, tick),
  // A component edits its row in place: the view's rows render again, and that component.
  "given, own": () =>
    run("given, own", GivenRows, (view, i) => view.click("add", {}, { target: (i % ROWS) + 1 })),
  "plain, tick": () => run("plain, tick", WithoutComponents, tick),
};
type Case = keyof typeof cases;
type Result = Awaited<ReturnType<typeof run>>;

/**
 * Runs `name` in a child process of its own: in one process the same case ran up to twice as
 * slow after the others (what they left of the JIT's feedback and the heap), an order effect
 * larger than the differences measured.
 */
function inChild(name: Case): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ["--case", name], {
      execArgv: process.execArgv,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    child.once("message", (result) => resolve(result as Result));
    child.once("exit", (code) => {
      if (code !== 0) reject(new Error(`case "${name}" exited with ${code}`));
    });
  });
}

const at = process.argv.indexOf("--case");
if (at >= 0) {
  const name = process.argv[at + 1] as Case;
  (process.send as (message: unknown) => void)(await cases[name]());
  process.exit(0);
}

// Every case once per round, in a new process each, the rounds alternating the cases.
const runs = new Map<Case, Result[]>();
for (let round = 0; round < ROUNDS; round++) {
  for (const name of Object.keys(cases) as Case[]) {
    const result = await inChild(name);
    runs.set(name, [...(runs.get(name) ?? []), result]);
  }
}
/** The case's median run by time. */
const median = (name: Case): Result => {
  const sorted = [...(runs.get(name) ?? [])].sort((a, b) => a.usPerEvent - b.usPerEvent);
  return sorted[Math.floor(sorted.length / 2)] as Result;
};
const spread = (name: Case) => {
  const times = (runs.get(name) ?? []).map((r) => r.usPerEvent);
  return `${Math.min(...times).toFixed(1)}–${Math.max(...times).toFixed(1)}`;
};
const withC = median("components");
const without = median("plain loop");
const given = median("given rows");
const givenTick = median("given, tick");
const givenOwn = median("given, own");
const withoutTick = median("plain, tick");
console.log(`median of ${ROUNDS} runs, each case in a process of its own (range in brackets)`);
for (const r of [withC, without, given, givenOwn]) {
  console.log(
    `${r.name.padEnd(11)} ${ROWS} rows, one changes per event: ${r.usPerEvent.toFixed(1)} µs/event (${spread(r.name as Case)}), ${r.bytesPerEvent.toFixed(1)} B/event (diff JSON)`,
  );
}
for (const r of [givenTick, withoutTick]) {
  console.log(
    `${r.name.padEnd(11)} ${ROWS} rows, none changes: ${r.usPerEvent.toFixed(1)} µs/event (${spread(r.name as Case)})`,
  );
}
const ratio = (a: { usPerEvent: number; bytesPerEvent: number }, b: typeof a) =>
  `time ${(a.usPerEvent / b.usPerEvent).toFixed(2)}x, bytes ${(a.bytesPerEvent / b.bytesPerEvent).toFixed(2)}x`;
console.log(`components / plain loop: ${ratio(withC, without)}`);
console.log(`given rows / plain loop (the view edits a row): ${ratio(given, without)}`);
console.log(`given rows / plain loop (the view edits no row): ${ratio(givenTick, withoutTick)}`);
console.log(`given rows / plain loop (a component edits its row): ${ratio(givenOwn, without)}`);
