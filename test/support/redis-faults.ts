/**
 * The app and the checks of the Redis fault tests, shared by the in-process suite
 * (test/live/redis-faults.test.ts) and the child-process one (test/server/redis-faults.test.ts,
 * whose node runs test/fixtures/redis-faults-node.ts).
 */
import { z } from "zod";
import { LiveView, eventHandler, rateLimit } from "../../src/index.js";
import type { Logger } from "../../src/logger.js";
import { AllowAny, createApp, csrfExempt, login, type DjustApp } from "../../src/server/index.js";
import { html } from "../../src/template/html.js";
import { ChatView, CounterView } from "../live/views.js";

/** `redisTimeoutMs` of the fault apps. */
export const TIMEOUT_MS = 1000;

/** The bound every operation must answer within: the timeout plus slack for a loaded machine. */
export const ANSWER_WITHIN_MS = 5000;

/** What every operation that needs a stalled or absent Redis answers. */
export const UNAVAILABLE = {
  error: "service_unavailable",
  message: "Service temporarily unavailable: the shared store did not answer. Try again shortly.",
};

/** A rate-limited handler and a broadcasting one, as an API and as live events. */
export class ApiView extends LiveView {
  static override apiName = "api";
  count = 0;

  @eventHandler({ exposeApi: true })
  @rateLimit({ rate: 100, burst: 100 })
  bump() {
    this.count += 1;
    return { count: this.count };
  }

  @eventHandler({ exposeApi: true, params: z.object({ text: z.string() }) })
  async announce({ text }: { text: string }) {
    await this.broadcast("room", { text });
    return { sent: true };
  }

  override render() {
    return html`<p>${this.count}</p>`;
  }
}

/**
 * The same handlers open to anonymous callers: no session read, so the rate limit or the
 * broadcast is the first thing to need Redis.
 */
export class OpenView extends ApiView {
  static override apiName = "open";
  static override apiAuthClasses = [AllowAny];
}

/**
 * The fault app on Redis `url`: the counter on `/`, the chat on `/chat/`, {@link ApiView} on
 * `/api/` (and as the `api` and `open` APIs), and `POST /login/?id=` signing a user in.
 */
export function faultsApp(url: string, logger: Logger, shutdownTimeoutMs?: number): DjustApp {
  const app = createApp({
    secretKey: "fault-secret",
    logger,
    redis: url,
    redisTimeoutMs: TIMEOUT_MS,
    loadUser: (id) => ({ id }),
    ...(shutdownTimeoutMs !== undefined && { shutdownTimeoutMs }),
  });
  app.live("/", CounterView).live("/chat/", ChatView).live("/api/", ApiView).register(OpenView);
  app.hono.post(
    "/login/",
    csrfExempt(async (c) => {
      const { csrfToken } = await login(c, { id: c.req.query("id") ?? "" });
      return c.json({ csrfToken });
    }),
  );
  return app;
}

/** `work`'s result and how long it took. */
export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await work();
  return { value, ms: performance.now() - start };
}

/** A signed-in browser: its cookies and CSRF token. */
export interface Login {
  readonly cookie: string;
  readonly csrfToken: string;
}

/**
 * An API call to the app at `base`: of a signed-in user to `ApiView` (the session, and so the
 * authentication, is in Redis), or anonymous to `OpenView` when `login` is `null`.
 */
export function apiCall(
  base: string,
  who: Login | null,
  handler: string,
  body: unknown = {},
): Promise<Response> {
  const auth = who ? { cookie: who.cookie, "x-csrftoken": who.csrfToken } : undefined;
  return fetch(`${base}/djust/api/${who ? "api" : "open"}/${handler}/`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: base, ...auth },
    body: JSON.stringify(body),
  });
}
