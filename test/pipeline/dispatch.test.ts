import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import {
  LiveView,
  PermissionDenied,
  ValidationError,
  apiResponse,
  eventHandler,
  fieldValidator,
  permissionRequired,
  rateLimit,
  type User,
} from "../../src/index.js";
import { MemoryRateLimitStore } from "../../src/ratelimit/bucket.js";
import { DEFAULT_LIMITS } from "../../src/server/context.js";
import { StateTracker } from "../../src/state/tracker.js";
import {
  dispatch,
  type DispatchContext,
  type DispatchOutcome,
} from "../../src/pipeline/dispatch.js";
import { ApiResponse } from "../../src/view/api-response.js";
import { CapturingLogger } from "../support/logger.js";

class OrderView extends LiveView {
  status = "new";
  log: string[] = [];
  _secret = "s3cret";
  seenRequest: string | null = null;

  override async mount() {
    this.status = "mounted";
  }

  _private() {
    return this._secret;
  }

  notAHandler() {
    return "nope";
  }

  @eventHandler({ params: z.object({ order_id: z.number().int(), status: z.string() }) })
  update_status({ order_id, status }: { order_id: number; status: string }) {
    this.status = status;
    this.log.push(`#${order_id}`);
    return { order_id, status };
  }

  @eventHandler({
    params: z.object({
      qty: z.number().int(),
      price: z.number().optional(),
      gift: z.boolean().default(false),
      tags: z.array(z.string()).default([]),
      ids: z.array(z.number().int()).default([]),
      note: z.string().default(""),
      maybe: z.number().nullable().default(null),
    }),
  })
  coerce(input: Record<string, unknown>) {
    return input;
  }

  @eventHandler({
    params: z.object({ items: z.array(z.object({ qty: z.number().int().min(1) })) }),
  })
  nested(input: unknown) {
    return input;
  }

  @eventHandler({ params: z.strictObject({ a: z.number() }) })
  strict(input: unknown) {
    return input;
  }

  @eventHandler({ params: "any" })
  anything(input: Record<string, unknown>) {
    return input;
  }

  @eventHandler
  noParams(...args: unknown[]) {
    return { argc: args.length };
  }

  @eventHandler
  @permissionRequired("orders.refund")
  refund() {
    this.status = "refunded";
    return { refunded: true };
  }

  @eventHandler
  @rateLimit({ rate: 1, burst: 2 })
  limited() {
    return "ok";
  }

  @eventHandler
  explode() {
    this.log.push("before");
    throw new Error("kaboom");
  }

  @eventHandler
  deny() {
    throw new PermissionDenied("Orders are locked.");
  }

  @eventHandler
  invalid() {
    throw new ValidationError("Too late to refund.", "order_id");
  }

  @eventHandler
  wrapped() {
    return apiResponse({ result: { raw: true }, status: 201 });
  }

  @eventHandler
  leak() {
    (this as unknown as Record<string, unknown>).client = new (class S3Client {})();
  }

  @eventHandler({ params: z.object({ status: z.string(), order_id: z.number().optional() }) })
  setStatus({ status }: { status: string }) {
    this.status = status;
  }

  @eventHandler
  whoCalls() {
    this.seenRequest = this.httpRequest ? this.httpRequest.url : null;
  }

  @fieldValidator("status")
  normaliseStatus(value: string) {
    if (value === "lost") throw new ValidationError("Unknown status.");
    return value.toUpperCase();
  }
}

const alice: User = { id: 1, permissions: new Set(["orders.refund"]) };
const bob: User = { id: 2, permissions: [] };

function setup(overrides: Partial<DispatchContext> = {}) {
  const view = new OrderView();
  const logger = new CapturingLogger();
  const tracker = new StateTracker({ strict: false, logger, view: "OrderView", warned: new Set() });
  tracker.reset(view);
  const ctx: DispatchContext = {
    transport: "websocket",
    user: null,
    caller: "ip:127.0.0.1",
    slug: "order",
    rateLimits: new MemoryRateLimitStore(),
    tracker,
    coerceStrings: true,
    inputDepth: DEFAULT_LIMITS.inputDepth,
    ...overrides,
  };
  return {
    view,
    ctx,
    logger,
    run: (name: string, raw: unknown = {}) => dispatch(view, name, raw, ctx),
  };
}

function failure(outcome: DispatchOutcome) {
  assert.equal(outcome.ok, false, "expected a refused dispatch");
  if (outcome.ok) throw new Error("unreachable");
  return outcome.error;
}

function success(outcome: DispatchOutcome) {
  if (!outcome.ok)
    assert.fail(`expected success, got ${outcome.error.kind}: ${outcome.error.message}`);
  return outcome;
}

describe("handler lookup: only registered handlers are callable", () => {
  for (const name of [
    "mount",
    "constructor",
    "toString",
    "_private",
    "notAHandler",
    "hasOwnProperty",
    "__proto__",
    "valueOf",
    "pushEvent",
    "render",
    "missing",
  ]) {
    it(`refuses "${name}" with not_found and runs nothing`, async () => {
      const { run, view } = setup();
      const error = failure(await run(name));
      assert.equal(error.kind, "not_found");
      assert.equal(error.status, 404);
      assert.equal(error.message, `OrderView has no handler "${name}".`);
      assert.equal(view.status, "new");
    });
  }

  it("refuses a handler that is not exposed when the transport requires exposure", async () => {
    const { run } = setup({ requireExposed: true, transport: "http" });
    const error = failure(await run("noParams"));
    assert.equal(error.kind, "not_found");
    assert.equal(error.message, "OrderView.noParams is not exposed over the HTTP API.");
  });
});

describe("permission check", () => {
  it("anonymous → 401 unauthenticated", async () => {
    const error = failure(await setup().run("refund"));
    assert.equal(error.kind, "unauthenticated");
    assert.equal(error.status, 401);
  });

  it("a user without the permission → 403 permission_denied", async () => {
    const error = failure(await setup({ user: bob }).run("refund"));
    assert.equal(error.kind, "permission_denied");
    assert.equal(error.status, 403);
    assert.equal(error.message, 'Permission "orders.refund" is required.');
  });

  it("a user with the permission runs the handler; hasPerm() wins over permissions", async () => {
    const ok = success(await setup({ user: alice }).run("refund"));
    assert.deepStrictEqual(ok.result, { refunded: true });
    assert.deepStrictEqual(ok.changed, ["status"]);
    const custom: User = { id: 3, permissions: ["orders.refund"], hasPerm: async () => false };
    assert.equal(failure(await setup({ user: custom }).run("refund")).kind, "permission_denied");
  });

  it("an anonymous-flagged user counts as anonymous", async () => {
    const anon: User = { id: null, isAnonymous: true };
    assert.equal(failure(await setup({ user: anon }).run("refund")).kind, "unauthenticated");
  });
});

describe("rate limit check", () => {
  it("spends one token per call: burst 2 allows two, then 429 with Retry-After seconds", async () => {
    const { run } = setup();
    success(await run("limited"));
    success(await run("limited"));
    const error = failure(await run("limited"));
    assert.equal(error.kind, "rate_limited");
    assert.equal(error.status, 429);
    assert.equal((error as unknown as { retryAfter: number }).retryAfter, 1);
  });

  it("buckets are per caller", async () => {
    const store = new MemoryRateLimitStore();
    const a = setup({ rateLimits: store, caller: "user:1" });
    const b = setup({ rateLimits: store, caller: "user:2" });
    success(await a.run("limited"));
    success(await a.run("limited"));
    failure(await a.run("limited"));
    success(await b.run("limited"));
  });

  it("runs after the permission check (a refused caller spends no token)", async () => {
    const store = new MemoryRateLimitStore();
    const { run } = setup({ rateLimits: store });
    failure(await run("refund"));
    assert.equal(store.size, 0);
  });
});

describe("coercion of string inputs (dj-value-*, forms)", () => {
  const cases: [
    string,
    Record<string, unknown>,
    Record<string, unknown> | { error: Record<string, string[]> },
  ][] = [
    ['"42" for an int', { qty: "42" }, { qty: 42 }],
    ['"-1" for an int', { qty: "-1" }, { qty: -1 }],
    ['" 7 " (whitespace) for an int', { qty: " 7 " }, { qty: 7 }],
    ['"3.5" for an int', { qty: "3.5" }, { error: { qty: ["Enter a whole number."] } }],
    ['"0x41" for an int', { qty: "0x41" }, { error: { qty: ["Enter a whole number."] } }],
    ['"1e3" for an int', { qty: "1e3" }, { error: { qty: ["Enter a whole number."] } }],
    ['"5 OR 1=1" for an int', { qty: "5 OR 1=1" }, { error: { qty: ["Enter a whole number."] } }],
    ['"" for a required int', { qty: "" }, { error: { qty: ["This field is required."] } }],
    ['"3.5" for a number', { qty: "1", price: "3.5" }, { qty: 1, price: 3.5 }],
    ['"1e3" for a number', { qty: "1", price: "1e3" }, { qty: 1, price: 1000 }],
    ['"0x41" for a number', { qty: "1", price: "0x41" }, { error: { price: ["Enter a number."] } }],
    [
      '"Infinity" for a number',
      { qty: "1", price: "Infinity" },
      { error: { price: ["Enter a number."] } },
    ],
    ['"" for an optional number', { qty: "1", price: "" }, { qty: 1 }],
    ['"" for a nullable number', { qty: "1", maybe: "" }, { qty: 1, maybe: null }],
    ['"on" for a boolean', { qty: "1", gift: "on" }, { qty: 1, gift: true }],
    ['"yes" for a boolean', { qty: "1", gift: "yes" }, { qty: 1, gift: true }],
    ['"1" for a boolean', { qty: "1", gift: "1" }, { qty: 1, gift: true }],
    ['"false" for a boolean', { qty: "1", gift: "false" }, { qty: 1, gift: false }],
    ['"off" for a boolean', { qty: "1", gift: "off" }, { qty: 1, gift: false }],
    ['"" for a boolean', { qty: "1", gift: "" }, { qty: 1, gift: false }],
    [
      '"maybe" for a boolean',
      { qty: "1", gift: "maybe" },
      { error: { gift: ["Enter a valid boolean (true/false, yes/no, on/off, 1/0)."] } },
    ],
    ["a comma list of strings", { qty: "1", tags: "a, b,c" }, { qty: 1, tags: ["a", "b", "c"] }],
    ["a comma list of ints", { qty: "1", ids: "1,2,3" }, { qty: 1, ids: [1, 2, 3] }],
    ["a repeated form field of ints", { qty: "1", ids: ["4", "5"] }, { qty: 1, ids: [4, 5] }],
    [
      "a bad item in a comma list",
      { qty: "1", ids: "1,x" },
      { error: { ids: ["Enter a whole number."] } },
    ],
    ['"" for a list', { qty: "1", tags: "" }, { qty: 1, tags: [] }],
    ["a string param stays a string", { qty: "1", note: "42" }, { qty: 1, note: "42" }],
  ];
  const defaults = { gift: false, tags: [], ids: [], note: "", maybe: null };

  for (const [label, input, expected] of cases) {
    it(label, async () => {
      const outcome = await setup().run("coerce", input);
      if ("error" in expected) {
        const error = failure(outcome);
        assert.equal(error.kind, "validation_error");
        assert.deepStrictEqual(error.details, expected.error);
      } else {
        assert.deepStrictEqual(success(outcome).result, { ...defaults, ...expected });
      }
    });
  }

  it("the HTTP path does not coerce: a JSON string for an int is a validation error", async () => {
    const error = failure(await setup({ coerceStrings: false }).run("coerce", { qty: "42" }));
    assert.deepStrictEqual(Object.keys(error.details ?? {}), ["qty"]);
    success(await setup({ coerceStrings: false }).run("coerce", { qty: 42 }));
  });
});

describe("validation", () => {
  it("a missing field is 'This field is required.'", async () => {
    const error = failure(
      await setup({ coerceStrings: false }).run("update_status", { status: "x" }),
    );
    assert.equal(error.status, 400);
    assert.deepStrictEqual(error.toJSON(), {
      error: "validation_error",
      message: "Invalid parameters.",
      details: { order_id: ["This field is required."] },
    });
  });

  it("nested paths are dotted", async () => {
    const error = failure(await setup().run("nested", { items: [{ qty: 1 }, { qty: 0 }, {}] }));
    assert.deepStrictEqual(Object.keys(error.details ?? {}), ["items.1.qty", "items.2.qty"]);
    assert.deepStrictEqual((error.details ?? {})["items.2.qty"], ["This field is required."]);
  });

  it("unknown keys are ignored, unless the schema is strict", async () => {
    assert.deepStrictEqual(
      success(await setup().run("update_status", { order_id: 1, status: "x", extra: 1 })).result,
      { order_id: 1, status: "X" },
    );
    const error = failure(await setup().run("strict", { a: 1, b: 2, c: 3 }));
    assert.deepStrictEqual(error.details, { b: ["Unexpected field."], c: ["Unexpected field."] });
  });

  it("refuses prototype-pollution keys at any depth, and changes nothing", async () => {
    for (const body of [
      '{"__proto__": {"polluted": true}}',
      '{"a": {"constructor": {"prototype": {"polluted": true}}}}',
      '{"items": [{"__proto__": {}}]}',
    ]) {
      const { run, view } = setup();
      const error = failure(await run("anything", JSON.parse(body)));
      assert.equal(error.kind, "validation_error");
      assert.match(error.message, /Invalid parameters|is not allowed/);
      assert.equal(view.status, "new");
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    }
    const error = failure(await setup().run("anything", JSON.parse('{"x": {"__proto__": 1}}')));
    assert.deepStrictEqual(error.details, {
      "x.__proto__": ['The key "__proto__" is not allowed.'],
    });
  });

  it("refuses deeply nested input", async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = { d: deep };
    const error = failure(await setup().run("anything", { deep }));
    assert.deepStrictEqual(error.details, {
      __all__: ["Input is nested too deeply (more than 32 levels)."],
    });
  });

  it("refuses input that is not an object", async () => {
    for (const raw of [[1, 2], "text", 5]) {
      const error = failure(await setup().run("anything", raw));
      assert.deepStrictEqual(error.details, { __all__: ["Parameters must be a JSON object."] });
    }
  });

  it('params: "any" passes the object through; no params means no argument', async () => {
    assert.deepStrictEqual(success(await setup().run("anything", { a: [1] })).result, { a: [1] });
    assert.deepStrictEqual(success(await setup().run("noParams", { value: "x" })).result, {
      argc: 0,
    });
  });
});

describe("field validators", () => {
  it("transform an accepted param, for every handler that takes it", async () => {
    const { run, view } = setup();
    success(await run("update_status", { order_id: "1", status: "shipped" }));
    assert.equal(view.status, "SHIPPED");
    success(await run("setStatus", { status: "paid" }));
    assert.equal(view.status, "PAID");
  });

  it("a ValidationError lands in details[field]", async () => {
    const error = failure(await setup().run("setStatus", { status: "lost" }));
    assert.deepStrictEqual(error.details, { status: ["Unknown status."] });
  });

  it("do not run when the schema rejected the input", async () => {
    const error = failure(await setup().run("setStatus", { status: 5 }));
    assert.deepStrictEqual(Object.keys(error.details ?? {}), ["status"]);
    assert.notDeepStrictEqual(error.details, { status: ["Unknown status."] });
  });
});

describe("calling and change detection", () => {
  it("returns the result and the changed fields", async () => {
    const ok = success(await setup().run("update_status", { order_id: 7, status: "paid" }));
    assert.deepStrictEqual(ok.result, { order_id: 7, status: "PAID" });
    assert.deepStrictEqual(ok.changed, ["status", "log"]);
  });

  it("a throwing handler → handler_error with the cause, and its state changes are reported", async () => {
    const { run, view } = setup();
    const outcome = await run("explode");
    const error = failure(outcome);
    assert.equal(error.kind, "handler_error");
    assert.equal(error.status, 500);
    assert.equal(error.message, 'Handler "explode" raised an error.');
    assert.equal((error.cause as Error).message, "kaboom");
    assert.deepStrictEqual(outcome.changed, ["log"]);
    assert.deepStrictEqual(view.log, ["before"]);
  });

  it("PermissionDenied and ValidationError thrown by a handler keep their kinds", async () => {
    const denied = failure(await setup().run("deny"));
    assert.deepStrictEqual(denied.toJSON(), {
      error: "permission_denied",
      message: "Orders are locked.",
    });
    const invalid = failure(await setup().run("invalid"));
    assert.deepStrictEqual(invalid.toJSON(), {
      error: "validation_error",
      message: "Too late to refund.",
      details: { order_id: ["Too late to refund."] },
    });
  });

  it("apiResponse comes back as an ApiResponse for the transport to unwrap", async () => {
    const ok = success(await setup().run("wrapped"));
    assert.ok(ok.result instanceof ApiResponse);
    assert.equal(ok.result.status, 201);
    assert.deepStrictEqual(ok.result.result, { raw: true });
  });

  it("a non-serializable value assigned by a handler warns, or fails with serialization_error in strict mode", async () => {
    const loose = setup();
    assert.deepStrictEqual(success(await loose.run("leak")).changed, ["client"]);
    assert.equal(loose.logger.warnings.length, 1);

    const strict = setup();
    const tracker = new StateTracker({ strict: true, logger: strict.logger, view: "OrderView" });
    tracker.reset(strict.view);
    const error = failure(await dispatch(strict.view, "leak", {}, { ...strict.ctx, tracker }));
    assert.equal(error.kind, "serialization_error");
    assert.match(error.message, /non-serializable value: S3Client in OrderView\.client/);
  });

  it("this.httpRequest is the web Request over HTTP and undefined otherwise", async () => {
    const http = setup({ transport: "http", httpRequest: new Request("http://x.test/api") });
    success(await http.run("whoCalls"));
    assert.equal(http.view.seenRequest, "http://x.test/api");
    assert.equal(http.view.httpRequest, undefined, "cleared after the call");
    const ws = setup();
    success(await ws.run("whoCalls"));
    assert.equal(ws.view.seenRequest, null);
  });
});
