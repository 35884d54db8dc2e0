// The generated OpenAPI 3.1 document: validity (two independent validators), shape, security.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validate as readmeValidate } from "@readme/openapi-parser";
import { Validator } from "@seriousme/openapi-schema-validator";
import { z } from "zod";
import { LiveView, eventHandler, permissionRequired, rateLimit } from "../../src/index.js";
import { AllowAny, SessionAuth } from "../../src/auth/classes.js";
import {
  generateOpenApi,
  jsonSchemaOf,
  type OpenApiDocument,
  type OpenApiObject,
} from "../../src/api/openapi.js";
import { createApp } from "../../src/server/index.js";
import { TokenAuth, USERS, makeApp } from "./fixtures.js";

async function fetchDoc(app: { fetch(r: Request): Promise<Response> }, init?: RequestInit) {
  const res = await app.fetch(new Request("http://localhost/djust/api/openapi.json", init));
  return { res, doc: res.ok ? ((await res.json()) as OpenApiDocument) : null };
}

async function assertValid(doc: unknown): Promise<void> {
  const seriousme = await new Validator().validate(structuredClone(doc) as never);
  assert.equal(seriousme.valid, true, JSON.stringify(seriousme.errors, null, 2));
  const readme = await readmeValidate(structuredClone(doc) as never);
  assert.equal(readme.valid, true, JSON.stringify(readme, null, 2));
}

const Item = z
  .object({ sku: z.string(), qty: z.number().int().positive() })
  .meta({ id: "LineItem" });
interface Category {
  name: string;
  children: Category[];
}
const Category: z.ZodType<Category> = z.object({
  name: z.string(),
  get children() {
    return z.array(Category);
  },
});

class CatalogView extends LiveView {
  static override apiAuthClasses = [SessionAuth, AllowAny];

  @eventHandler({
    exposeApi: true,
    description: "Create an order from line items.",
    params: z.object({
      items: z.array(Item),
      note: z.string().nullable(),
      priority: z.enum(["low", "high"]).nullable().default(null),
      id: z.uuid(),
      flag: z.boolean().default(false),
    }),
    result: z.object({ created: z.date(), total: z.bigint(), items: z.array(Item) }),
  })
  create_order() {
    return null;
  }

  @eventHandler({ exposeApi: true, params: z.object({ tree: Category }), deprecated: true })
  @permissionRequired("catalog.edit")
  @rateLimit({ rate: 2, burst: 10 })
  import_tree() {
    return null;
  }

  @eventHandler({ exposeApi: true })
  no_params() {
    return null;
  }

  @eventHandler({ exposeApi: true, params: "any" })
  free_form() {
    return null;
  }

  @eventHandler({ exposeApi: true, params: z.object({ when: z.date() }) })
  dated() {
    return null;
  }

  @eventHandler
  hidden() {
    return null;
  }
}

class SessionNoCsrfView extends LiveView {
  static override csrfExempt = true;
  @eventHandler({ exposeApi: true })
  go() {}
}

class OtherItemView extends LiveView {
  // Same $defs id as CatalogView's, different content: must not clobber it.
  @eventHandler({
    exposeApi: true,
    params: z.object({ item: z.object({ code: z.number() }).meta({ id: "LineItem" }) }),
  })
  add() {}
}

function catalogApp() {
  const app = createApp({ secretKey: "s", openapi: { title: "Shop", version: "2.3.4" } });
  app.register(CatalogView).register(SessionNoCsrfView).register(OtherItemView);
  return app;
}

function resolve(doc: OpenApiDocument, ref: unknown): OpenApiObject {
  assert.equal(typeof ref, "string");
  const path = (ref as string).replace(/^#\//, "").split("/");
  let node: unknown = doc;
  for (const key of path) node = (node as Record<string, unknown>)[key];
  assert.ok(node, `unresolved ${String(ref)}`);
  return node as OpenApiObject;
}

describe("OpenAPI document", () => {
  it("passes @seriousme/openapi-schema-validator and @readme/openapi-parser", async () => {
    for (const app of [makeApp(), catalogApp()]) {
      const { res, doc } = await fetchDoc(app);
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /application\/json/);
      assert.equal(doc!.openapi, "3.1.0");
      await assertValid(doc);
    }
  });

  it("the validators do catch a broken document", async () => {
    const { doc } = await fetchDoc(catalogApp());
    const broken = structuredClone(doc) as unknown as Record<string, unknown>;
    delete broken.info;
    assert.equal((await new Validator().validate(structuredClone(broken))).valid, false);
    assert.equal((await readmeValidate(structuredClone(broken) as never)).valid, false);
  });

  it("has info, servers from the prefix, one POST per exposed handler, tags per view", async () => {
    const { doc } = await fetchDoc(catalogApp());
    assert.deepEqual(doc!.info, { title: "Shop", version: "2.3.4" });
    assert.deepEqual(doc!.servers, [{ url: "/djust/api" }]);
    assert.deepEqual(Object.keys(doc!.paths).sort(), [
      "/catalog/create_order/",
      "/catalog/dated/",
      "/catalog/free_form/",
      "/catalog/import_tree/",
      "/catalog/no_params/",
      "/other-item/add/",
      "/session-no-csrf/go/",
    ]);
    for (const item of Object.values(doc!.paths)) assert.deepEqual(Object.keys(item), ["post"]);
    assert.deepEqual(
      doc!.tags.map((t) => t.name),
      ["catalog", "other-item", "session-no-csrf"],
    );
    assert.deepEqual(doc!.paths["/catalog/no_params/"]!.post.tags, ["catalog"]);
  });

  it("a custom apiPrefix moves the document, the server URL and the routes", async () => {
    const app = createApp({ secretKey: "s", apiPrefix: "/api/v2" });
    app.register(CatalogView);
    const { doc } = await fetchDoc({
      fetch: (r) => app.fetch(new Request(r.url.replace("/djust/api/", "/api/v2/"), r)),
    });
    assert.deepEqual(doc!.servers, [{ url: "/api/v2" }]);
    const res = await app.fetch(
      new Request("http://localhost/api/v2/catalog/no_params/", { method: "POST" }),
    );
    assert.equal(res.status, 200, "AllowAny fallback");
  });

  it("operationIds are unique <slug>_<handler>", async () => {
    for (const app of [makeApp(), catalogApp()]) {
      const { doc } = await fetchDoc(app);
      const ids = Object.entries(doc!.paths).map(([, item]) => item.post.operationId as string);
      assert.equal(new Set(ids).size, ids.length);
      for (const [path, item] of Object.entries(doc!.paths)) {
        const [, slug, handler] = path.split("/");
        assert.equal(item.post.operationId, `${slug}_${handler}`);
      }
    }
  });

  it("operations whose <slug>_<handler> spell alike each get their own components", async () => {
    class OrderView extends LiveView {
      static override apiAuthClasses = [AllowAny];
      @eventHandler({
        exposeApi: true,
        params: z.object({ order_id: z.number() }),
        result: z.number(),
      })
      update_status({ order_id }: { order_id: number }) {
        return order_id;
      }
    }
    class OrderUpdateView extends LiveView {
      static override apiName = "order_update";
      static override apiAuthClasses = [AllowAny];
      @eventHandler({
        exposeApi: true,
        params: z.object({ label: z.string() }),
        result: z.string(),
      })
      status({ label }: { label: string }) {
        return label;
      }
    }
    const app = createApp({ secretKey: "k" }).register(OrderView).register(OrderUpdateView);
    const { doc } = await fetchDoc(app);
    await assertValid(doc);
    const at = (node: unknown, ...keys: string[]): unknown =>
      keys.reduce((n, key) => (n as Record<string, unknown>)[key], node);
    const refsOf = (path: string) => {
      const post = doc!.paths[path]!.post;
      const json = ["content", "application/json", "schema", "$ref"];
      const envelope = at(post, "responses", "200", ...json) as string;
      return {
        operationId: post.operationId as string,
        body: at(post, "requestBody", ...json) as string,
        envelope,
        result: at(resolve(doc!, envelope), "properties", "result", "$ref") as string,
      };
    };
    const components = "#/components/schemas/";
    assert.deepEqual(refsOf("/order/update_status/"), {
      operationId: "order_update_status",
      body: `${components}order_update_status_body`,
      envelope: `${components}order_update_status_response`,
      result: `${components}order_update_status_result`,
    });
    assert.deepEqual(refsOf("/order_update/status/"), {
      operationId: "order_update_status_2",
      body: `${components}order_update_status_2_body`,
      envelope: `${components}order_update_status_2_response`,
      result: `${components}order_update_status_2_result`,
    });
    const propertiesOf = (ref: string) => Object.keys(resolve(doc!, ref).properties as object);
    assert.deepEqual(propertiesOf(refsOf("/order/update_status/").body), ["order_id"]);
    assert.deepEqual(propertiesOf(refsOf("/order_update/status/").body), ["label"]);
    assert.equal(resolve(doc!, refsOf("/order/update_status/").result).type, "number");
    assert.equal(resolve(doc!, refsOf("/order_update/status/").result).type, "string");
  });

  it("description, deprecated and x-djust metadata come from the decorators", async () => {
    const { doc } = await fetchDoc(catalogApp());
    const create = doc!.paths["/catalog/create_order/"]!.post;
    assert.equal(create.description, "Create an order from line items.");
    assert.equal(create.deprecated, undefined);
    const tree = doc!.paths["/catalog/import_tree/"]!.post;
    assert.equal(tree.deprecated, true);
    assert.deepEqual(tree["x-djust-permissions"], ["catalog.edit"]);
    assert.deepEqual(tree["x-djust-rate-limit"], { rate: 2, burst: 10 });
  });

  it("request bodies are the params' input JSON Schema: defaults are optional, nullables are type unions", async () => {
    const { doc } = await fetchDoc(catalogApp());
    const op = doc!.paths["/catalog/create_order/"]!.post;
    const body = op.requestBody as OpenApiObject;
    assert.equal(body.required, true);
    const media = (body.content as Record<string, OpenApiObject>)["application/json"]!;
    const schema = resolve(doc!, (media.schema as OpenApiObject).$ref);
    assert.deepEqual((schema.required as string[]).sort(), ["id", "items", "note"]);
    const props = schema.properties as Record<string, OpenApiObject>;
    assert.deepEqual(props.note, { type: ["string", "null"] });
    assert.deepEqual(props.priority!.type, ["string", "null"]);
    assert.deepEqual(props.priority!.enum, ["low", "high", null]);
    assert.equal(props.priority!.default, null);
    assert.equal(props.flag!.default, false);
    assert.equal(props.id!.format, "uuid");
    assert.equal(
      schema.additionalProperties,
      undefined,
      "unknown keys are ignored, so not forbidden",
    );
    // $defs are hoisted into components and referenced from there.
    const items = props.items as OpenApiObject;
    const itemRef = (items.items as OpenApiObject).$ref as string;
    assert.match(itemRef, /^#\/components\/schemas\/LineItem/);
    assert.deepEqual((resolve(doc!, itemRef).required as string[]).sort(), ["qty", "sku"]);
    assert.ok(!JSON.stringify(doc).includes("#/$defs/"));
  });

  it("same-named $defs with different content do not clobber each other", async () => {
    const { doc } = await fetchDoc(catalogApp());
    const addBody = resolve(doc!, "#/components/schemas/other-item_add_body");
    const ref = ((addBody.properties as Record<string, OpenApiObject>).item as OpenApiObject)
      .$ref as string;
    assert.notEqual(ref, "#/components/schemas/LineItem");
    assert.deepEqual(Object.keys(resolve(doc!, ref).properties as object), ["code"]);
    assert.deepEqual(
      Object.keys(resolve(doc!, "#/components/schemas/LineItem").properties as object),
      ["sku", "qty"],
    );
  });

  it("recursive schemas point at their own component", async () => {
    const { doc } = await fetchDoc(catalogApp());
    const text = JSON.stringify(doc!.components.schemas);
    assert.ok(!text.includes('"$ref":"#"'));
    await assertValid(doc);
  });

  it("handlers without params take an optional empty object; 'any' takes any object", async () => {
    const { doc } = await fetchDoc(catalogApp());
    const none = doc!.paths["/catalog/no_params/"]!.post.requestBody as OpenApiObject;
    assert.equal(none.required, false);
    const free = resolve(doc!, "#/components/schemas/catalog_free_form_body");
    assert.equal(free.additionalProperties, true);
  });

  it("the 200 response is the envelope with the declared result schema (wire JSON types)", async () => {
    const { doc } = await fetchDoc(catalogApp());
    const ok = doc!.paths["/catalog/create_order/"]!.post.responses as Record<
      string,
      OpenApiObject
    >;
    const media = (ok["200"]!.content as Record<string, OpenApiObject>)["application/json"]!;
    const envelope = resolve(doc!, (media.schema as OpenApiObject).$ref);
    assert.deepEqual(envelope.required, ["result", "assigns"]);
    const result = resolve(
      doc!,
      ((envelope.properties as Record<string, OpenApiObject>).result as OpenApiObject).$ref,
    );
    const props = result.properties as Record<string, OpenApiObject>;
    assert.deepEqual(
      { type: props.created!.type, format: props.created!.format },
      { type: "string", format: "date-time" },
    );
    assert.equal(props.total!.type, "string");
    // A date param (not representable as JSON input) still yields a valid schema.
    assert.ok(doc!.components.schemas["catalog_dated_body"]);
  });

  it("error responses 400/401/403/404/429/500 are $refs to shared components using Error", async () => {
    const { doc } = await fetchDoc(catalogApp());
    for (const item of Object.values(doc!.paths)) {
      const responses = item.post.responses as Record<string, OpenApiObject>;
      for (const status of ["400", "401", "403", "404", "429", "500"]) {
        const ref = responses[status]?.$ref as string;
        assert.match(ref, /^#\/components\/responses\//, status);
        const response = resolve(doc!, ref);
        const schema = ((response.content as OpenApiObject)["application/json"] as OpenApiObject)
          .schema as OpenApiObject;
        assert.equal(schema.$ref, "#/components/schemas/Error");
      }
    }
    const error = doc!.components.schemas.Error!;
    assert.deepEqual(error.required, ["error", "message"]);
    const kinds = ((error.properties as Record<string, OpenApiObject>).error as OpenApiObject)
      .enum as string[];
    for (const kind of [
      "validation_error",
      "unauthenticated",
      "permission_denied",
      "not_found",
      "rate_limited",
      "handler_error",
      "csrf_failed",
    ]) {
      assert.ok(kinds.includes(kind), kind);
    }
    const limited = doc!.components.responses.RateLimited as OpenApiObject;
    assert.ok((limited.headers as OpenApiObject)["Retry-After"]);
  });

  it("security schemes and per-operation security follow the auth classes", async () => {
    const { doc } = await fetchDoc(catalogApp());
    assert.deepEqual(doc!.components.securitySchemes, {
      sessionAuth: { type: "apiKey", in: "cookie", name: "djust_session" },
      csrfToken: { type: "apiKey", in: "header", name: "X-CSRFToken" },
    });
    // [SessionAuth, AllowAny]: session + CSRF, or anonymous.
    assert.deepEqual(doc!.paths["/catalog/no_params/"]!.post.security, [
      { sessionAuth: [], csrfToken: [] },
      {},
    ]);
    // A CSRF-exempt SessionAuth view lists only sessionAuth.
    assert.deepEqual(doc!.paths["/session-no-csrf/go/"]!.post.security, [{ sessionAuth: [] }]);

    const fixtures = (await fetchDoc(makeApp())).doc!;
    assert.deepEqual(fixtures.components.securitySchemes.bearerAuth, {
      type: "http",
      scheme: "bearer",
    });
    assert.deepEqual(fixtures.paths["/token-orders/refund/"]!.post.security, [{ bearerAuth: [] }]);
    assert.deepEqual(fixtures.paths["/public/ping/"]!.post.security, [{}]);
    assert.deepEqual(fixtures.paths["/mixed-auth/whoami/"]!.post.security, [
      { bearerAuth: [] },
      { sessionAuth: [], csrfToken: [] },
    ]);
    assert.deepEqual(fixtures.paths["/order/refund/"]!.post.security, [
      { sessionAuth: [], csrfToken: [] },
    ]);
  });

  it("is live: a view registered later shows up", async () => {
    const app = createApp({ secretKey: "s" });
    assert.deepEqual(Object.keys((await fetchDoc(app)).doc!.paths), []);
    app.register(SessionNoCsrfView);
    assert.deepEqual(Object.keys((await fetchDoc(app)).doc!.paths), ["/session-no-csrf/go/"]);
  });

  it("openapi.json: OPTIONS 204, POST 405 with Allow", async () => {
    const app = catalogApp();
    const options = await app.fetch(
      new Request("http://localhost/djust/api/openapi.json", { method: "OPTIONS" }),
    );
    assert.equal(options.status, 204);
    const post = await app.fetch(
      new Request("http://localhost/djust/api/openapi.json", { method: "POST" }),
    );
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
  });

  it("public: false → 404 unless authenticated (document and docs page)", async () => {
    const app = createApp({
      secretKey: "s",
      openapi: { public: false },
      loadUser: (id) => (Number(id) === 1 ? USERS.alice! : null),
    });
    app.register(CatalogView);
    class TokenView extends LiveView {
      static override apiAuthClasses = [TokenAuth];
      @eventHandler({ exposeApi: true })
      x() {}
    }
    app.register(TokenView);
    assert.equal((await fetchDoc(app)).res.status, 404);
    const docs = await app.fetch(new Request("http://localhost/djust/api/docs"));
    assert.equal(docs.status, 404);
    const { cookie } = await app.sessions.login(USERS.alice!);
    assert.equal((await fetchDoc(app, { headers: { cookie } })).res.status, 200);
    assert.equal(
      (await fetchDoc(app, { headers: { authorization: "Bearer tok-bob" } })).res.status,
      200,
    );
    assert.equal(
      (await fetchDoc(app, { headers: { authorization: "Bearer bad" } })).res.status,
      404,
    );
  });

  it("jsonSchemaOf handles non-zod Standard JSON Schemas and unconvertible schemas", () => {
    const custom = {
      "~standard": {
        version: 1,
        vendor: "custom",
        validate: (v: unknown) => ({ value: v }),
        jsonSchema: {
          input: () => ({ $schema: "x", type: "object", properties: { a: { type: "string" } } }),
          output: () => ({ type: "string" }),
        },
      },
    } as const;
    assert.deepEqual(jsonSchemaOf(custom as never, "input"), {
      type: "object",
      properties: { a: { type: "string" } },
    });
    assert.deepEqual(jsonSchemaOf(custom as never, "output"), { type: "string" });
    const opaque = {
      "~standard": { version: 1, vendor: "opaque", validate: (v: unknown) => ({ value: v }) },
    };
    assert.equal(jsonSchemaOf(opaque as never, "input"), null);
  });

  it("generateOpenApi refuses two auth classes defining one scheme name differently", () => {
    class A {
      securityScheme = { key: { type: "apiKey", in: "header", name: "A" } };
      authenticate() {
        return null;
      }
    }
    class B {
      securityScheme = { key: { type: "apiKey", in: "header", name: "B" } };
      authenticate() {
        return null;
      }
    }
    class V1 extends LiveView {
      static override apiAuthClasses = [A];
      @eventHandler({ exposeApi: true })
      x() {}
    }
    class V2 extends LiveView {
      static override apiAuthClasses = [B];
      @eventHandler({ exposeApi: true })
      x() {}
    }
    assert.throws(
      () =>
        generateOpenApi(
          [
            { slug: "v1", view: V1 },
            { slug: "v2", view: V2 },
          ],
          { prefix: "/api/" },
        ),
      /security scheme "key"/,
    );
  });
});

describe("API reference page", () => {
  it("serves HTML and local assets only (no CDN), with a strict CSP", async () => {
    const app = catalogApp();
    for (const path of ["docs", "docs/"]) {
      const res = await app.fetch(new Request(`http://localhost/djust/api/${path}`));
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /text\/html/);
      assert.match(res.headers.get("content-security-policy") ?? "", /script-src 'self'/);
      const html = await res.text();
      assert.doesNotMatch(html, /https?:\/\//, "no external URLs");
      assert.match(html, /src="\/djust\/api\/docs\/docs\.js"/);
      assert.match(html, /data-spec="\/djust\/api\/openapi\.json"/);
    }
    const js = await app.fetch(new Request("http://localhost/djust/api/docs/docs.js"));
    assert.equal(js.status, 200);
    assert.match(js.headers.get("content-type") ?? "", /javascript/);
    const source = await js.text();
    assert.doesNotMatch(source, /https?:\/\//);
    assert.doesNotMatch(source, /innerHTML/);
    new Function(source); // parses
    const css = await app.fetch(new Request("http://localhost/djust/api/docs/docs.css"));
    assert.match(css.headers.get("content-type") ?? "", /text\/css/);
  });

  it("renders every operation of the document in a DOM", async () => {
    const { Window } = await import("happy-dom");
    const app = catalogApp();
    const html = await (await app.fetch(new Request("http://localhost/djust/api/docs"))).text();
    const js = await (
      await app.fetch(new Request("http://localhost/djust/api/docs/docs.js"))
    ).text();
    const window = new Window({ url: "http://localhost/djust/api/docs" });
    const document = window.document;
    document.write(html.replace(/<script[^>]*><\/script>/, ""));
    const spec = await (
      await app.fetch(new Request("http://localhost/djust/api/openapi.json"))
    ).json();
    (window as unknown as { fetch: unknown }).fetch = async () => ({
      ok: true,
      json: async () => spec,
    });
    window.eval(js);
    await new Promise((r) => setTimeout(r, 50));
    const text = document.body.textContent ?? "";
    for (const path of Object.keys(spec.paths)) assert.ok(text.includes(`/djust/api${path}`), path);
    assert.ok(text.includes("Create an order from line items."));
    assert.equal(document.querySelectorAll("details.op").length, Object.keys(spec.paths).length);
    assert.equal(document.querySelectorAll("details.deprecated").length, 1);
    await window.happyDOM.close();
  });
});
