// Sessions and CSRF on custom routes (app.hono): login/logout rotation, Django-style checks.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createApp, type DjustApp } from "../../src/server/index.js";
import { csrfExempt, login, logout } from "../../src/auth/http.js";
import { parseCookies } from "../../src/auth/cookies.js";
import { getCookie } from "../../src/auth/cookies.js";

const URL_BASE = "http://localhost";

function setup(): DjustApp {
  const app = createApp({ secretKey: "s", loadUser: (id) => ({ id: Number(id) }) });
  app.hono.post(
    "/login",
    csrfExempt(async (c) => {
      const { csrfToken } = await login(c, { id: 5 });
      return c.json({ csrfToken });
    }),
  );
  app.hono.post("/logout", async (c) => c.json(await logout(c)));
  app.hono.post("/transfer", async (c) => {
    const form = await c.req.parseBody().catch(() => ({}));
    return c.json({ ok: true, form });
  });
  app.hono.get("/transfer", (c) => c.text("safe"));
  app.hono.on(["PUT", "DELETE", "PATCH"], "/transfer", (c) => c.text("changed"));
  app.hono.post(
    "/webhook",
    csrfExempt((c) => c.text("hooked")),
  );
  app.hono.get("/me", async (c) =>
    c.text(getCookie(c.req.raw, "djust_session") ? "has session" : "none"),
  );
  return app;
}

function cookiesOf(response: Response): Map<string, string> {
  const jar = new Map<string, string>();
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(";");
    const [name, value] = [pair!.slice(0, pair!.indexOf("=")), pair!.slice(pair!.indexOf("=") + 1)];
    jar.set(name, decodeURIComponent(value));
  }
  return jar;
}

function cookieHeader(jar: Map<string, string>): string {
  return [...jar].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("; ");
}

describe("login/logout on custom routes", () => {
  it("login sets a signed HttpOnly session cookie and a readable csrftoken, then the API knows the user", async () => {
    const app = setup();
    const res = await app.fetch(new Request(`${URL_BASE}/login`, { method: "POST" }));
    assert.equal(res.status, 200);
    const { csrfToken } = (await res.json()) as { csrfToken: string };
    const lines = res.headers.getSetCookie();
    const session = lines.find((l) => l.startsWith("djust_session="))!;
    assert.match(session, /HttpOnly/);
    assert.match(session, /SameSite=Lax/);
    const csrf = lines.find((l) => l.startsWith("csrftoken="))!;
    assert.doesNotMatch(csrf, /HttpOnly/);
    const jar = cookiesOf(res);
    assert.equal(jar.get("csrftoken"), csrfToken);
    const sessionRecord = await app.context.sessions.load(jar.get("djust_session"));
    assert.equal(sessionRecord?.record.userId, 5);
  });

  it("login rotates the session id and CSRF token (no fixation)", async () => {
    const app = setup();
    const first = cookiesOf(await app.fetch(new Request(`${URL_BASE}/login`, { method: "POST" })));
    const second = cookiesOf(
      await app.fetch(
        new Request(`${URL_BASE}/login`, {
          method: "POST",
          headers: { cookie: cookieHeader(first) },
        }),
      ),
    );
    assert.notEqual(second.get("djust_session"), first.get("djust_session"));
    assert.notEqual(second.get("csrftoken"), first.get("csrftoken"));
    assert.equal(
      await app.context.sessions.load(first.get("djust_session")),
      null,
      "old session is gone",
    );
  });

  it("logout needs CSRF, then destroys the session and starts an anonymous one", async () => {
    const app = setup();
    const jar = cookiesOf(await app.fetch(new Request(`${URL_BASE}/login`, { method: "POST" })));
    const refused = await app.fetch(
      new Request(`${URL_BASE}/logout`, { method: "POST", headers: { cookie: cookieHeader(jar) } }),
    );
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as { error: string }).error, "csrf_failed");
    const res = await app.fetch(
      new Request(`${URL_BASE}/logout`, {
        method: "POST",
        headers: { cookie: cookieHeader(jar), "x-csrftoken": jar.get("csrftoken")! },
      }),
    );
    assert.equal(res.status, 200);
    const next = cookiesOf(res);
    assert.equal(await app.context.sessions.load(jar.get("djust_session")), null);
    const fresh = await app.context.sessions.load(next.get("djust_session"));
    assert.equal(fresh?.record.userId, null);
    assert.notEqual(next.get("csrftoken"), jar.get("csrftoken"));
  });

  it("login() outside a djust app throws a clear error", async () => {
    const { Hono } = await import("hono");
    const hono = new Hono();
    hono.post("/x", async (c) => {
      await login(c, { id: 1 });
      return c.text("no");
    });
    hono.onError((error, c) => c.text(error.message, 500));
    const res = await hono.fetch(new Request(`${URL_BASE}/x`, { method: "POST" }));
    assert.match(await res.text(), /only inside routes of a djust app/);
  });
});

describe("CSRF on custom routes", () => {
  it("unsafe methods need the token; safe methods do not", async () => {
    const app = setup();
    const jar = cookiesOf(await app.fetch(new Request(`${URL_BASE}/login`, { method: "POST" })));
    const cookie = cookieHeader(jar);
    assert.equal(
      (await app.fetch(new Request(`${URL_BASE}/transfer`, { headers: { cookie } }))).status,
      200,
    );
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      const res = await app.fetch(
        new Request(`${URL_BASE}/transfer`, { method, headers: { cookie } }),
      );
      assert.equal(res.status, 403, method);
    }
    // A path no route serves is a 404, not a CSRF failure (an old API prefix, a typo).
    const missing = await app.fetch(
      new Request(`${URL_BASE}/djust/api/old/handler/`, { method: "POST", headers: { cookie } }),
    );
    assert.equal(missing.status, 404);
    const ok = await app.fetch(
      new Request(`${URL_BASE}/transfer`, {
        method: "POST",
        headers: { cookie, "x-csrftoken": jar.get("csrftoken")! },
      }),
    );
    assert.equal(ok.status, 200);
  });

  it("accepts csrfmiddlewaretoken in a form body, and the route can still read the form", async () => {
    const app = setup();
    const jar = cookiesOf(await app.fetch(new Request(`${URL_BASE}/login`, { method: "POST" })));
    const body = new URLSearchParams({ csrfmiddlewaretoken: jar.get("csrftoken")!, amount: "10" });
    const res = await app.fetch(
      new Request(`${URL_BASE}/transfer`, {
        method: "POST",
        headers: { cookie: cookieHeader(jar), "content-type": "application/x-www-form-urlencoded" },
        body,
      }),
    );
    assert.equal(res.status, 200);
    const json = (await res.json()) as { form: Record<string, string> };
    assert.equal(json.form.amount, "10");
    const bad = new URLSearchParams({ csrfmiddlewaretoken: "wrong" });
    const refused = await app.fetch(
      new Request(`${URL_BASE}/transfer`, {
        method: "POST",
        headers: { cookie: cookieHeader(jar), "content-type": "application/x-www-form-urlencoded" },
        body: bad,
      }),
    );
    assert.equal(refused.status, 403);
  });

  it("cross-origin posts are refused even with the token", async () => {
    const app = setup();
    const jar = cookiesOf(await app.fetch(new Request(`${URL_BASE}/login`, { method: "POST" })));
    const res = await app.fetch(
      new Request(`${URL_BASE}/transfer`, {
        method: "POST",
        headers: {
          cookie: cookieHeader(jar),
          "x-csrftoken": jar.get("csrftoken")!,
          origin: "https://evil.test",
        },
      }),
    );
    assert.equal(res.status, 403);
  });

  it("behind a trusted TLS proxy the public https origin passes, plain http is refused", async () => {
    const app = createApp({ secretKey: "s", trustedProxyCount: 1 });
    app.hono.post("/transfer", (c) => c.text("done"));
    const { cookie, csrfToken } = await app.sessions.login({ id: 5 });
    const post = (origin: string) =>
      app.fetch(
        new Request(`${URL_BASE}/transfer`, {
          method: "POST",
          headers: { cookie, "x-csrftoken": csrfToken, origin, "x-forwarded-proto": "https" },
        }),
      );
    assert.equal((await post("https://localhost")).status, 200);
    const refused = await post("http://localhost");
    assert.equal(refused.status, 403);
    assert.deepEqual(await refused.json(), {
      error: "csrf_failed",
      message:
        "CSRF Failed: Origin checking failed - http://localhost does not match any trusted origins.",
    });
  });

  it("a custom route under the live or API folder is checked; what the API serves is its own", async () => {
    const app = createApp({ secretKey: "s" });
    let ran = 0;
    app.hono.post("*", (c) => {
      ran++;
      return c.text("changed");
    });
    const { cookie } = await app.sessions.login({ id: 5 });
    const post = (path: string) =>
      app.fetch(new Request(`${URL_BASE}${path}`, { method: "POST", headers: { cookie } }));
    // Hono routes `/djust/%61pi/…` as `/djust/api/…`, which the API (by its raw path) does not serve.
    for (const path of ["/djust/live/anything", "/djust/%61pi/anything", "/djust/live/longpollx"]) {
      const res = await post(path);
      assert.equal(res.status, 403, path);
      assert.deepEqual(await res.json(), {
        error: "csrf_failed",
        message: "CSRF Failed: CSRF token missing.",
      });
    }
    assert.equal(ran, 0);
    // The API answers its own paths, with its own checks: here, no view of that name.
    const api = await post("/djust/api/nope/handler/");
    assert.equal(api.status, 404);
    assert.equal(((await api.json()) as { error: string }).error, "not_found");
    assert.equal(ran, 0);
  });

  it("a look-alike of an API path that no route serves is a 404, not a CSRF failure", async () => {
    const app = createApp({ secretKey: "s" });
    const { cookie } = await app.sessions.login({ id: 5 });
    const res = await app.fetch(
      new Request(`${URL_BASE}/djust/%61pi/anything`, { method: "POST", headers: { cookie } }),
    );
    assert.equal(res.status, 404);
  });

  it("csrfExempt(handler) skips the check", async () => {
    const app = setup();
    const res = await app.fetch(
      new Request(`${URL_BASE}/webhook`, {
        method: "POST",
        headers: { origin: "https://stripe.test" },
      }),
    );
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "hooked");
  });

  it("app.sessions.login(user) returns a Cookie header and token the API accepts", async () => {
    const app = setup();
    const { cookie, csrfToken } = await app.sessions.login({ id: 9 });
    const cookies = parseCookies(cookie);
    assert.ok(cookies.get("djust_session"));
    assert.equal(cookies.get("csrftoken"), csrfToken);
    const res = await app.fetch(
      new Request(`${URL_BASE}/transfer`, {
        method: "POST",
        headers: { cookie, "x-csrftoken": csrfToken },
      }),
    );
    assert.equal(res.status, 200);
  });
});
