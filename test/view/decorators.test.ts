import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import {
  DecoratorError,
  LiveView,
  eventHandler,
  fieldValidator,
  fieldValidatorsOf,
  handlersOf,
  permissionRequired,
  rateLimit,
} from "../../src/index.js";

const params = z.object({ order_id: z.number().int() });

class BaseView extends LiveView {
  @eventHandler({ exposeApi: true, params, description: "Ship it.", deprecated: true })
  @permissionRequired("orders.change_order")
  ship() {}

  @rateLimit({ rate: 1, burst: 5 })
  @eventHandler
  refresh() {}

  @fieldValidator("order_id")
  checkOrder(value: number) {
    return value;
  }

  helper() {}
}

class ChildView extends BaseView {
  @eventHandler({ name: "cancel-order" })
  cancel() {}

  override ship() {}
}

describe("handler registry", () => {
  it("records options from @eventHandler and its companions, in either order", () => {
    const ship = handlersOf(BaseView).get("ship");
    assert.deepStrictEqual(ship, {
      name: "ship",
      method: "ship",
      exposeApi: true,
      deprecated: true,
      description: "Ship it.",
      params,
      permissions: ["orders.change_order"],
    });
    assert.deepStrictEqual(handlersOf(BaseView).get("refresh"), {
      name: "refresh",
      method: "refresh",
      exposeApi: false,
      deprecated: false,
      permissions: [],
      rateLimit: { rate: 1, burst: 5 },
    });
  });

  it("lists only decorated methods", () => {
    assert.deepStrictEqual([...handlersOf(BaseView).keys()], ["ship", "refresh"]);
  });

  it("subclasses inherit handlers without changing the parent's registry", () => {
    assert.deepStrictEqual([...handlersOf(ChildView).keys()].sort(), [
      "cancel-order",
      "refresh",
      "ship",
    ]);
    assert.equal(handlersOf(ChildView).get("cancel-order")?.method, "cancel");
    assert.equal(handlersOf(BaseView).has("cancel-order"), false);
    assert.deepStrictEqual(handlersOf(ChildView).get("ship")?.permissions, ["orders.change_order"]);
  });

  it("a subclass can tighten an inherited handler without touching the parent", () => {
    class Strict extends BaseView {
      @permissionRequired("orders.audit")
      override ship() {}
    }
    assert.deepStrictEqual(handlersOf(Strict).get("ship")?.permissions, [
      "orders.change_order",
      "orders.audit",
    ]);
    assert.deepStrictEqual(handlersOf(BaseView).get("ship")?.permissions, ["orders.change_order"]);
  });

  it("field validators are inherited per class", () => {
    class Other extends ChildView {
      @fieldValidator("status")
      checkStatus(value: string) {
        return value;
      }
    }
    assert.deepStrictEqual(
      [...fieldValidatorsOf(Other).entries()],
      [
        ["order_id", ["checkOrder"]],
        ["status", ["checkStatus"]],
      ],
    );
    assert.deepStrictEqual([...fieldValidatorsOf(BaseView).keys()], ["order_id"]);
  });

  it("a view without decorators has no handlers", () => {
    class Plain extends LiveView {
      method() {}
    }
    assert.equal(handlersOf(Plain).size, 0);
  });
});

describe("decoration-time errors", () => {
  const defineWith = (body: () => unknown) => assert.throws(body, DecoratorError);

  it("refuses a decorator on a field, getter, static or #private method", () => {
    assert.throws(() => {
      class V extends LiveView {
        // @ts-expect-error -- a field is not a method
        @eventHandler field = 1;
      }
      return V;
    }, /@eventHandler can only decorate methods, not a field/);
    assert.throws(() => {
      class V extends LiveView {
        // @ts-expect-error -- a getter is not a method
        @eventHandler get value() {
          return 1;
        }
      }
      return V;
    }, /not a getter/);
    assert.throws(() => {
      class V extends LiveView {
        @eventHandler static make() {}
      }
      return V;
    }, /cannot decorate a static method/);
    assert.throws(() => {
      class V extends LiveView {
        // eslint-disable-next-line no-unused-private-class-members -- the decorator must refuse it
        @eventHandler #secret() {}
      }
      return V;
    }, /#private/);
  });

  it("refuses private and reserved handler names", () => {
    defineWith(() => {
      class V extends LiveView {
        @eventHandler _internal() {}
      }
      return V;
    });
    assert.throws(() => {
      class V extends LiveView {
        @eventHandler({ name: "mount" }) start() {}
      }
      return V;
    }, /"mount" cannot be a handler name/);
    assert.throws(() => {
      class V extends LiveView {
        @eventHandler override toString() {
          return "";
        }
      }
      return V;
    }, /"toString" cannot be a handler name/);
  });

  it("refuses @permissionRequired() without a permission, and empty names", () => {
    assert.throws(() => permissionRequired(), /needs at least one permission/);
    assert.throws(() => permissionRequired(""), /non-empty strings/);
    assert.throws(() => permissionRequired([]), /needs at least one permission/);
  });

  it("refuses bad rate limits", () => {
    assert.throws(() => rateLimit({ rate: 0, burst: 1 }), /rate must be a positive number/);
    assert.throws(() => rateLimit({ rate: 1, burst: 0.5 }), /burst must be an integer >= 1/);
    assert.throws(() => rateLimit({ rate: Number.NaN, burst: 1 }), DecoratorError);
  });

  it("refuses unknown options and wrong option types", () => {
    assert.throws(() => eventHandler({ expose_api: true } as never), /unknown option "expose_api"/);
    assert.throws(
      () => eventHandler({ params: { type: "object" } as never }),
      /params must be a Standard Schema/,
    );
    assert.throws(() => eventHandler({ name: "bad name" }), /invalid handler name/);
    assert.throws(() => fieldValidator(""), /needs the name of the parameter/);
  });

  it("refuses conflicting decorations", () => {
    assert.throws(() => {
      class V extends LiveView {
        @eventHandler
        @eventHandler
        twice() {}
      }
      return V;
    }, /@eventHandler is applied twice to twice\(\)/);
    assert.throws(() => {
      class V extends LiveView {
        @eventHandler
        @rateLimit({ rate: 1, burst: 1 })
        @rateLimit({ rate: 2, burst: 2 })
        limited() {}
      }
      return V;
    }, /@rateLimit is applied twice/);
    assert.throws(() => {
      class V extends LiveView {
        @eventHandler({ name: "go" }) a() {}
        @eventHandler({ name: "go" }) b() {}
      }
      return V;
    }, /b\(\) and a\(\) both claim the handler name "go"/);
  });

  it("a companion decorator without @eventHandler fails when the registry is read", () => {
    class V extends LiveView {
      @permissionRequired("x.y")
      orphan() {}
    }
    assert.throws(
      () => handlersOf(V),
      /@permissionRequired on V\.orphan\(\) needs @eventHandler as well/,
    );
  });
});
