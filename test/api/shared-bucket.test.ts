// One token bucket per (caller, view, handler), shared by the WebSocket and HTTP transports.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LiveView, eventHandler, rateLimit } from "../../src/index.js";
import { callerKey } from "../../src/auth/caller.js";
import { MemoryRateLimitStore } from "../../src/ratelimit/bucket.js";
import { DEFAULT_LIMITS } from "../../src/server/context.js";
import { StateTracker } from "../../src/state/tracker.js";
import { html } from "../../src/template/html.js";
import { dispatch } from "../../src/pipeline/dispatch.js";
import { createApp } from "../../src/server/index.js";
import { RawClient, eventError, loadPage } from "../live/helpers.js";
import { USERS, memoryLogger } from "./fixtures.js";

class BurstView extends LiveView {
  count = 0;

  override render() {
    return html`<p>${this.count}</p>`;
  }

  @eventHandler({ exposeApi: true })
  @rateLimit({ rate: 0.001, burst: 5 })
  bump() {
    this.count += 1;
    return { ok: true };
  }
}

function appWith(store = new MemoryRateLimitStore()) {
  const app = createApp({
    secretKey: "s",
    logger: memoryLogger(),
    rateLimitStore: store,
    loadUser: (id) => (Number(id) === 1 ? USERS.alice! : null),
  });
  app.live("/burst/", BurstView);
  return app;
}

describe("shared rate-limit bucket", () => {
  it("burst 5: 3 WebSocket events + 3 HTTP calls from one user → exactly 5 accepted", async () => {
    const app = appWith();
    const server = await app.listen(0, "127.0.0.1");
    try {
      const { cookie, csrfToken } = await app.sessions.login(USERS.alice!);
      const page = await loadPage(`${server.url}/burst/`, cookie);
      assert.equal(page.status, 200);
      const client = await RawClient.connect(server.url, { cookie: page.cookie });
      try {
        const joined = await client.join(page, `${server.url}/burst`);
        assert.equal(joined.payload.status, "ok", JSON.stringify(joined.payload));
        const ws: string[] = [];
        for (let i = 0; i < 3; i++) {
          const reply = await client.event(page, "click", "bump", {});
          const error = eventError(reply)?.error;
          ws.push(
            reply.payload.status === "ok" && !error ? "ok" : String(error ?? reply.payload.status),
          );
        }
        const http: number[] = [];
        for (let i = 0; i < 3; i++) {
          const res = await fetch(`${server.url}/djust/api/burst/bump/`, {
            method: "POST",
            headers: { cookie, "x-csrftoken": csrfToken, origin: server.url },
          });
          http.push(res.status);
          if (res.status === 429) assert.ok(Number(res.headers.get("retry-after")) >= 1);
        }
        assert.deepEqual(ws, ["ok", "ok", "ok"]);
        assert.deepEqual(http, [200, 200, 429]);
      } finally {
        client.close();
      }
    } finally {
      await server.close();
    }
  });

  it("dispatch() with the shared caller key and the HTTP API spend one bucket", async () => {
    const store = new MemoryRateLimitStore();
    const app = appWith(store);
    const user = USERS.alice!;
    const view = new BurstView();
    const tracker = new StateTracker({ strict: false, logger: memoryLogger(), view: "BurstView" });
    tracker.reset(view);
    const direct = [];
    for (let i = 0; i < 3; i++) {
      const outcome = await dispatch(
        view,
        "bump",
        {},
        {
          transport: "websocket",
          user,
          caller: callerKey({ user, sessionId: "any-session", clientIp: "10.0.0.9" }),
          slug: "burst",
          rateLimits: store,
          tracker,
          coerceStrings: true,
          inputDepth: DEFAULT_LIMITS.inputDepth,
        },
      );
      direct.push(outcome.ok);
    }
    const { cookie, csrfToken } = await app.sessions.login(user);
    const http = [];
    for (let i = 0; i < 3; i++) {
      const res = await app.fetch(
        new Request("http://localhost/djust/api/burst/bump/", {
          method: "POST",
          headers: { cookie, "x-csrftoken": csrfToken },
        }),
      );
      http.push(res.status);
    }
    assert.deepEqual(direct, [true, true, true]);
    assert.deepEqual(http, [200, 200, 429]);
  });
});
