// Success envelopes: apiResponse variants, wire JSON, and serialization failures.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { USERS, browser, call, makeApp } from "./fixtures.js";

const alice = USERS.alice!;

describe("HTTP API: apiResponse", () => {
  it("result: the value goes to result (wire JSON), assigns is {} and state is not diffed", async () => {
    const app = makeApp();
    const res = await call(app, "order/chart/", {
      ...(await browser(app, alice)),
      json: { metric: "sales" },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {
      result: { metric: "sales", points: [1, 2, 3], at: "2024-01-02T03:04:05.000Z" },
      assigns: {},
    });
  });

  it("status: 201 overrides the HTTP status; changed state is still not sent", async () => {
    const app = makeApp();
    const res = await call(app, "order/created/", await browser(app, alice));
    assert.equal(res.status, 201);
    assert.deepEqual(res.body, { result: { id: 7 }, assigns: {} });
  });

  it("serialize: a function runs on the result first", async () => {
    const app = makeApp();
    const res = await call(app, "order/serialized_fn/", await browser(app, alice));
    assert.deepEqual(res.body, { result: { gadget: "SPROCKET" }, assigns: {} });
  });

  it("serialize: a schema's output is sent (unknown keys stripped, coercions applied)", async () => {
    const app = makeApp();
    const res = await call(app, "order/serialized_schema/", await browser(app, alice));
    assert.deepEqual(res.body, { result: { id: 5 }, assigns: {} });
  });

  it("a failing serializer → 500 serialize_error", async () => {
    const app = makeApp();
    const res = await call(app, "order/serialize_fails/", await browser(app, alice));
    assert.equal(res.status, 500);
    assert.equal(res.body.error, "serialize_error");
  });

  it("without apiResponse the return value is the result and changed state is diffed", async () => {
    const app = makeApp();
    const res = await call(app, "order/set_status/", {
      ...(await browser(app, alice)),
      json: { status: "Open" },
    });
    assert.deepEqual(res.body, { result: null, assigns: { lastStatus: "open" } });
  });
});

describe("HTTP API: serialization", () => {
  it("default mode: a non-serializable assign is warned about (once per field) and sent as a string", async () => {
    const app = makeApp();
    const headers = await browser(app, alice);
    const res = await call(app, "order/leak_gadget/", headers);
    assert.equal(res.status, 200);
    assert.equal(typeof (res.body.assigns as Record<string, unknown>).gadget, "string");
    const warnings = () => app.logger.lines.filter((l) => l.level === "warn");
    const [warning] = warnings();
    assert.ok(warning, "a warning was logged");
    assert.match(warning.message, /Gadget/);
    assert.deepEqual(warning.meta, { view: "OrderView", field: "gadget", type: "Gadget" });
    // Each call is a fresh view instance; the field is still reported only the first time.
    assert.equal((await call(app, "order/leak_gadget/", headers)).status, 200);
    assert.equal(warnings().length, 1);
  });

  it("strict mode: a non-serializable assign → 500 serialization_error with the actionable message", async () => {
    const app = makeApp({ strictSerialization: true });
    const res = await call(app, "order/leak_gadget/", await browser(app, alice));
    assert.equal(res.status, 500);
    assert.equal(res.body.error, "serialization_error");
    assert.match(String(res.body.message), /OrderView\.gadget/);
    assert.match(String(res.body.message), /_gadget/);
  });

  it("strict mode: a non-serializable return value → 500 serialization_error", async () => {
    const app = makeApp({ strictSerialization: true });
    const res = await call(app, "order/return_gadget/", await browser(app, alice));
    assert.equal(res.status, 500);
    assert.equal(res.body.error, "serialization_error");
  });

  it("DJUST_STRICT_SERIALIZATION=1 is read at createApp", async () => {
    process.env.DJUST_STRICT_SERIALIZATION = "1";
    let app;
    try {
      app = makeApp();
    } finally {
      delete process.env.DJUST_STRICT_SERIALIZATION;
    }
    const res = await call(app, "order/leak_gadget/", await browser(app, alice));
    assert.equal(res.body.error, "serialization_error");
  });
});
