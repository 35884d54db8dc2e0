// The guides' TypeScript examples are files under docs/examples/: this test checks each guide
// shows them verbatim (with the package's import paths) and runs them.
import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { extname, join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { createClient } from "redis";
import { LiveView, eventHandler, rateLimit } from "../../src/index.js";
import { AllowAny } from "../../src/server/index.js";
import { LiveViewTestClient } from "../../src/testing/index.js";
import { memoryLogger } from "./fixtures.js";
import { startRedis, type TestRedis } from "../support/redis.js";

const ROOT = resolve(import.meta.dirname, "../..");
const EXAMPLES = join(ROOT, "docs", "examples");
const TEMPLATES = join(EXAMPLES, "templates");

const GUIDES: Record<string, string> = {
  "docs/http-api.md": "http-api-",
  "docs/external-services.md": "external-services-",
  "docs/lifecycle.md": "lifecycle-",
  "docs/mounting.md": "mounting-",
  "docs/uploads.md": "uploads-",
  "docs/streams.md": "streams-",
  "docs/nested-views.md": "nested-views-",
  "docs/components.md": "components-",
  "docs/live-views.md": "live-views-",
  "docs/setup.md": "setup-",
  "docs/testing.md": "testing-",
  "docs/deployment.md": "deployment-",
};

/** Examples that are not TypeScript (run by their guide's own test), by extension: their block's language. */
const OTHER_EXAMPLES: Record<string, string> = { ".conf": "nginx", ".Caddyfile": "caddy" };

/** What a reader copies: the example with the package's import specifiers. */
function asPublished(source: string): string {
  return source
    .replaceAll('"../../src/index.js"', '"djust"')
    .replaceAll('"../../src/server/index.js"', '"djust/server"')
    .replaceAll('"../../src/testing/index.js"', '"djust/testing"');
}

/**
 * Rewrites each `<!-- example: name.ts -->` block of a guide from its file. Run the suite with
 * `UPDATE_DOCS=1` after editing an example: `UPDATE_DOCS=1 npm test -- test/api/docs`.
 */
async function syncGuide(path: string): Promise<void> {
  const markdown = await readFile(path, "utf8");
  const blocks = [...markdown.matchAll(/<!-- example: ([\w.-]+) -->(\n```\w+\n[\s\S]*?```)?/g)];
  let out = markdown;
  for (const [whole, name] of blocks.reverse()) {
    const language = name!.endsWith(".ts") ? "ts" : OTHER_EXAMPLES[extname(name!)];
    if (!language) throw new Error(`${path}: no language for the example ${name}`);
    const source = asPublished(await readFile(join(EXAMPLES, name!), "utf8"));
    const replacement = `<!-- example: ${name} -->\n\`\`\`${language}\n${source}\`\`\``;
    const at = out.lastIndexOf(whole);
    out = out.slice(0, at) + replacement + out.slice(at + whole.length);
  }
  if (out !== markdown) await writeFile(path, out);
}

describe("guides include their examples verbatim", () => {
  for (const [guide, prefix] of Object.entries(GUIDES)) {
    it(`${guide} shows every ${prefix}*.ts example, and no untested TypeScript`, async () => {
      if (process.env.UPDATE_DOCS === "1") await syncGuide(join(ROOT, guide));
      const markdown = await readFile(join(ROOT, guide), "utf8");
      const files = (await readdir(EXAMPLES)).filter(
        (f) => f.startsWith(prefix) && f.endsWith(".ts"),
      );
      assert.ok(files.length > 0, `examples for ${guide}`);
      const blocks = [...markdown.matchAll(/<!-- example: ([\w.-]+) -->\n```ts\n([\s\S]*?)```/g)];
      assert.deepEqual(blocks.map((b) => b[1]).sort(), [...files].sort());
      for (const [, name, code] of blocks) {
        const source = await readFile(join(EXAMPLES, name!), "utf8");
        assert.equal(code, asPublished(source), `${guide}: the block for ${name} is out of date`);
        assert.doesNotMatch(code!, /\.\.\/\.\.\/src\//, "published examples import the package");
      }
      // Configuration files (nginx, Caddy) are shown verbatim too.
      const others = (await readdir(EXAMPLES)).filter(
        (f) => f.startsWith(prefix) && extname(f) in OTHER_EXAMPLES,
      );
      for (const name of others) {
        const language = OTHER_EXAMPLES[extname(name)]!;
        const block = new RegExp(
          `<!-- example: ${name.replaceAll(".", "\\.")} -->\\n\`\`\`${language}\\n([\\s\\S]*?)\`\`\``,
        );
        assert.equal(
          block.exec(markdown)?.[1],
          await readFile(join(EXAMPLES, name), "utf8"),
          `${guide}: the block for ${name} is out of date`,
        );
      }
      // Any other ```ts block would be code no test compiles.
      const tsBlocks = [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
      const untested = tsBlocks.filter((code) => !blocks.some((b) => b[2] === code));
      for (const code of untested)
        assert.ok(code!.split("\n").length <= 4, `untested snippet:\n${code}`);
    });
  }
});

describe("docs/examples: HTTP API", () => {
  it("http-api-expose + http-api-call: ship, validation error, permission denied", async () => {
    const { app, orders } = await import("../../docs/examples/http-api-expose.js");
    const { callHandler } = await import("../../docs/examples/http-api-call.js");
    const server = await app.listen(0, "127.0.0.1");
    try {
      const alice = await app.sessions.login({ id: 1 });
      const shipped = await callHandler(
        server.url,
        "order/update_status/",
        { order_id: 42, status: "shipped" },
        alice,
      );
      assert.deepEqual(shipped, {
        ok: true,
        result: { order_id: 42, status: "shipped" },
        assigns: { lastUpdated: 42 },
      });
      assert.equal(orders.get(42)?.status, "shipped");
      const invalid = await callHandler(server.url, "order/update_status/", { status: "x" }, alice);
      assert.deepEqual(invalid, {
        ok: false,
        status: 400,
        error: "validation_error",
        message: "Invalid parameters.",
        details: { order_id: ["This field is required."] },
      });
      const bob = await app.sessions.login({ id: 2 });
      const denied = await callHandler(server.url, "order/refund/", { order_id: 43 }, bob);
      assert.equal(denied.ok ? 200 : denied.status, 403);
      const refunded = await callHandler(server.url, "order/refund/", { order_id: 43 }, alice);
      assert.deepEqual(refunded.ok && refunded.result, {
        order_id: 43,
        refunded: true,
        reason: "",
      });
      const doc = await (await fetch(`${server.url}/djust/api/openapi.json`)).json();
      assert.equal(
        doc.paths["/order/update_status/"].post.description,
        "Mark an order as shipped. Idempotent.",
      );
    } finally {
      await server.close();
    }
  });

  it("http-api-token-auth: bearer token, no CSRF, 401 for a bad token", async () => {
    const { refundWithToken, app } = await import("../../docs/examples/http-api-token-auth.js");
    const ok = await refundWithToken("secret-token-alice", 5);
    assert.equal(ok.status, 200);
    assert.deepEqual(((await ok.json()) as { result: unknown }).result, {
      order_id: 5,
      refunded: true,
      by: "alice",
    });
    assert.equal((await refundWithToken("wrong", 5)).status, 401);
    const doc = await (
      await app.fetch(new Request("http://localhost/djust/api/openapi.json"))
    ).json();
    assert.deepEqual(doc.paths["/refunds/create/"].post.security, [{ bearerAuth: [] }]);
  });

  it("http-api-api-response: data over HTTP, state over WebSocket, 201, serialize", async () => {
    const { app, ChartView } = await import("../../docs/examples/http-api-api-response.js");
    const post = async (path: string, body?: unknown) => {
      const res = await app.fetch(
        new Request(`http://localhost/djust/api/chart/${path}/`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: body === undefined ? null : JSON.stringify(body),
        }),
      );
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };
    assert.deepEqual(await post("get_chart_data", { metric: "cpu" }), {
      status: 200,
      json: {
        result: { metric: "cpu", points: [3, 1, 4], at: "2025-01-01T00:00:00.000Z" },
        assigns: {},
      },
    });
    assert.deepEqual(await post("create_report", { name: "q1" }), {
      status: 201,
      json: { result: { id: 7, name: "q1" }, assigns: {} },
    });
    assert.deepEqual((await post("balance")).json.result, { amount: "19.99", currency: "EUR" });

    class ChartPage extends ChartView {
      static override templateName = "dashboard.html";
    }
    const view = await LiveViewTestClient.mount(ChartPage, {
      templateDirs: [TEMPLATES],
      logger: memoryLogger(),
    });
    await view.click("get_chart_data", { metric: "mem" });
    assert.deepEqual(view.assigns.chartData, { metric: "mem", points: [3, 1, 4] });
    await view.close();
  });

  it("http-api-sessions: login form, CSRF-checked logout, exempt webhook", async () => {
    const { app } = await import("../../docs/examples/http-api-sessions.js");
    const bad = await app.fetch(
      new Request("http://localhost/login/", {
        method: "POST",
        body: new URLSearchParams({ username: "alice", password: "nope" }),
      }),
    );
    assert.equal(bad.status, 401);
    const res = await app.fetch(
      new Request("http://localhost/login/", {
        method: "POST",
        body: new URLSearchParams({ username: "alice", password: "correct horse" }),
      }),
    );
    assert.equal(res.status, 200);
    const { csrfToken } = (await res.json()) as { csrfToken: string };
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    const refused = await app.fetch(
      new Request("http://localhost/logout/", { method: "POST", headers: { cookie } }),
    );
    assert.equal(refused.status, 403);
    const out = await app.fetch(
      new Request("http://localhost/logout/", {
        method: "POST",
        headers: { cookie, "x-csrftoken": csrfToken },
      }),
    );
    assert.equal(out.status, 302);
    const hook = await app.fetch(
      new Request("http://localhost/webhooks/payments/", { method: "POST" }),
    );
    assert.deepEqual(await hook.json(), { received: true });
  });

  describe("http-api-redis (real redis-server)", async () => {
    const started = await startRedis();
    const skip = "skip" in started ? started.skip : false;
    let redis: TestRedis;
    before(() => {
      if (!skip) redis = started as TestRedis;
    });
    after(async () => {
      if (!skip) await redis.stop();
    });

    it("two app instances (two nodes) share one bucket", { skip }, async () => {
      const { createProductionApp } = await import("../../docs/examples/http-api-redis.js");
      class LimitedView extends LiveView {
        static override apiAuthClasses = [AllowAny];
        @eventHandler({ exposeApi: true })
        @rateLimit({ rate: 0.001, burst: 3 })
        hit() {
          return "ok";
        }
      }
      await assert.rejects(createProductionApp(redis.url, ""), {
        message: "DJUST_SECRET_KEY must be set, to the same value on every node",
      });
      const nodeA = await createProductionApp(redis.url, "shared-secret");
      const nodeB = await createProductionApp(redis.url, "shared-secret");
      try {
        nodeA.app.register(LimitedView);
        nodeB.app.register(LimitedView);
        const statuses = [];
        for (const node of [nodeA, nodeB, nodeA, nodeB]) {
          const res = await node.app.fetch(
            new Request("http://localhost/djust/api/limited/hit/", {
              method: "POST",
              headers: { "x-forwarded-for": "203.0.113.7" },
            }),
          );
          statuses.push(res.status);
        }
        assert.deepEqual(statuses, [200, 200, 200, 429]);
        // A session started on node A is valid on node B.
        const { cookie } = await nodeA.app.sessions.login({ id: 5 });
        const session = await nodeB.app.context.sessions.load(
          /djust_session=([^;]+)/.exec(cookie)![1],
        );
        assert.equal(session?.record.userId, 5);
        const probe = createClient({ url: redis.url });
        await probe.connect();
        assert.ok((await probe.keys("myapp:rl:*")).some((k) => k.includes("ip:203.0.113.7")));
        await probe.close();
      } finally {
        await nodeA.close();
        await nodeB.close();
      }
    });
  });
});

describe("docs/examples: external services", () => {
  it("pattern 1: the helper creates clients per call; only results are state", async () => {
    const { S3BrowserView, S3Client } =
      await import("../../docs/examples/external-services-helper.js");
    const logger = memoryLogger();
    const view = await LiveViewTestClient.mount(S3BrowserView, {
      templateDirs: [TEMPLATES],
      logger,
      strictSerialization: true,
    });
    assert.deepEqual(view.assigns.buckets, ["invoices", "photos"]);
    await view.click("select_bucket", { bucket_name: "invoices" });
    assert.deepEqual(view.assigns, {
      buckets: ["invoices", "photos"],
      selected_bucket: "invoices",
      objects: [{ key: "invoices/a.pdf", size: 1200 }],
    });
    assert.match(view.render(), /invoices: 1 objects/);
    assert.ok(S3Client.created >= 2);
    assert.equal(logger.lines.filter((l) => l.level === "warn").length, 0);
    await view.close();
  });

  it("pattern 2: private records exposed just in time; registered classes round-trip", async () => {
    const { ProductCatalogView, ExternalProduct } =
      await import("../../docs/examples/external-services-unmanaged.js");
    const { toWire, toSnapshot, fromSnapshot } = await import("../../src/index.js");
    const view = await LiveViewTestClient.mount(ProductCatalogView, {
      templateDirs: [TEMPLATES],
      strictSerialization: true,
    });
    assert.match(view.render(), /Widget \(W-1\) 9\.99/);
    await view.click("search", { value: "gad" });
    const html = view.render();
    assert.match(html, /Gadget/);
    assert.doesNotMatch(html, /Widget/);
    assert.deepEqual(view.assigns, { search_query: "gad" });
    await view.close();
    const policy = { strict: true, logger: memoryLogger(), view: "X" };
    const product = (await import("../../docs/examples/external-services-unmanaged.js"))
      .fetchProducts;
    const [widget] = await product("widget");
    assert.deepEqual(toWire(widget, "p", policy), {
      id: 1,
      name: "Widget",
      price: "9.99",
      sku: "W-1",
      inStock: true,
    });
    const back = fromSnapshot(toSnapshot(widget, "p", policy));
    assert.ok(back instanceof ExternalProduct);
    assert.equal((back as InstanceType<typeof ExternalProduct>).price.toString(), "9.99");
  });

  it("pattern 3: liveSession injects the client on a page load", async () => {
    const { app } = await import("../../docs/examples/external-services-injection.js");
    const res = await app.fetch(new Request("http://localhost/dashboard/"));
    assert.equal(res.status, 200);
    const page = await res.text();
    assert.match(page, /cpu0=0/);
    assert.match(page, /cpu2=20/);
  });

  it("testing with a fake service", async () => {
    const { testDashboardWithFakeMetrics } =
      await import("../../docs/examples/external-services-testing.js");
    await testDashboardWithFakeMetrics(TEMPLATES);
  });

  it("a client in public state: warning by default, TypeError with the fix in strict mode", async () => {
    const { LeaderboardView, FixedLeaderboardView } =
      await import("../../docs/examples/external-services-strict.js");
    const logger = memoryLogger();
    const loose = await LiveViewTestClient.mount(LeaderboardView, {
      templateDirs: [TEMPLATES],
      logger,
    });
    assert.equal(typeof loose.assigns.redisClient, "string");
    const warning = logger.lines.find((l) => l.level === "warn");
    assert.ok(warning);
    assert.match(warning.message, /RedisLikeClient/);
    assert.match(warning.message, /LeaderboardView\.redisClient/);
    await loose.close();
    await assert.rejects(
      LiveViewTestClient.mount(LeaderboardView, {
        templateDirs: [TEMPLATES],
        logger,
        strictSerialization: true,
      }),
      (error: Error) => error instanceof TypeError && /_redisClient/.test(error.message),
    );
    const fixed = await LiveViewTestClient.mount(FixedLeaderboardView, {
      templateDirs: [TEMPLATES],
      strictSerialization: true,
    });
    assert.deepEqual(fixed.assigns, { metrics: [{ name: "top", value: 1 }] });
    await fixed.close();
  });
});

describe("docs/examples: live views, testing, setup", () => {
  it("live-views-tasks + testing-tasks: forms, flash, title, navigation, hooks", async () => {
    const { testTasksView } = await import("../../docs/examples/testing-tasks.js");
    await testTasksView(TEMPLATES);
  });

  it("live-views-tasks + testing-elements: elements, forms, live links, followRedirect", async () => {
    const { testTasksByElement } = await import("../../docs/examples/testing-elements.js");
    await testTasksByElement(TEMPLATES);
  });

  it("live-views-tasks: the app serves the page with the injected store", async () => {
    const { app, store } = await import("../../docs/examples/live-views-tasks.js");
    store.add("From the store");
    const res = await app.fetch(new Request("http://localhost/tasks/?filter=open"));
    assert.equal(res.status, 200);
    const page = await res.text();
    assert.match(page, /From the store/);
    assert.match(page, /<title>Tasks \(1\)<\/title>/);
  });

  it("live-views-tasks: its template is wired to its handlers (djust check)", async () => {
    const { runChecks } = await import("../../src/checks/index.js");
    const dir = await mkdtemp(join(tmpdir(), "djust-docs-"));
    try {
      const tsconfig = join(dir, "tsconfig.json");
      await writeFile(
        tsconfig,
        JSON.stringify({
          extends: join(ROOT, "tsconfig.json"),
          include: [join(EXAMPLES, "live-views-tasks.ts"), join(EXAMPLES, "setup-app.ts")],
        }),
      );
      const result = runChecks({ project: tsconfig, templateDirs: [TEMPLATES] });
      assert.deepEqual(result.findings, []);
      assert.equal(result.views, 3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("setup-app + setup-main: the page renders and the server starts", async () => {
    const { app } = await import("../../docs/examples/setup-app.js");
    const page = await (await app.fetch(new Request("http://localhost/"))).text();
    assert.match(page, /<p id="count">0<\/p>/);
    const { main } = await import("../../docs/examples/setup-main.js");
    const log = console.log;
    console.log = () => {};
    try {
      const server = await main(0);
      const res = await fetch(`${server.url}/`);
      assert.equal(res.status, 200);
      await server.close();
    } finally {
      console.log = log;
    }
  });
});
