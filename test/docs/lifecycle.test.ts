/**
 * docs/lifecycle.md's examples run: the on-mount hook and the timers/tasks of the dashboard,
 * and OpenTelemetry-style spans from the djust:* tracing channels.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LiveViewTestClient } from "../../src/testing/index.js";
import { app, DashboardView } from "../../docs/examples/lifecycle-hooks.js";
import { traceDjust, type Span } from "../../docs/examples/lifecycle-telemetry.js";
import { CustomerView } from "../../docs/examples/lifecycle-async.js";
import { app as documents, DocumentView } from "../../docs/examples/lifecycle-presence.js";
import { MemoryPubSub } from "../../src/pubsub/memory.js";

const until = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check(), what);
};

describe("docs/lifecycle.md examples", () => {
  it("assignAsync: the page shows loading, the join loads both fields, reload keeps the last", async () => {
    const view = await LiveViewTestClient.mount(CustomerView);
    assert.equal(view.restored, true);
    await until(() => (view.assigns.customer as { ok: boolean }).ok, "the customer loaded");
    assert.match(view.render(), /<h1>Ada<\/h1><p>3 orders<\/p>/);
    assert.match(view.render(), /<li>INV-1<\/li><li>INV-2<\/li>/);
    const reload = await view.click("reload");
    assert.match(JSON.stringify(reload.diff), /loading…/);
    assert.match(view.render(), /Ada/, "the last result stays while reloading");
    await until(() => !(view.assigns.customer as { loading: boolean }).loading, "reloaded");
    await view.close();
  });

  it("presence: two users on one document see each other, and one leaving", async () => {
    const pubsub = new MemoryPubSub();
    const open = (id: number) =>
      LiveViewTestClient.mount(DocumentView, { params: { id: "7" }, user: { id }, pubsub });
    const ada = await open(1);
    assert.deepEqual(ada.assigns.viewers, ["1"]);
    const bo = await open(2);
    assert.deepEqual(bo.assigns.viewers, ["1", "2"]);
    await until(() => (ada.assigns.viewers as string[]).length === 2, "ada sees bo");
    assert.match(ada.render(), /Also here: 1, 2/);
    await bo.close();
    await until(() => (ada.assigns.viewers as string[]).length === 1, "bo left");
    await ada.close();
  });

  it("presence: the app serves the document page", async () => {
    const page = await documents.fetch(new Request("http://app.test/documents/7/"));
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Document 7/);
    await documents.close();
  });

  it("the hook sends anonymous visitors to the login page and lets users in", async () => {
    const away = await app.fetch(new Request("http://app.test/dashboard/"));
    assert.equal(away.status, 302);
    assert.equal(away.headers.get("location"), "/login/?next=%2Fdashboard%2F");
    const { cookie } = await app.sessions.login({ id: 7 });
    const page = await app.fetch(
      new Request("http://app.test/dashboard/", { headers: { cookie } }),
    );
    assert.equal(page.status, 200);
    assert.match(await page.text(), /loading…/);
  });

  it("the dashboard loads its report in the background", async () => {
    const view = await LiveViewTestClient.mount(DashboardView, { user: { id: 7 } });
    for (let i = 0; i < 100 && view.assigns.report !== "42 orders today"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.equal(view.assigns.report, "42 orders today");
    await view.close();
  });

  it("turns every traced operation into an ended span with djust's attributes", async () => {
    const spans: { name: string; attributes: Record<string, string>; ended: boolean }[] = [];
    const stop = traceDjust({
      startSpan(name, options): Span {
        const span = { name, attributes: { ...options.attributes }, ended: false };
        spans.push(span);
        return {
          setAttribute: (key, value) => void (span.attributes[key] = value),
          recordException: () => undefined,
          end: () => void (span.ended = true),
        };
      },
    });
    try {
      const { cookie } = await app.sessions.login({ id: 7 });
      const page = await app.fetch(
        new Request("http://app.test/dashboard/", { headers: { cookie } }),
      );
      assert.equal(page.status, 200);
    } finally {
      stop();
    }
    const mount = spans.find((s) => s.name === "djust mount");
    assert.deepEqual(mount, {
      name: "djust mount",
      attributes: {
        "djust.transport": "http",
        "djust.view": "DashboardView",
        "djust.outcome": "ok",
      },
      ended: true,
    });
    assert.ok(spans.some((s) => s.name === "djust render" && s.ended));
    assert.ok(
      spans.every((s) => s.ended),
      JSON.stringify(spans),
    );
  });
});
