/**
 * Attacks and contract gaps over HTTP (DESIGN §10, §12), through a running app: cookieless
 * visitors, capped stores, rate-limit buckets of anonymous callers, headers and cookies, leaks
 * of exception text, html`` attribute quoting, and the API contract. Each test asserts its
 * bound and that a good request still works.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import { MemorySessionStore } from "../../src/auth/session.js";
import { MemoryRateLimitStore } from "../../src/ratelimit/bucket.js";
import { renderToString } from "../../src/render/html.js";
import { createApp, type DjustApp, type RunningServer } from "../../src/server/index.js";
import { html } from "../../src/template/html.js";
import { LiveView, eventHandler } from "../../src/index.js";
import type { Rendered } from "../../src/render/tree.js";
import { eventError, RawClient } from "../live/helpers.js";
import { createOrdersApp } from "../../examples/orders/app.js";
import { getPage, joinPayload, securityApp } from "./support.js";

describe("security: HTTP", () => {
  let app: DjustApp;
  let server: RunningServer;
  let base: string;

  before(async () => {
    app = securityApp({ apiPrefix: "/api/v2/" });
    server = await app.listen(0, "127.0.0.1");
    base = server.url;
  });
  after(() => server.close());

  it("20,000 cookieless page GETs store 0 sessions; the page's CSRF token still joins", async () => {
    const store = app.context.sessions.store as MemorySessionStore;
    for (let i = 0; i < 20_000; i++) {
      const res = await app.fetch(new Request("http://localhost/"));
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    }
    assert.equal(store.size, 0);
    const page = await getPage(base);
    const client = await RawClient.connect(base, { cookie: page.cookie });
    const reply = await client.push(`lv:${page.id}`, "phx_join", joinPayload(base, page));
    assert.equal(reply.payload.status, "ok");
    client.close();
  });

  it("memory stores are capped: 1,000 sessions into a 100-session store keep at most 100", async () => {
    const store = new MemorySessionStore({ maxSessions: 100 });
    for (let i = 0; i < 1000; i++) store.set(`s${i}`, { data: {}, userId: i, csrfToken: "t" }, 60);
    assert.ok(store.size <= 100, `${store.size} sessions`);
    assert.equal(store.get("s999")?.userId, 999, "the newest session is kept");
    const buckets = new MemoryRateLimitStore({ maxBuckets: 100 });
    for (let i = 0; i < 1000; i++) buckets.take(`k${i}`, { rate: 0.001, burst: 1 });
    assert.ok(buckets.size <= 100, `${buckets.size} buckets`);
    assert.equal(buckets.take("k999", { rate: 0.001, burst: 1 }).allowed, false);
  });

  it("an anonymous @rateLimit bucket survives dropping the cookie: the 3rd call of burst 2 is 429", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const cookie = `csrftoken=fresh${i}${"x".repeat(40)}`;
      const res = await fetch(`${base}/api/v2/limited-api/ping/`, {
        method: "POST",
        headers: { "content-type": "application/json", cookie },
        body: "{}",
      });
      statuses.push(res.status);
    }
    assert.deepEqual(statuses, [200, 200, 429]);
    assert.equal((await getPage(base)).status, 200);
  });

  it("HTML responses carry nosniff, Referrer-Policy and frame protection (live, render, error pages)", async () => {
    // A live page and an error page (403); app.render shares the same htmlResponse.
    for (const res of [await fetch(`${base}/`), await fetch(`${base}/forbidden/`)]) {
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      assert.equal(res.headers.get("referrer-policy"), "same-origin");
      assert.equal(res.headers.get("x-frame-options"), "SAMEORIGIN");
      assert.equal(res.headers.get("content-security-policy"), "frame-ancestors 'self'");
    }
    const denied = createApp({ secretKey: "k", frameAncestors: "'none'" });
    denied.live("/", (await import("./support.js")).CounterView);
    const res = await denied.fetch(new Request("http://localhost/"));
    assert.equal(res.headers.get("x-frame-options"), "DENY");
    assert.equal(res.headers.get("content-security-policy"), "frame-ancestors 'none'");
  });

  it("cookies are Secure over HTTPS, via a trusted proxy's X-Forwarded-Proto, and with secureCookies", async () => {
    const csrfCookie = (res: Response) =>
      res.headers.getSetCookie().find((c) => c.startsWith("csrftoken=")) ?? "";
    const plain = securityApp();
    assert.doesNotMatch(csrfCookie(await plain.fetch(new Request("http://x/"))), /Secure/);
    assert.match(csrfCookie(await plain.fetch(new Request("https://x/"))), /; Secure/);
    const spoofed = new Request("http://x/", { headers: { "x-forwarded-proto": "https" } });
    assert.doesNotMatch(csrfCookie(await plain.fetch(spoofed)), /Secure/, "untrusted header");
    const proxied = securityApp({ trustedProxyCount: 1 });
    const viaProxy = new Request("http://x/", { headers: { "x-forwarded-proto": "https" } });
    assert.match(csrfCookie(await proxied.fetch(viaProxy)), /; Secure/);
    const always = securityApp({ secureCookies: true });
    assert.match(csrfCookie(await always.fetch(new Request("http://x/"))), /; Secure/);
  });

  it("html`` quotes an interpolation in an unquoted attribute: one attribute, no onmouseover", () => {
    const v = "x onmouseover=alert(1)";
    const out = renderToString(html`<div data-x=${v} class=a${v}>${v}</div>`);
    assert.equal(
      out,
      '<div data-x="x onmouseover=alert(1)" class="ax onmouseover=alert(1)">x onmouseover=alert(1)</div>',
    );
    const quote = renderToString(html`<i title=${'" onclick="x'}></i>`);
    assert.equal(quote, '<i title="&quot; onclick=&quot;x"></i>');
  });

  it("a serializer's exception text reaches neither the 500 body nor the WebSocket reply", async () => {
    const page = await getPage(base);
    const res = await fetch(`${base}/api/v2/counter/leak/`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        cookie: page.cookie,
        "x-csrftoken": page.csrf,
      },
      body: "{}",
    });
    const text = await res.text();
    assert.equal(res.status, 500, text);
    assert.doesNotMatch(text, /SECRET-INTERNAL-DETAIL/);
    const client = await RawClient.connect(base, { cookie: page.cookie });
    await client.push(`lv:${page.id}`, "phx_join", joinPayload(base, page));
    const reply = await client.push(`lv:${page.id}`, "event", {
      type: "click",
      event: "leak",
      value: {},
    });
    assert.equal(eventError(reply)?.error, "serialize_error");
    assert.doesNotMatch(JSON.stringify(reply.payload), /SECRET-INTERNAL-DETAIL/);
    const good = await client.push(`lv:${page.id}`, "event", {
      type: "click",
      event: "inc",
      value: {},
    });
    assert.equal(eventError(good), undefined);
    client.close();
  });

  it("malformed UTF-8 sent with Content-Length is 400 invalid_json", async () => {
    const body = Buffer.concat([
      Buffer.from('{"a":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}'),
    ]);
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve) => {
      const req = request(
        `${base}/api/v2/limited-api/ping/`,
        {
          method: "POST",
          headers: { "content-type": "application/json", "content-length": body.length },
        },
        (res) => {
          let text = "";
          res.on("data", (d: Buffer) => (text += d.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.end(body);
    });
    assert.equal(status, 400);
    assert.deepEqual(JSON.parse(text), {
      error: "invalid_json",
      message: "The body is not valid UTF-8.",
    });
    const page = await getPage(base);
    const good = await fetch(`${base}/api/v2/counter/echo/`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        cookie: page.cookie,
        "x-csrftoken": page.csrf,
      },
      body: '{"a":"é"}',
    });
    assert.equal(good.status, 200);
    assert.deepEqual(((await good.json()) as { result: unknown }).result, { keys: ["a"] });
  });

  it("the old API prefix answers 404, not 403", async () => {
    const res = await fetch(`${base}/djust/api/limited-api/ping/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(res.status, 404);
    const page = await getPage(base);
    const good = await fetch(`${base}/api/v2/counter/echo/`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        cookie: page.cookie,
        "x-csrftoken": page.csrf,
      },
      body: "{}",
    });
    assert.equal(good.status, 200);
  });

  it("an unsafe request no route answers is 404 before any CSRF check; routes that answer are checked", async () => {
    const custom = securityApp({ apiPrefix: "/api/v2/" });
    custom.hono.use("*", async (_c, next) => next());
    custom.hono.use("/admin/*", async (_c, next) => next());
    custom.hono.get("/report/", (c) => c.text("report"));
    custom.hono.post("/transfer/", (c) => c.text("moved"));
    custom.hono.all("/any/", (c) => c.text("any"));
    // An `all` endpoint that declares `next` still answers: it is checked like any endpoint.
    custom.hono.all("/hook/", async (c, _next) => c.text("hook"));
    const post = (path: string, headers: Record<string, string> = {}, method = "POST") =>
      custom.fetch(new Request(`http://localhost${path}`, { method, headers }));
    const unknown = [
      "/djust/api/limited-api/ping/", // the default API prefix, moved to /api/v2/
      "/nowhere/",
      "/admin/x/", // only middleware matches
      "/report/", // a GET route
      "/", // a live page (GET)
      "/djust/live/nowhere",
    ];
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      for (const path of unknown) {
        const res = await post(path, {}, method);
        assert.equal(res.status, 404, `${method} ${path}`);
        assert.equal(await res.text(), "404 Not Found");
      }
    }
    const api = await post("/api/v2/nowhere/");
    assert.equal(api.status, 404);
    assert.deepEqual(await api.json(), {
      error: "not_found",
      message: "No API endpoint at /api/v2/nowhere/.",
    });
    for (const path of ["/transfer/", "/any/", "/hook/"]) {
      const res = await post(path);
      assert.equal(res.status, 403, path);
      assert.deepEqual(await res.json(), {
        error: "csrf_failed",
        message: "CSRF Failed: CSRF cookie not set.",
      });
    }
    // The page sets the visitor's csrftoken cookie; its token passes.
    const page = await custom.fetch(new Request("http://localhost/"));
    const token = /name="csrf-token" content="([^"]+)"/.exec(await page.text())?.[1] ?? "";
    const cookie = page.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    for (const [path, text] of [
      ["/transfer/", "moved"],
      ["/any/", "any"],
      ["/hook/", "hook"],
    ] as const) {
      const res = await post(path, { cookie, "x-csrftoken": token });
      assert.equal(res.status, 200, path);
      assert.equal(await res.text(), text);
    }
  });

  it("the example's login sends next=/\\evil.example and other off-site targets to /, a same-site next where it says", async () => {
    const { app: example } = createOrdersApp({
      dbPath: ":memory:",
      secretKey: "k",
      logger: { info() {}, warn() {}, error() {} },
    });
    try {
      const login = async (next: string) => {
        const form = await example.fetch(new Request("http://localhost/login/"));
        const cookie = form.headers
          .getSetCookie()
          .map((c) => c.split(";")[0])
          .join("; ");
        const token = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(await form.text())?.[1];
        const res = await example.fetch(
          new Request("http://localhost/login/", {
            method: "POST",
            headers: {
              cookie,
              "content-type": "application/x-www-form-urlencoded",
              origin: "http://localhost",
            },
            body: new URLSearchParams({
              csrfmiddlewaretoken: token ?? "",
              username: "alice",
              password: "alice",
              next,
            }),
          }),
        );
        assert.equal(res.status, 302, next);
        return res.headers.get("location");
      };
      for (const next of ["/\\evil.example", "//evil.example", "https://evil.example/", "/\tx"]) {
        assert.equal(await login(next), "/", next);
      }
      assert.equal(await login("/orders/?page=2"), "/orders/?page=2");
    } finally {
      // Closes the database too.
      await example.close();
    }
  });

  it("PermissionDenied thrown in mount on a page load is a 403 page", async () => {
    const res = await fetch(`${base}/forbidden/`);
    assert.equal(res.status, 403);
    assert.match(await res.text(), /Members only/);
    assert.equal((await getPage(base)).status, 200);
  });

  it("a bare securityScheme object is named after its class; an object literal is refused at startup", async () => {
    class BearerAuth {
      readonly csrfExempt = true;
      readonly securityScheme = { type: "http", scheme: "bearer" };
      authenticate() {
        return null;
      }
    }
    class TokenView extends LiveView {
      static override apiAuthClasses: readonly object[] = [BearerAuth];
      override render(): Rendered {
        return html`<p></p>`;
      }
      @eventHandler({ exposeApi: true })
      go() {}
    }
    const ok = createApp({ secretKey: "k" }).register(TokenView);
    const doc = (await (await ok.fetch(new Request("http://x/djust/api/openapi.json"))).json()) as {
      components: { securitySchemes: Record<string, unknown> };
    };
    assert.deepEqual(doc.components.securitySchemes.BearerAuth, { type: "http", scheme: "bearer" });
    class LiteralView extends TokenView {
      static override apiAuthClasses = [
        { securityScheme: { type: "http", scheme: "bearer" }, authenticate: () => null },
      ];
    }
    assert.throws(
      () => createApp({ secretKey: "k" }).register(LiteralView),
      /bare securityScheme object needs a named class/,
    );
  });
});
