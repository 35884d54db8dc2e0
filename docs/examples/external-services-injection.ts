// Pattern 3: dependency injection with liveSession. Each service reaches setup/mount as a param
// on every transport (page, WebSocket, HTTP API); tests pass fakes the same way.
import { LiveView, eventHandler, type LiveRequest, type Params } from "../../src/index.js";
import { createApp, liveSession } from "../../src/server/index.js";

export interface Metric {
  name: string;
  value: number;
}

export interface MetricsClient {
  getRecent(limit: number): Promise<Metric[]>;
}

/** The real client factory: called per view instance with the request. */
export function getMetricsClient(_request: LiveRequest): MetricsClient {
  return {
    async getRecent(limit) {
      return Array.from({ length: Math.min(limit, 3) }, (_, i) => ({
        name: `cpu${i}`,
        value: i * 10,
      }));
    },
  };
}

export class DashboardView extends LiveView {
  static override templateName = "dashboard.html";

  metrics: Metric[] = [];
  _metricsClient?: MetricsClient; // private: not serialized

  // setup runs on every new instance (page load, join, restore, API call): wire services here.
  override setup(_request: LiveRequest, params: Params) {
    this._metricsClient = params.metricsClient as MetricsClient | undefined;
  }

  override async mount() {
    if (this._metricsClient) this.metrics = await this._metricsClient.getRecent(20);
  }

  @eventHandler
  async refresh_metrics() {
    if (this._metricsClient) this.metrics = await this._metricsClient.getRecent(20);
  }
}

export const app = createApp({
  secretKey: "docs-example-secret",
  templateDirs: [new URL("./templates", import.meta.url).pathname],
});
app.live("/dashboard/", liveSession(DashboardView, { metricsClient: getMetricsClient }));
