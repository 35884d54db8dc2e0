/**
 * What a restore costs, through `djust/testing` and the memory backend: a page load (dead
 * render, whole snapshot) with the join that restores it, and a reconnect's join alone, of a
 * view holding 1,000 or 100,000 rows `{ id, name, qty }`; "shared" views also hold the same
 * array in a second field (`this.visible = this.rows`), which the snapshot records as one
 * object (`src/state/aliases.ts`). The baseline is `JSON.parse` of the stored record's text,
 * the least any restore from a store does. Medians of each case.
 *
 * Run: `node --import tsx bench/restore.ts`
 */
import { html, LiveView, type Rendered } from "../src/index.js";
import { MemoryStateBackend } from "../src/state/backends/memory.js";
import { snapshotState } from "../src/state/tracker.js";
import { LiveViewTestClient } from "../src/testing/index.js";

interface Row {
  id: number;
  name: string;
  qty: number;
}

function viewOf(n: number, shared: boolean) {
  return class extends LiveView {
    rows: Row[] = [];
    visible: Row[] = [];
    override mount() {
      this.rows = Array.from({ length: n }, (_, id) => ({ id, name: `row ${id}`, qty: 0 }));
      this.visible = shared ? this.rows : [];
    }
    override render(): Rendered {
      return html`<p>${this.rows.length} ${this.visible.length}</p>`;
    }
  };
}

async function median(runs: number, once: () => Promise<void> | void): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await once();
    times.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  return times.sort((a, b) => a - b)[runs >> 1]!;
}

const cell = (us: number) => `${us.toFixed(0).padStart(9)} µs`;

// Warm-up: the first case would otherwise carry the compilation of everything it runs.
{
  const View = viewOf(1000, true);
  for (let i = 0; i < 200; i++) await (await LiveViewTestClient.mount(View)).close();
}

console.log("| rows | page + join | rejoin | JSON.parse of the record | rejoin / parse |");
for (const n of [1000, 100_000]) {
  const runs = n > 10_000 ? 10 : 300;
  for (const shared of [false, true]) {
    const View = viewOf(n, shared);
    const stateBackend = new MemoryStateBackend();
    const page = await median(runs, async () => {
      const view = await LiveViewTestClient.mount(View, { stateBackend });
      await view.close();
    });
    const first = await LiveViewTestClient.mount(View, { stateBackend, deadRender: false });
    await first.close();
    const rejoin = await median(runs, async () => {
      const view = await LiveViewTestClient.mount(View, {
        stateBackend,
        deadRender: false,
        id: first.id,
      });
      if (!view.restored) throw new Error("the join did not restore");
      await view.close();
    });
    const view = new View();
    view.mount();
    const text = JSON.stringify({
      state: snapshotState(view, { strict: true, view: "", logger: console }),
    });
    const parse = await median(runs, () => void JSON.parse(text));
    const name = `${n.toLocaleString("en")}${shared ? ", shared" : ""}`;
    console.log(
      `| ${name} | ${cell(page)} | ${cell(rejoin)} | ${cell(parse)} | ${(rejoin / parse).toFixed(1)}x |`,
    );
  }
}
