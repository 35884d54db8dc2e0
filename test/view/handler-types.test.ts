// `@eventHandler({ params })` ties the schema's output type to the method's argument type.
// The `@ts-expect-error` lines are the test: `npm run typecheck` (tsc -p tsconfig.json, which
// includes test/) fails if any of them stops being an error. At runtime the classes are
// defined normally, so the decorators still record every handler.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { LiveView, eventHandler, handlersOf, permissionRequired } from "../../src/index.js";

const orderId = z.object({ order_id: z.number().int() });

class Typed extends LiveView {
  @eventHandler({ params: orderId })
  ship({ order_id }: { order_id: number }) {
    return order_id;
  }

  // A transform's output type is what the method receives.
  @eventHandler({ params: z.object({ tags: z.string().transform((s) => s.split(",")) }) })
  tag({ tags }: { tags: string[] }) {
    return tags;
  }

  // A wider parameter type accepts the narrower output.
  @eventHandler({ params: z.object({ id: z.number(), note: z.string().optional() }) })
  wide(params: { id: number | string; note?: string | undefined }) {
    return params;
  }

  // A handler may ignore its parameters.
  @eventHandler({ params: orderId })
  refresh() {}

  // No schema, or "any": the argument is not constrained.
  @eventHandler
  plain() {}

  @eventHandler({ params: "any" })
  free(params: Record<string, unknown>) {
    return params;
  }

  // Companion decorators keep the tie, in either order.
  @eventHandler({ exposeApi: true, params: orderId })
  @permissionRequired("orders.refund")
  refund({ order_id }: { order_id: number }) {
    return order_id;
  }

  // @ts-expect-error -- the schema parses a number, the method expects { id: string }
  @eventHandler({ params: z.number() })
  wrongShape(_params: { id: string }) {}

  // @ts-expect-error -- order_id is a number after parsing, not a string
  @eventHandler({ params: orderId })
  wrongField({ order_id }: { order_id: string }) {
    return order_id;
  }

  // @ts-expect-error -- the method needs a field the schema does not produce
  @eventHandler({ exposeApi: true, params: orderId })
  missingField({ reason }: { order_id: number; reason: string }) {
    return reason;
  }

  // @ts-expect-error -- the transform's output (string[]) is not the input (string)
  @eventHandler({ params: z.object({ tags: z.string().transform((s) => s.split(",")) }) })
  inputType({ tags }: { tags: string }) {
    return tags;
  }
}

describe("@eventHandler params typing", () => {
  it("records every handler, including those tsc rejects", () => {
    assert.deepEqual([...handlersOf(Typed).keys()].sort(), [
      "free",
      "inputType",
      "missingField",
      "plain",
      "refresh",
      "refund",
      "ship",
      "tag",
      "wide",
      "wrongField",
      "wrongShape",
    ]);
  });
});
