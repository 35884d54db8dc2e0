// The djust app every mounting example serves: a live page at /counter/ and its handler
// exposed over HTTP at POST /djust/api/counter/add/.
import { z } from "zod";
import { LiveView, eventHandler, html } from "../../src/index.js";
import { AllowAny, createApp, type AppOptions } from "../../src/server/index.js";

export class CounterView extends LiveView {
  static override apiAuthClasses = [AllowAny]; // anyone may call the API (and no CSRF token)
  count = 0;

  @eventHandler({ exposeApi: true, params: z.object({ by: z.number().int() }) })
  add({ by }: { by: number }) {
    this.count += by;
    return { count: this.count };
  }

  override render() {
    return html`<p>Count: ${this.count}</p>
      <button dj-click="add" dj-value-by="1">+1</button>`;
  }
}

export function counterApp(options: AppOptions = {}) {
  return createApp({ secretKey: "docs-example-secret", ...options }).live("/counter/", CounterView);
}
