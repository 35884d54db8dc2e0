/**
 * 200 components vs the same markup without components: a page of 200 rows where one row
 * changes per event, through the whole live pipeline (dispatch, change tracking, render, diff)
 * via the test client. With components, the event targets one row's component (its cid) and
 * only that component renders; without, the view keeps the 200 rows in a plain list in its
 * state and re-renders its loop. Reports the mean server time and the diff's bytes per event,
 * both runs in one process.
 *
 *   npx tsx bench/components.ts      (EVENTS=2000 by default)
 */
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

class WithoutComponents extends LiveView {
  rows = names.map((name, id) => ({ id, name, qty: 0 }));
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
}

async function run(name: string, event: (view: LiveViewTestClient, i: number) => Promise<unknown>) {
  const View = name === "components" ? WithComponents : WithoutComponents;
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

const withC = await run("components", (view, i) =>
  view.click("bump", {}, { target: (i % ROWS) + 1 }),
);
const without = await run("plain loop", (view, i) => view.click("bump", { id: i % ROWS }));
for (const r of [withC, without]) {
  console.log(
    `${r.name.padEnd(11)} ${ROWS} rows, one changes per event: ${r.usPerEvent.toFixed(1)} µs/event, ${r.bytesPerEvent.toFixed(1)} B/event (diff JSON)`,
  );
}
console.log(
  `components / plain loop: time ${(withC.usPerEvent / without.usPerEvent).toFixed(2)}x, bytes ${(withC.bytesPerEvent / without.bytesPerEvent).toFixed(2)}x`,
);
