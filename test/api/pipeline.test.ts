// The seed's error table and DESIGN.md's pipeline order, one request at a time.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { LiveView, ValidationError, eventHandler, fieldValidator } from "../../src/index.js";
import { AllowAny } from "../../src/auth/classes.js";
import { ORIGIN, USERS, apiRequest, browser, call, makeApp, type CallOptions } from "./fixtures.js";

const alice = USERS.alice!;
const bob = USERS.bob!;

describe("HTTP API: the seed's error table", () => {
  it("200: result and only the changed public state", async () => {
    const app = makeApp();
    const res = await call(app, "order/update_status/", {
      ...(await browser(app, alice)),
      json: { order_id: 42, status: "shipped" },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {
      result: { order_id: 42, status: "shipped" },
      assigns: { lastStatus: "shipped", shipped: [42] },
    });
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  });

  it("200 with assigns {} when the handler changes nothing", async () => {
    const app = makeApp();
    const res = await call(app, "public/ping/");
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { result: "pong", assigns: {} });
  });

  it("400 validation_error with the seed's details shape", async () => {
    const app = makeApp();
    const res = await call(app, "order/update_status/", {
      ...(await browser(app, alice)),
      json: { status: "shipped" },
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.error, "validation_error");
    assert.equal(typeof res.body.message, "string");
    assert.deepEqual(res.body.details, { order_id: ["This field is required."] });
  });

  it("401 unauthenticated without a session", async () => {
    const app = makeApp();
    const res = await call(app, "order/update_status/", { json: { order_id: 1, status: "x" } });
    assert.equal(res.status, 401);
    assert.equal(res.body.error, "unauthenticated");
    assert.equal(typeof res.body.message, "string");
  });

  it("401 with a tampered session cookie", async () => {
    const app = makeApp();
    const auth = await browser(app, alice);
    const cookie = auth.cookie!.replace(/djust_session=([^;]+)/, "djust_session=$1x");
    const res = await call(app, "order/update_status/", { ...auth, cookie, json: {} });
    assert.equal(res.status, 401);
  });

  it("403 permission_denied for a user lacking the permission", async () => {
    const app = makeApp();
    const res = await call(app, "order/refund/", {
      ...(await browser(app, bob)),
      json: { order_id: 1 },
    });
    assert.equal(res.status, 403);
    assert.equal(res.body.error, "permission_denied");
  });

  it("404 not_found for an unknown view, an unknown handler and a non-exposed handler", async () => {
    const app = makeApp();
    const auth = await browser(app, alice);
    for (const path of [
      "nope/ping/",
      "order/nope/",
      "order/internal/",
      "order/mount/",
      "order/constructor/",
    ]) {
      const res = await call(app, path, { ...auth, json: {} });
      assert.equal(res.status, 404, path);
      assert.equal(res.body.error, "not_found", path);
    }
  });

  it("404 not_found, on GET and POST, at a path named like an inherited member", async () => {
    const app = makeApp();
    for (const name of ["constructor", "toString", "valueOf", "__proto__", "hasOwnProperty"]) {
      for (const method of ["GET", "POST"]) {
        const res = await call(app, name, { method });
        assert.equal(res.status, 404, `${method} ${name}`);
        assert.deepEqual(res.body, {
          error: "not_found",
          message: `No API endpoint at /djust/api/${name}.`,
        });
      }
    }
  });

  it("429 rate_limited with Retry-After after the burst", async () => {
    const app = makeApp();
    const auth = await browser(app, alice);
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 7; i++) {
      last = await call(app, "order/burst/", auth);
      statuses.push(last.status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
    assert.equal(last!.body.error, "rate_limited");
    const retry = Number(last!.headers.get("retry-after"));
    assert.ok(Number.isInteger(retry) && retry >= 1, `Retry-After ${retry}`);
  });

  it("500 handler_error: no traceback unless debug, and the error is logged", async () => {
    const app = makeApp();
    const res = await call(app, "order/boom/", await browser(app, alice));
    assert.equal(res.status, 500);
    assert.equal(res.body.error, "handler_error");
    assert.equal(res.body.details, undefined);
    assert.doesNotMatch(JSON.stringify(res.body), /database exploded/);
    assert.ok(
      app.logger.lines.some((l) => l.level === "error" && /database exploded/.test(l.message)),
    );

    const debug = makeApp({ debug: true });
    const dres = await call(debug, "order/boom/", await browser(debug, alice));
    assert.equal(dres.status, 500);
    const details = dres.body.details as { traceback: string };
    assert.match(details.traceback, /database exploded/);
    assert.match(details.traceback, /at /);
  });
});

describe("HTTP API: more error kinds", () => {
  it("OPTIONS → 204 Allow: POST, even for unknown views and without auth", async () => {
    const app = makeApp();
    for (const path of ["order/update_status/", "nope/nope/", "order/update_status"]) {
      const res = await app.fetch(
        new Request(`http://localhost/djust/api/${path}`, { method: "OPTIONS" }),
      );
      assert.equal(res.status, 204, path);
      assert.equal(res.headers.get("allow"), "POST");
      assert.equal(await res.text(), "");
    }
  });

  it("other methods → 405 method_not_allowed with Allow: POST, before view lookup", async () => {
    const app = makeApp();
    for (const method of ["GET", "PUT", "DELETE", "PATCH"]) {
      for (const path of ["order/update_status/", "nope/ping/"]) {
        const res = await call(app, path, { method });
        assert.equal(res.status, 405, `${method} ${path}`);
        assert.equal(res.headers.get("allow"), "POST");
        assert.equal(res.body.error, "method_not_allowed");
      }
    }
  });

  it("HEAD → 405 with Allow: POST", async () => {
    const app = makeApp();
    const res = await app.fetch(
      new Request("http://localhost/djust/api/order/ping/", { method: "HEAD" }),
    );
    assert.equal(res.status, 405);
    assert.equal(res.headers.get("allow"), "POST");
  });

  it("paths work with and without the trailing slash", async () => {
    const app = makeApp();
    assert.equal((await call(app, "public/ping")).status, 200);
    assert.equal((await call(app, "public/ping/")).status, 200);
    assert.equal((await call(app, "public/ping//")).status, 404);
    assert.equal((await call(app, "public/ping/extra/")).status, 404);
  });

  it("500 mount_failed, with a traceback only in debug", async () => {
    const app = makeApp();
    const res = await call(app, "broken/ping/");
    assert.equal(res.status, 500);
    assert.equal(res.body.error, "mount_failed");
    assert.equal(res.body.details, undefined);
    const debug = makeApp({ debug: true });
    const dres = await call(debug, "broken/ping/");
    assert.match((dres.body.details as { traceback: string }).traceback, /metrics service/);
  });

  it("a ValidationError thrown by the handler → 400 with the field", async () => {
    const app = makeApp();
    const res = await call(app, "order/late/", {
      ...(await browser(app, alice)),
      json: { order_id: 3 },
    });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.details, { order_id: ["Order 3 can no longer be changed."] });
  });

  it("a PermissionDenied thrown by the handler → 403 permission_denied", async () => {
    const app = makeApp();
    const res = await call(app, "order/deny/", await browser(app, alice));
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, { error: "permission_denied", message: "Orders are frozen." });
  });
});

describe("HTTP API: validation details", () => {
  it("nested fields use dotted paths", async () => {
    const app = makeApp();
    const res = await call(app, "order/add_items/", {
      ...(await browser(app, alice)),
      json: { items: [{ sku: "a", qty: 0 }, { qty: 1 }] },
    });
    assert.equal(res.status, 400);
    const details = res.body.details as Record<string, string[]>;
    assert.deepEqual(Object.keys(details).sort(), ["items.0.qty", "items.1.sku"]);
    assert.deepEqual(details["items.1.sku"], ["This field is required."]);
  });

  it("JSON types are not coerced on the HTTP path", async () => {
    const app = makeApp();
    const res = await call(app, "order/update_status/", {
      ...(await browser(app, alice)),
      json: { order_id: "42", status: 5 },
    });
    assert.equal(res.status, 400);
    const details = res.body.details as Record<string, string[]>;
    assert.deepEqual(Object.keys(details).sort(), ["order_id", "status"]);
  });

  it("unknown keys are ignored, unless the schema is strict", async () => {
    const app = makeApp();
    const auth = await browser(app, alice);
    const ok = await call(app, "order/update_status/", {
      ...auth,
      json: { order_id: 1, status: "a", extra: true },
    });
    assert.equal(ok.status, 200);
    const strict = await call(app, "order/strict_params/", {
      ...auth,
      json: { a: 1, extra: true },
    });
    assert.equal(strict.status, 400);
    assert.deepEqual(strict.body.details, { extra: ["Unexpected field."] });
  });

  it("@fieldValidator messages land in details.<field>, and its transform reaches the handler", async () => {
    const app = makeApp();
    const auth = await browser(app, alice);
    const bad = await call(app, "order/set_status/", { ...auth, json: { status: "lost" } });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.details, { status: ["Lost is not a status."] });
    const good = await call(app, "order/set_status/", { ...auth, json: { status: "SHIPPED" } });
    assert.deepEqual(good.body, { result: null, assigns: { lastStatus: "shipped" } });
  });
});

/** Fields named like what a plain object inherits. */
class ProtoKeysView extends LiveView {
  static override apiAuthClasses = [AllowAny];

  @eventHandler({ exposeApi: true, params: z.object({ a: z.number() }).strict() })
  strict_params({ a }: { a: number }) {
    return a;
  }

  @eventHandler({ exposeApi: true, params: z.record(z.string(), z.number()) })
  scores(scores: Record<string, number>) {
    return scores;
  }

  @eventHandler({ exposeApi: true, params: z.object({ name: z.string() }) })
  rename({ name }: { name: string }) {
    return name;
  }

  @fieldValidator("name")
  checkName(value: unknown) {
    if (value === "x") {
      throw new ValidationError({ constructor: ["Taken."], ["__proto__"]: ["Also taken."] });
    }
    return value;
  }
}

describe("HTTP API: validation details at inherited names", () => {
  const app = makeApp().register(ProtoKeysView);

  it("an unknown key named toString on a strict schema is a 400", async () => {
    const res = await call(app, "proto-keys/strict_params/", { json: { a: 1, toString: 1 } });
    assert.equal(res.status, 400);
    assert.equal(res.body.error, "validation_error");
    assert.equal(res.body.message, "Invalid parameters.");
    assert.equal(JSON.stringify(res.body.details), '{"toString":["Unexpected field."]}');
  });

  it("an invalid value under a record key named valueOf is a 400", async () => {
    const res = await call(app, "proto-keys/scores/", { json: { valueOf: "high" } });
    assert.equal(res.status, 400);
    assert.equal(res.body.error, "validation_error");
    assert.deepEqual(Object.keys(res.body.details as object), ["valueOf"]);
  });

  it("a @fieldValidator's messages at constructor and __proto__ are a 400", async () => {
    const res = await call(app, "proto-keys/rename/", { json: { name: "x" } });
    assert.equal(res.status, 400);
    assert.equal(res.body.error, "validation_error");
    assert.equal(
      JSON.stringify(res.body.details),
      '{"constructor":["Taken."],"__proto__":["Also taken."]}',
    );
  });
});

/** Params whose JSON forms are strings: dates and bigints. */
class WireFormsView extends LiveView {
  static override apiAuthClasses = [AllowAny];

  @eventHandler({
    exposeApi: true,
    params: z.object({
      since: z.date(),
      total: z.bigint(),
      days: z.array(z.date()).optional(),
      until: z.date().nullable().optional(),
      when: z.union([z.date(), z.number()]).optional(),
      stamp: z.iso.datetime().optional(),
    }),
  })
  run(params: Record<string, unknown>) {
    const describe = (value: unknown): unknown =>
      value instanceof Date
        ? `Date ${value.toISOString()}`
        : typeof value === "bigint"
          ? `bigint ${value}`
          : Array.isArray(value)
            ? value.map(describe)
            : value;
    return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, describe(v)]));
  }
}

describe("HTTP API: dates and bigints in their JSON forms", () => {
  const app = makeApp().register(WireFormsView);

  it("a z.date() takes an RFC 3339 date-time string, a z.bigint() an integer string", async () => {
    const res = await call(app, "wire-forms/run/", {
      json: {
        since: "2025-01-01T10:00:00+02:00",
        total: "-12345678901234567890",
        days: ["2025-01-02T00:00:00Z", "2025-01-03T00:00:00.5Z"],
        until: null,
        when: "2025-01-04T00:00:00Z",
        stamp: "2025-01-05T00:00:00Z",
      },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.result, {
      since: "Date 2025-01-01T08:00:00.000Z",
      total: "bigint -12345678901234567890",
      days: ["Date 2025-01-02T00:00:00.000Z", "Date 2025-01-03T00:00:00.500Z"],
      until: null,
      when: "Date 2025-01-04T00:00:00.000Z",
      // A string schema keeps its string, date-time or not.
      stamp: "2025-01-05T00:00:00Z",
    });
  });

  it("other strings, and numbers, are still refused", async () => {
    for (const [body, field] of [
      [{ since: "2025-01-01", total: "1" }, "since"],
      [{ since: "yesterday", total: "1" }, "since"],
      [{ since: 1735689600000, total: "1" }, "since"],
      [{ since: "2025-01-01T00:00:00Z", total: "1.5" }, "total"],
      [{ since: "2025-01-01T00:00:00Z", total: 1 }, "total"],
    ] as const) {
      const res = await call(app, "wire-forms/run/", { json: body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error, "validation_error");
      assert.deepEqual(Object.keys(res.body.details as object), [field], JSON.stringify(body));
    }
  });
});

describe("HTTP API: pipeline order", () => {
  const noCsrf = (auth: CallOptions): CallOptions => ({
    cookie: auth.cookie!,
    origin: auth.origin!,
  });

  it("an unknown view is 404 even for an unauthenticated caller (view before auth)", async () => {
    const app = makeApp();
    const res = await call(app, "nope/x/", { body: "{bad" });
    assert.equal(res.status, 404);
  });

  it("an unauthenticated request to a missing handler gets 401, not 404", async () => {
    const app = makeApp();
    const res = await call(app, "order/missing/", { json: {} });
    assert.equal(res.status, 401);
  });

  it("an unauthenticated request with a malformed body gets 401, not 400", async () => {
    const app = makeApp();
    const res = await call(app, "order/update_status/", {
      body: "{not json",
      headers: { "content-type": "application/json" },
    });
    assert.equal(res.status, 401);
  });

  it("a CSRF-less request with a malformed body gets 403, not 400", async () => {
    const app = makeApp();
    const auth = noCsrf(await browser(app, alice));
    const res = await call(app, "order/update_status/", {
      ...auth,
      body: "{not json",
      headers: { "content-type": "application/json" },
    });
    assert.equal(res.status, 403);
    assert.equal(res.body.error, "csrf_failed");
  });

  it("a CSRF-less request to a missing handler gets 403, not 404", async () => {
    const app = makeApp();
    const res = await call(app, "order/missing/", {
      ...noCsrf(await browser(app, alice)),
      json: {},
    });
    assert.equal(res.status, 403);
    assert.equal(res.body.error, "csrf_failed");
  });

  it("a CSRF-less oversize or non-JSON body gets 403, not 413/415", async () => {
    const app = makeApp({ limits: { bodyBytes: 10 } });
    const auth = noCsrf(await browser(app, alice));
    const big = await call(app, "order/update_status/", {
      ...auth,
      json: { pad: "x".repeat(100) },
    });
    assert.equal(big.status, 403);
    const text = await call(app, "order/update_status/", {
      ...auth,
      body: "a=1",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assert.equal(text.status, 403);
  });

  it("a malformed body on a missing handler gets 400 invalid_json, not 404 (body before lookup)", async () => {
    const app = makeApp();
    const res = await call(app, "order/missing/", {
      ...(await browser(app, alice)),
      body: "[1,2",
      headers: { "content-type": "application/json" },
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.error, "invalid_json");
  });

  it("body problems come before mount: 415/400 for a view whose mount fails", async () => {
    const app = makeApp();
    const form = await call(app, "broken/ping/", {
      body: "a=1",
      headers: { "content-type": "text/plain" },
    });
    assert.equal(form.status, 415);
    const bad = await call(app, "broken/ping/", {
      body: "nope",
      headers: { "content-type": "application/json" },
    });
    assert.equal(bad.status, 400);
    const missing = await call(app, "broken/missing/", { json: {} });
    assert.equal(missing.status, 500, "mount runs before handler lookup");
  });

  it("view-level loginRequired → 401 for anonymous (AllowAny), before handler lookup", async () => {
    const app = makeApp();
    for (const path of ["login-only/ping/", "login-only/missing/"]) {
      const res = await call(app, path);
      assert.equal(res.status, 401, path);
      assert.equal(res.body.error, "unauthenticated");
    }
  });

  it("view-level permissionRequired → 403 for a user without it, before handler lookup", async () => {
    const app = makeApp();
    const auth = await browser(app, bob);
    for (const path of ["reports/ping/", "reports/missing/"]) {
      const res = await call(app, path, auth);
      assert.equal(res.status, 403, path);
      assert.equal(res.body.error, "permission_denied");
    }
    const ok = await call(app, "reports/ping/", await browser(app, alice));
    assert.equal(ok.status, 200);
  });

  it("handler permission: 401 for anonymous, 403 for a real user", async () => {
    const app = makeApp();
    const anon = await call(app, "public/guarded/");
    assert.equal(anon.status, 401);
    assert.equal(anon.body.error, "unauthenticated");
    const user = await call(app, "order/refund/", { ...(await browser(app, bob)), json: {} });
    assert.equal(user.status, 403, "permission before validation");
  });

  it("permission before rate limit: refused callers spend no tokens", async () => {
    const app = makeApp();
    const bobAuth = await browser(app, bob);
    for (let i = 0; i < 3; i++) {
      assert.equal((await call(app, "order/guarded_limited/", bobAuth)).status, 403);
    }
    const aliceAuth = await browser(app, alice);
    assert.equal((await call(app, "order/guarded_limited/", aliceAuth)).status, 200);
    assert.equal((await call(app, "order/guarded_limited/", aliceAuth)).status, 429);
  });

  it("rate limit before validation: an invalid call still spends a token, then 429 wins over 400", async () => {
    const app = makeApp();
    const auth = await browser(app, alice);
    assert.equal((await call(app, "order/limited_params/", { ...auth, json: {} })).status, 400);
    const second = await call(app, "order/limited_params/", { ...auth, json: {} });
    assert.equal(second.status, 429);
  });
});

describe("HTTP API: the view instance", () => {
  it("handlers see httpRequest, the user, transport http and injected services", async () => {
    const app = makeApp();
    const res = await call(app, "order/whoami/", await browser(app, alice));
    assert.deepEqual(res.body.result, {
      user: 1,
      http: true,
      method: "POST",
      transport: "http",
      path: "/djust/api/order/whoami/",
      origin: ORIGIN,
      services: [],
    });
  });

  it("liveSession services reach setup; function services are called per instance", async () => {
    const app = makeApp();
    const first = await call(app, "service/now/");
    const second = await call(app, "service/now/");
    assert.deepEqual(first.body.result, { now: "tick-1", db: "fake-db" });
    assert.deepEqual(second.body.result, { now: "tick-2", db: "fake-db" });
  });

  it("each call gets a fresh view (stateless)", async () => {
    const app = makeApp();
    const auth = await browser(app, alice);
    await call(app, "order/update_status/", { ...auth, json: { order_id: 1, status: "a" } });
    const res = await call(app, "order/update_status/", {
      ...auth,
      json: { order_id: 2, status: "a" },
    });
    assert.deepEqual(res.body.assigns, { lastStatus: "a", shipped: [2] });
  });
});

describe("HTTP API: asynchronous steps", () => {
  // Every step may return a promise; each async hop has its own error handling, so these
  // cover the paths the synchronous tests above do not take.
  const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

  async function appWith(options: {
    auth?: () => Promise<{ id: number } | null>;
    mount?: () => Promise<void>;
    serialize?: () => Promise<unknown>;
  }) {
    const { LiveView, eventHandler, apiResponse } = await import("../../src/index.js");
    const { AllowAny, createApp } = await import("../../src/server/index.js");
    const { memoryLogger } = await import("./fixtures.js");
    class SlowAuth {
      readonly csrfExempt = true;
      authenticate() {
        return options.auth ? options.auth() : Promise.resolve(null);
      }
    }
    class SlowView extends LiveView {
      static override apiAuthClasses = [SlowAuth, AllowAny];
      count = 0;
      override async mount() {
        await tick();
        await options.mount?.();
        this.count = 1;
      }
      @eventHandler({ exposeApi: true })
      async bump() {
        await tick();
        this.count += 1;
        return options.serialize
          ? apiResponse({ result: this.count, serialize: options.serialize, status: 202 })
          : this.count;
      }
    }
    const logger = memoryLogger();
    return { app: createApp({ secretKey: "s", logger }).register(SlowView), logger };
  }

  it("an async auth class, mount and handler: 200 with the changed state", async () => {
    const { app } = await appWith({ auth: async () => (await tick(), { id: 7 }) });
    const res = await call(app, "slow/bump/");
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { result: 2, assigns: { count: 2 } });
  });

  it("an async auth class answering null falls through to the next class", async () => {
    const { app } = await appWith({ auth: async () => (await tick(), null) });
    assert.equal((await call(app, "slow/bump/")).status, 200);
  });

  it("an async auth class that rejects → 500 'Authentication failed.', logged", async () => {
    const { app, logger } = await appWith({
      auth: async () => {
        await tick();
        throw new Error("token store down");
      },
    });
    const res = await call(app, "slow/bump/");
    assert.equal(res.status, 500);
    assert.deepEqual(res.body, { error: "handler_error", message: "Authentication failed." });
    assert.ok(logger.lines.some((l) => l.level === "error" && /token store down/.test(l.message)));
  });

  it("an async mount that rejects → 500 mount_failed", async () => {
    const { app } = await appWith({
      mount: async () => {
        throw new Error("cache offline");
      },
    });
    const res = await call(app, "slow/bump/");
    assert.equal(res.status, 500);
    assert.deepEqual(res.body, { error: "mount_failed", message: "SlowView failed to mount." });
  });

  it("an async serializer: its value and status; rejecting → 500 serialize_error", async () => {
    const ok = await appWith({ serialize: async () => (await tick(), { n: 2 }) });
    const res = await call(ok.app, "slow/bump/");
    assert.equal(res.status, 202);
    assert.deepEqual(res.body, { result: { n: 2 }, assigns: {} });

    const failing = await appWith({
      serialize: async () => {
        await tick();
        throw new Error("bad shape");
      },
    });
    const bad = await call(failing.app, "slow/bump/");
    assert.equal(bad.status, 500);
    assert.equal(bad.body.error, "serialize_error");
    // The exception's text stays out of the response without debug (DESIGN §12).
    assert.equal(bad.body.message, "Could not serialize the result.");
    assert.doesNotMatch(JSON.stringify(bad.body), /bad shape/);
  });
});

describe("HTTP API: where calls are answered", () => {
  it("app.fetch answers before app.hono middleware; app.hono alone still serves the API", async () => {
    const app = makeApp();
    const seen: string[] = [];
    app.hono.use("*", async (c, next) => {
      seen.push(new URL(c.req.url).pathname);
      await next();
    });
    app.hono.get("/custom/", (c) => c.text("custom"));

    const viaApp = await app.fetch(apiRequest("public/ping/"));
    assert.deepEqual(await viaApp.json(), { result: "pong", assigns: {} });
    assert.equal(await (await app.fetch(new Request(`${ORIGIN}/custom/`))).text(), "custom");
    assert.deepEqual(seen, ["/custom/"], "the API call went past the middleware");

    const viaHono = await app.hono.fetch(apiRequest("public/ping/"));
    assert.equal(viaHono.status, 200);
    assert.deepEqual(await viaHono.json(), { result: "pong", assigns: {} });
    const missing = await app.hono.fetch(apiRequest("nope/ping/"));
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), {
      error: "not_found",
      message: 'No API view "nope".',
    });
  });
});
