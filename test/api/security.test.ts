// Auth classes, CSRF, and rate-limit callers over the HTTP API.
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { describe, it } from "node:test";
import { LiveView, eventHandler, type User } from "../../src/index.js";
import { AllowAny, SessionAuth } from "../../src/auth/classes.js";
import { MemorySessionStore } from "../../src/auth/session.js";
import { ExemptTokenAuth, USERS, browser, call, makeApp } from "./fixtures.js";

const alice = USERS.alice!;
const bob = USERS.bob!;

describe("HTTP API: CSRF for session-authenticated calls", () => {
  it("passes with the session's token and a same-origin Origin", async () => {
    const app = makeApp();
    const res = await call(app, "order/whoami/", await browser(app, alice));
    assert.equal(res.status, 200);
  });

  it("passes without an Origin header over http (non-browser clients)", async () => {
    const app = makeApp();
    const { cookie, csrf } = await browser(app, alice);
    const res = await call(app, "order/whoami/", { cookie: cookie!, csrf: csrf! });
    assert.equal(res.status, 200);
  });

  it("403 when the token is missing", async () => {
    const app = makeApp();
    const { cookie, origin } = await browser(app, alice);
    const res = await call(app, "order/whoami/", { cookie: cookie!, origin: origin! });
    assert.equal(res.status, 403);
    assert.equal(res.body.error, "csrf_failed");
    assert.match(String(res.body.message), /missing/);
  });

  it("403 when the token is wrong, or belongs to another session", async () => {
    const app = makeApp();
    const auth = await browser(app, alice);
    const wrong = await call(app, "order/whoami/", { ...auth, csrf: `${auth.csrf}x` });
    assert.equal(wrong.status, 403);
    assert.match(String(wrong.body.message), /incorrect/);
    const other = await browser(app, bob);
    const crossed = await call(app, "order/whoami/", { ...auth, csrf: other.csrf! });
    assert.equal(crossed.status, 403);
  });

  it("a planted csrftoken cookie does not override the session's token", async () => {
    const app = makeApp();
    const auth = await browser(app, alice);
    const cookie = `${auth.cookie!.replace(/csrftoken=[^;]+/, "csrftoken=planted")}`;
    const res = await call(app, "order/whoami/", { ...auth, cookie, csrf: "planted" });
    assert.equal(res.status, 403);
  });

  it("403 for a cross-origin Origin even with the right token", async () => {
    const app = makeApp();
    const auth = await browser(app, alice);
    for (const origin of [
      "https://evil.example",
      "http://localhost:8080",
      "https://localhost.evil.example",
      "null",
    ]) {
      const res = await call(app, "order/whoami/", { ...auth, origin });
      assert.equal(res.status, 403, origin);
      assert.match(String(res.body.message), /Origin checking failed/, origin);
    }
  });

  it("the https origin of the app's host passes over plain http, as on the live transports", async () => {
    // A TLS-terminating proxy djust was not told about: the page was https, the app sees http.
    const app = makeApp();
    const res = await call(app, "order/whoami/", {
      ...(await browser(app, alice)),
      origin: "https://localhost",
    });
    assert.equal(res.status, 200);
  });

  it("behind a trusted TLS proxy, X-Forwarded-Proto makes the call https", async () => {
    const app = makeApp({ trustedProxyCount: 1 });
    const auth = await browser(app, alice);
    const behind = (origin: string | null, headers: Record<string, string> = {}) =>
      call(app, "order/whoami/", {
        ...auth,
        origin,
        headers: { "x-forwarded-proto": "https", ...headers },
      });
    assert.equal((await behind("https://localhost")).status, 200);
    // An http page of the host (a network attacker's) may not call the https site.
    const plain = await behind("http://localhost");
    assert.equal(plain.status, 403);
    assert.equal(plain.body.error, "csrf_failed");
    assert.equal(
      plain.body.message,
      "CSRF Failed: Origin checking failed - http://localhost does not match any trusted origins.",
    );
    // Over https a missing Origin needs a same-origin Referer.
    const bare = await behind(null);
    assert.equal(bare.status, 403);
    assert.equal(bare.body.message, "CSRF Failed: Referer checking failed - no Referer.");
    assert.equal((await behind(null, { referer: "https://localhost/orders/" })).status, 200);
  });

  it("X-Forwarded-Proto is ignored without trustedProxyCount", async () => {
    const app = makeApp();
    const auth = await browser(app, alice);
    const res = await call(app, "order/whoami/", {
      ...auth,
      origin: null,
      headers: { "x-forwarded-proto": "https" },
    });
    assert.equal(res.status, 200);
  });

  it("over https, a request without Origin needs a same-origin Referer", async () => {
    const app = makeApp();
    const { cookie, csrf } = await browser(app, alice);
    const send = (referer?: string) => {
      const headers = new Headers({ cookie: cookie!, "x-csrftoken": csrf! });
      if (referer) headers.set("referer", referer);
      return app.fetch(
        new Request("https://shop.example/djust/api/order/whoami/", { method: "POST", headers }),
      );
    };
    assert.equal((await send()).status, 403);
    assert.equal((await send("https://evil.example/page")).status, 403);
    assert.equal((await send("https://shop.example/orders/")).status, 200);
  });

  it("CSRF is not checked for token auth on a csrfExempt view (the seed's TokenAuth)", async () => {
    const app = makeApp();
    const res = await call(app, "token-orders/refund/", {
      headers: { authorization: "Bearer tok-alice" },
      origin: "https://elsewhere.example",
      json: { order_id: 9 },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.result, { order_id: 9, refunded: true });
  });

  it("token auth: 401 without a token, 403 for a token user lacking the permission", async () => {
    const app = makeApp();
    const none = await call(app, "token-orders/refund/", { json: { order_id: 9 } });
    assert.equal(none.status, 401);
    const bad = await call(app, "token-orders/refund/", {
      headers: { authorization: "Bearer nope" },
      json: { order_id: 9 },
    });
    assert.equal(bad.status, 401);
    const denied = await call(app, "token-orders/refund/", {
      headers: { authorization: "Bearer tok-bob" },
      json: { order_id: 9 },
    });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error, "permission_denied");
  });

  it("session cookies do not authenticate a view whose only auth class is TokenAuth", async () => {
    const app = makeApp();
    const res = await call(app, "token-orders/refund/", {
      ...(await browser(app, alice)),
      json: { order_id: 1 },
    });
    assert.equal(res.status, 401);
  });

  it("the winning class decides CSRF: exempt token class first, session fallback still checked", async () => {
    const app = makeApp();
    const token = await call(app, "mixed-auth/whoami/", {
      headers: { authorization: "Bearer tok-bob" },
    });
    assert.equal(token.status, 200);
    assert.equal(token.body.result, 2);
    const { cookie } = await browser(app, alice);
    const session = await call(app, "mixed-auth/whoami/", { cookie: cookie! });
    assert.equal(session.status, 403);
    const sessionOk = await call(app, "mixed-auth/whoami/", await browser(app, alice));
    assert.equal(sessionOk.body.result, 1);
  });

  it("AllowAny is CSRF-exempt and anonymous even when a session cookie is present", async () => {
    const app = makeApp();
    const { cookie } = await browser(app, alice);
    const res = await call(app, "public/guarded/", {
      cookie: cookie!,
      origin: "https://evil.example",
    });
    // Anonymous (401), never alice: a CSRF-exempt class must not act as the cookie's user.
    assert.equal(res.status, 401);
  });
});

/** Reads what the page stored in the session: a cart id. */
class CartView extends LiveView {
  static override apiAuthClasses = [ExemptTokenAuth, SessionAuth, AllowAny];

  @eventHandler({ exposeApi: true })
  cart() {
    return { cart: this.session.cartId ?? null, user: this.user?.id ?? null };
  }
}

describe("HTTP API: the session of CSRF-exempt calls", () => {
  /**
   * An app and a browser of `user` (`null`: an anonymous visitor) whose session holds the
   * page's data, `{ cartId: 7 }`.
   */
  async function cartApp(user: User | null) {
    const sessionStore = new MemorySessionStore();
    const app = makeApp({ sessionStore });
    app.register(CartView);
    const auth = await browser(app, user ?? alice);
    const id = decodeURIComponent(/djust_session=([^;]+)/.exec(auth.cookie!)![1]!).split(".")[0]!;
    const record = sessionStore.get(id)!;
    const userId = user ? record.userId : null;
    sessionStore.set(id, { ...record, userId, data: { cartId: 7 } }, 60);
    return { app, auth };
  }

  it("a CSRF-checked call sees the session's data", async () => {
    const { app, auth } = await cartApp(alice);
    const res = await call(app, "cart/cart/", auth);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.result, { cart: 7, user: alice.id });
  });

  it("AllowAny with another site's cookie-carrying call gets no session data", async () => {
    const { app, auth } = await cartApp(null);
    const res = await call(app, "cart/cart/", {
      cookie: auth.cookie!,
      origin: "https://evil.example",
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.result, { cart: null, user: null });
  });

  it("an exempt token class winning over the cookie gets no session data", async () => {
    const { app, auth } = await cartApp(alice);
    const res = await call(app, "cart/cart/", {
      cookie: auth.cookie!,
      headers: { authorization: "Bearer tok-alice" },
      origin: "https://evil.example",
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.result, { cart: null, user: alice.id });
  });
});

describe("HTTP API: rate-limit callers", () => {
  it("logged-in users are limited per user across sessions", async () => {
    const app = makeApp();
    const s1 = await browser(app, alice);
    const s2 = await browser(app, alice);
    const statuses = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await call(app, "order/burst/", i % 2 ? s1 : s2)).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
    assert.equal((await call(app, "order/burst/", await browser(app, bob))).status, 200);
  });

  it("anonymous callers without a session share ip:unknown under app.fetch", async () => {
    const app = makeApp();
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(app, "public/limited/")).status);
    assert.deepEqual(statuses, [200, 200, 429]);
  });

  it("anonymous callers with a session are limited per session", async () => {
    const app = makeApp();
    const a = await app.sessions.login({ id: 100 });
    const b = await app.sessions.login({ id: 101 });
    // AllowAny ignores the session's user, so these callers are anonymous with distinct sessions.
    const statuses = [];
    for (const login of [a, a, a, b]) {
      statuses.push((await call(app, "public/limited/", { cookie: login.cookie })).status);
    }
    assert.deepEqual(statuses, [200, 200, 429, 200]);
  });

  it("anonymous callers are keyed by their IP before their session", async () => {
    // A fresh anonymous session per call, as a client dropping its cookie gets: one bucket.
    const app = makeApp({ trustedProxyCount: 1 });
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const { cookie } = await app.sessions.login({ id: 200 + i });
      const headers = { "x-forwarded-for": "7.7.7.7" };
      statuses.push((await call(app, "public/limited/", { cookie, headers })).status);
    }
    assert.deepEqual(statuses, [200, 200, 429]);
  });

  it("X-Forwarded-For is ignored without trustedProxyCount", async () => {
    const app = makeApp();
    const statuses = [];
    for (const ip of ["1.1.1.1", "2.2.2.2", "3.3.3.3"]) {
      statuses.push(
        (await call(app, "public/limited/", { headers: { "x-forwarded-for": ip } })).status,
      );
    }
    assert.deepEqual(statuses, [200, 200, 429]);
  });

  it("with trustedProxyCount: 1 each client IP has its own bucket", async () => {
    const app = makeApp({ trustedProxyCount: 1 });
    const statuses = [];
    for (const xff of ["6.6.6.6, 1.1.1.1", "7.7.7.7, 1.1.1.1", "1.1.1.1", "2.2.2.2"]) {
      statuses.push(
        (await call(app, "public/limited/", { headers: { "x-forwarded-for": xff } })).status,
      );
    }
    assert.deepEqual(statuses, [200, 200, 429, 200]);
  });
});

describe("HTTP API over a real socket", () => {
  it("serves calls on app.listen(0), using the socket address as the caller", async () => {
    const app = makeApp();
    const server = await app.listen(0, "127.0.0.1");
    try {
      const post = (path: string, init: RequestInit = {}) =>
        fetch(`${server.url}/djust/api/${path}`, { method: "POST", ...init });
      const ok = await post("public/ping/");
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), { result: "pong", assigns: {} });

      const { cookie, csrfToken } = await app.sessions.login(alice);
      const res = await post("order/update_status/", {
        headers: {
          cookie,
          "x-csrftoken": csrfToken,
          origin: server.url,
          "content-type": "application/json",
        },
        body: JSON.stringify({ order_id: 5, status: "shipped" }),
      });
      assert.equal(res.status, 200);
      assert.deepEqual((await res.json()).result, { order_id: 5, status: "shipped" });

      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await post("public/limited/")).status);
      assert.deepEqual(statuses, [200, 200, 429]);

      const big = await post("public/ping/", {
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ pad: "x".repeat(2 * 1024 * 1024) }),
      });
      assert.equal(big.status, 413);
      assert.equal((await big.json()).error, "payload_too_large");
    } finally {
      await server.close();
    }
  });
});

describe("HTTP API over node:http: headers read from Node's parsed headers", () => {
  /** A raw node:http POST, so headers can repeat and the body can be chunked. */
  function rawPost(
    url: string,
    headers: Record<string, string | string[]>,
    body: string,
    chunked = false,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(url, { method: "POST" }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(text) as Record<string, unknown>,
          }),
        );
      });
      req.on("error", reject);
      for (const [name, value] of Object.entries(headers)) req.setHeader(name, value);
      if (!chunked) req.setHeader("content-length", Buffer.byteLength(body));
      req.end(body);
    });
  }

  it("repeated Cookie lines, content-type case and parameters, chunked bodies, 415", async () => {
    const app = makeApp();
    const server = await app.listen(0, "127.0.0.1");
    try {
      const url = `${server.url}/djust/api/order/update_status/`;
      const { cookie, csrfToken } = await app.sessions.login(alice);
      const [session = "", csrf = ""] = cookie.split("; ");
      const body = JSON.stringify({ order_id: 7, status: "packed" });
      const base = { "x-csrftoken": csrfToken, origin: server.url };

      // Node joins the two Cookie lines with "; ": the session is still found.
      const split = await rawPost(
        url,
        { ...base, cookie: [csrf, session], "content-type": "Application/JSON; charset=UTF-8" },
        body,
      );
      assert.equal(split.status, 200, JSON.stringify(split.body));
      assert.deepEqual(split.body.result, { order_id: 7, status: "packed" });

      const chunked = await rawPost(
        url,
        { ...base, cookie, "content-type": "application/json" },
        body,
        true,
      );
      assert.equal(chunked.status, 200, JSON.stringify(chunked.body));

      const text = await rawPost(url, { ...base, cookie, "content-type": "text/plain" }, body);
      assert.equal(text.status, 415);
      assert.deepEqual(text.body, {
        error: "unsupported_media_type",
        message: 'Request bodies must be JSON (Content-Type: application/json), got "text/plain".',
      });

      const anonymous = await rawPost(url, { "content-type": "application/json" }, body);
      assert.equal(anonymous.status, 401);
    } finally {
      await server.close();
    }
  });
});

describe("HTTP API: failing auth classes", () => {
  it("an auth class that throws → 500, logged, never a pass", async () => {
    const { LiveView, eventHandler } = await import("../../src/index.js");
    const { createApp } = await import("../../src/server/index.js");
    const { memoryLogger } = await import("./fixtures.js");
    class Broken {
      authenticate(): never {
        throw new Error("token store unreachable");
      }
    }
    class GuardedView extends LiveView {
      static override apiAuthClasses = [Broken];
      @eventHandler({ exposeApi: true })
      ping() {
        return "pong";
      }
    }
    const logger = memoryLogger();
    const app = createApp({ secretKey: "s", logger }).register(GuardedView);
    const res = await call(app, "guarded/ping/");
    assert.equal(res.status, 500);
    assert.doesNotMatch(JSON.stringify(res.body), /unreachable/);
    assert.ok(logger.lines.some((l) => l.level === "error" && /unreachable/.test(l.message)));
  });
});
