/**
 * On-mount hooks: run before `mount` (and before a restore) on every transport — page, join,
 * live navigation, HTTP API — and may redirect or refuse.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  LiveView,
  PermissionDenied,
  eventHandler,
  html,
  type LiveRequest,
  type Rendered,
} from "../../src/index.js";
import {
  AllowAny,
  createApp,
  liveSession,
  type OnMountHook,
  type RunningServer,
} from "../../src/server/index.js";
import { loadPage, memoryLogger, RawClient, response } from "../live/helpers.js";

const calls: string[] = [];

/** Sends visitors without `?ok` to the login page; records who it saw. */
const gate: OnMountHook = (view, request: LiveRequest) => {
  calls.push(`gate:${view.constructor.name}:${request.transport}`);
  if (!request.url.searchParams.has("ok")) return { redirect: "/login/" };
  return undefined;
};
const banned: OnMountHook = () => {
  throw new PermissionDenied("Banned.");
};
const greet: OnMountHook = (view) => {
  (view as { greeting?: string }).greeting = "hello";
};

class GatedView extends LiveView {
  static override apiAuthClasses = [AllowAny];
  static override csrfExempt = true;
  greeting = "";
  mounted = 0;

  override mount() {
    this.mounted += 1;
  }

  @eventHandler({ exposeApi: true })
  ping() {
    return { greeting: this.greeting };
  }

  override render(): Rendered {
    return html`<p>${this.greeting} ${String(this.mounted)}</p>`;
  }
}

class BannedView extends GatedView {
  static override apiName = "banned";
}

class OpenView extends LiveView {
  override render(): Rendered {
    return html`<p>open</p>`;
  }
}

describe("on-mount hooks", () => {
  let server: RunningServer;
  before(async () => {
    const app = createApp({ secretKey: "hooks", logger: memoryLogger() });
    app
      .liveSession({ onMount: [gate, greet] }, (s) => s.live("/gated/", GatedView))
      .live("/banned/", liveSession(BannedView, {}, { onMount: banned }))
      .live("/open/", OpenView);
    server = await app.listen(0, "127.0.0.1");
  });
  after(() => server.close());

  it("run on the page: a redirect is a 302, the hook's writes reach the render", async () => {
    calls.length = 0;
    const away = await fetch(`${server.url}/gated/`, { redirect: "manual" });
    assert.equal(away.status, 302);
    assert.equal(away.headers.get("location"), "/login/");
    const page = await loadPage(`${server.url}/gated/?ok=1`);
    assert.equal(page.status, 200);
    assert.match(page.html, /<p>hello 1<\/p>/);
    assert.deepEqual(calls, ["gate:GatedView:http", "gate:GatedView:http"]);
  });

  it("run again on the join's restore, before it", async () => {
    const page = await loadPage(`${server.url}/gated/?ok=1`);
    const client = await RawClient.connect(server.url, { cookie: page.cookie });
    try {
      calls.length = 0;
      const joined = await client.join(page, server.url, { url: `${server.url}/gated/?ok=1` });
      assert.equal(joined.payload.status, "ok");
      assert.deepEqual(calls, ["gate:GatedView:websocket"]);
      assert.match(JSON.stringify(response(joined).rendered), /hello/);
      assert.match(JSON.stringify(response(joined).rendered), /"1"/, "restored, not mounted again");
    } finally {
      client.close();
    }
  });

  it("redirect a live navigation join", async () => {
    const page = await loadPage(`${server.url}/open/`);
    const client = await RawClient.connect(server.url, { cookie: page.cookie });
    try {
      const reply = await client.join(page, server.url, {
        url: undefined,
        redirect: `${server.url}/gated/`,
      });
      assert.deepEqual(reply.payload, {
        status: "error",
        response: { redirect: { to: "/login/" } },
      });
    } finally {
      client.close();
    }
  });

  it("refuse an API call the hook redirects, and run before the handler otherwise", async () => {
    const call = (query: string) =>
      fetch(`${server.url}/djust/api/gated/ping/${query}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
    const refused = await call("");
    assert.equal(refused.status, 403);
    assert.deepEqual(await refused.json(), {
      error: "permission_denied",
      message: "This view sends the caller elsewhere.",
    });
    const ok = await call("?ok=1");
    assert.equal(ok.status, 200);
    assert.deepEqual(((await ok.json()) as { result: unknown }).result, { greeting: "hello" });
  });

  it("refuse with the hook's PermissionDenied on every transport", async () => {
    const page = await fetch(`${server.url}/banned/`);
    assert.equal(page.status, 403);
    assert.match(await page.text(), /Banned\./);
    const api = await fetch(`${server.url}/djust/api/banned/ping/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(api.status, 403);
    assert.deepEqual(await api.json(), { error: "permission_denied", message: "Banned." });
  });
});

describe("on-mount hooks in the test client", () => {
  it("run before mount, as on a page", async () => {
    const { LiveViewTestClient } = await import("../../src/testing/index.js");
    const view = await LiveViewTestClient.mount(GatedView, {
      url: "http://testserver/?ok=1",
      onMount: [greet],
    });
    assert.match(view.render(), /<p>hello 1<\/p>/);
  });
});
