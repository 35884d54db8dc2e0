// src/app.ts of a new project: one live view, rendered with the html tagged template.
import {
  LiveView,
  eventHandler,
  html,
  type RenderContext,
  type Rendered,
} from "../../src/index.js";
import { createApp } from "../../src/server/index.js";
import { z } from "zod";

export class CounterView extends LiveView {
  count = 0;

  @eventHandler({ params: z.object({ by: z.number().int().default(1) }) })
  increment({ by }: { by: number }) {
    this.count += by;
  }

  override render(a: RenderContext): Rendered {
    return html`<main>
      <p id="count">${a.count}</p>
      <button dj-click="increment">+1</button>
      <button dj-click="increment" dj-value-by="10">+10</button>
    </main>`;
  }
}

export const app = createApp({ secretKey: process.env.SECRET_KEY ?? "dev-only-secret" });
app.live("/", CounterView);
