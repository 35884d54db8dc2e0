/**
 * docs/lifecycle.md's examples run: the on-mount hook and the timers/tasks of the dashboard,
 * and OpenTelemetry-style spans from the djust:* tracing channels.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LiveViewTestClient } from "../../src/testing/index.js";
import { app, DashboardView } from "../../docs/examples/lifecycle-hooks.js";
import { traceDjust, type Span } from "../../docs/examples/lifecycle-telemetry.js";

describe("docs/lifecycle.md examples", () => {
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
