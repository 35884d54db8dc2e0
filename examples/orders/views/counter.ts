/**
 * A live counter rendered with the `html` tagged template (no template file).
 * @module
 */
import { z } from "zod";
import {
  LiveView,
  eventHandler,
  html,
  type Params,
  type RenderContext,
  type Rendered,
} from "../../../src/index.js";

/** `+`/`-`/reset; the page title follows the count. */
export class CounterView extends LiveView {
  count = 0;
  history: number[] = [];

  override mount(_request: unknown, params: Params): void {
    const start = Number(params.start ?? 0);
    this.count = Number.isInteger(start) ? start : 0;
  }

  @eventHandler({ params: z.object({ by: z.number().int().min(-100).max(100).default(1) }) })
  increment({ by }: { by: number }) {
    this.count += by;
    this.history.push(this.count);
    if (this.history.length > 5) this.history.shift();
    this.pageTitle = `Count: ${this.count}`;
    return { count: this.count };
  }

  @eventHandler
  reset() {
    this.count = 0;
    this.history = [];
    this.pushEvent("counter:reset", { at: new Date().toISOString() });
  }

  override render(a: RenderContext): Rendered {
    const history = a.history as number[];
    return html`<main class="card">
      <nav><a href="/">Orders</a> · <a href="/orders/new/">New order</a> · <a href="/sync/">Sync</a></nav>
      <h1>Counter</h1>
      <p class="count" id="count">${a.count}</p>
      <button id="dec" dj-click="increment" dj-value-by="-1">−</button>
      <button id="inc" dj-click="increment" dj-value-by="1">+</button>
      <button id="inc10" dj-click="increment" dj-value-by="10">+10</button>
      <button id="reset" dj-click="reset">Reset</button>
      <p class="muted">Recent: ${history.map((n) => html`<span class="chip">${n}</span>`)}</p>
    </main>`;
  }
}
