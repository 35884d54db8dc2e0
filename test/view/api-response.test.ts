import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { apiResponse, slugFromClassName } from "../../src/index.js";
import { serializeResult } from "../../src/view/api-response.js";

describe("apiResponse", () => {
  it("passes the result through without a serializer", async () => {
    assert.deepStrictEqual(await serializeResult(apiResponse({ result: { a: 1 } })), { a: 1 });
  });

  it("runs a serializer function or a schema on the result", async () => {
    const fn = apiResponse({ result: [3, 1, 2], serialize: (xs) => [...xs].sort() });
    assert.deepStrictEqual(await serializeResult(fn), [1, 2, 3]);
    const schema = z
      .object({ id: z.number(), secret: z.string().optional() })
      .transform(({ id }) => ({ id }));
    const viaSchema = apiResponse({ result: { id: 4, secret: "x" }, serialize: schema });
    assert.deepStrictEqual(await serializeResult(viaSchema), { id: 4 });
  });

  it("a failing serializer is a 500 serialize_error", async () => {
    const bad = apiResponse({
      result: { id: "x" },
      serialize: z.object({ id: z.number() }) as never,
    });
    await assert.rejects(serializeResult(bad), (error: unknown) => {
      const e = error as { kind: string; status: number; message: string };
      return (
        e.kind === "serialize_error" &&
        e.status === 500 &&
        e.message === "Could not serialize the result."
      );
    });
    const throwing = apiResponse({
      result: 1,
      serialize: () => {
        throw new Error("nope");
      },
    });
    await assert.rejects(serializeResult(throwing), (error: unknown) => {
      const e = error as { message: string; cause?: unknown };
      // No exception text in the message; the exception is the cause (logs, debug traceback).
      return (
        e.message === "Could not serialize the result." && (e.cause as Error).message === "nope"
      );
    });
  });

  it("validates the status override", () => {
    assert.equal(apiResponse({ result: null, status: 201 }).status, 201);
    assert.throws(
      () => apiResponse({ result: null, status: 99 }),
      /status must be an HTTP status code/,
    );
    assert.throws(() => apiResponse({ result: null, status: 200.5 }), RangeError);
  });
});

describe("API slugs from class names", () => {
  const cases: [string, string][] = [
    ["OrderView", "order"],
    ["OrderLiveView", "order"],
    ["S3BrowserView", "s3-browser"],
    ["HTTPAPIView", "httpapi"],
    ["HTTPServerView", "http-server"],
    ["ProductCatalogView", "product-catalog"],
    ["View", "view"],
    ["Dashboard", "dashboard"],
  ];
  for (const [name, slug] of cases) {
    it(`${name} → ${slug}`, () => assert.equal(slugFromClassName(name), slug));
  }
});
