// Testing views that use services: inject a fake through the same params.
import assert from "node:assert/strict";
import { LiveViewTestClient } from "../../src/testing/index.js";
import { DashboardView, type MetricsClient } from "./external-services-injection.js";

export async function testDashboardWithFakeMetrics(templateDir: string): Promise<void> {
  const fake: MetricsClient = {
    getRecent: async () => [{ name: "fake", value: 1 }],
  };
  const view = await LiveViewTestClient.mount(DashboardView, {
    services: { metricsClient: fake },
    templateDirs: [templateDir],
  });
  assert.deepEqual(view.assigns.metrics, [{ name: "fake", value: 1 }]);
  assert.match(view.render(), /fake=1/);
  await view.close();
}
