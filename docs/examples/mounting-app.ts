// The djust app every mounting example serves: a live page at /counter/ and its handler
// exposed over HTTP at POST /djust/api/counter/add/.
import { z } from "zod";
import { LiveView, eventHandler, html } from "../../src/index.js";
import { AllowAny, SessionAuth, createApp, type AppOptions } from "../../src/server/index.js";

export class CounterView extends LiveView {
  // A logged-in session's calls must carry its CSRF token (X-CSRFToken); anyone else may call
  // the API anonymously, without one.
  static override apiAuthClasses = [SessionAuth, AllowAny];
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
  return createApp({
    secretKey: "docs-example-secret",
    loadUser: (id) => ({ id: Number(id) }),
    ...options,
  }).live("/counter/", CounterView);
}
