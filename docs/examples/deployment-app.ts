// src/app.ts of a production deployment, served by `npx djust serve --app src/app.ts`.
// Every setting comes from the environment, and every node gets the same values.
import { LiveView, eventHandler, html, rateLimit } from "../../src/index.js";
import type { RenderContext, Rendered } from "../../src/index.js";
import { AllowAny, createApp } from "../../src/server/index.js";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set, to the same value on every node`);
  return value;
}

export class CounterView extends LiveView {
  count = 0;

  @eventHandler
  increment() {
    this.count++;
  }

  override render(a: RenderContext): Rendered {
    return html`<p id="count">${a.count}</p>
      <button dj-click="increment">+1</button>`;
  }
}

/** A public endpoint, limited per client address: the one the proxy saw. */
export class NewsletterView extends LiveView {
  static override apiAuthClasses = [AllowAny];

  @eventHandler({ exposeApi: true })
  @rateLimit({ rate: 1 / 60, burst: 3 })
  signup() {
    return "subscribed";
  }
}

export const app = createApp({
  // No fallback: a node with another key would refuse every other node's sessions and pages.
  secretKey: required("DJUST_SECRET_KEY"),
  // Sessions, rate limits, view snapshots and pub/sub, shared by every worker and machine.
  redis: required("REDIS_URL"),
  // One proxy (nginx, Caddy or a load balancer) appends the client's address.
  trustedProxyCount: Number(process.env.TRUSTED_PROXY_COUNT ?? 1),
});
app.live("/", CounterView).register(NewsletterView);
