// Transport-conditional returns: plain HTTP callers get the data as `result`; WebSocket callers
// get state changes that re-render the page.
import { z } from "zod";
import { LiveView, apiResponse, eventHandler } from "../../src/index.js";
import { AllowAny, createApp } from "../../src/server/index.js";

function computeMetric(metric: string): { metric: string; points: number[]; at: Date } {
  return { metric, points: [3, 1, 4], at: new Date("2025-01-01T00:00:00Z") };
}

class Money {
  constructor(readonly cents: number) {}
}

export class ChartView extends LiveView {
  static override apiAuthClasses = [AllowAny]; // public, read-only data
  chartData: { metric: string; points: number[] } | null = null;

  @eventHandler({ exposeApi: true, params: z.object({ metric: z.string() }) })
  get_chart_data({ metric }: { metric: string }) {
    const data = computeMetric(metric);
    if (this.httpRequest) {
      // Plain HTTP caller wants the raw data; `assigns` will be {}.
      return apiResponse({ result: data });
    }
    // WebSocket caller: update state and let djust patch the page.
    this.chartData = { metric, points: data.points };
    return undefined;
  }

  @eventHandler({ exposeApi: true, params: z.object({ name: z.string() }) })
  create_report({ name }: { name: string }) {
    return apiResponse({ result: { id: 7, name }, status: 201 });
  }

  @eventHandler({ exposeApi: true })
  balance() {
    return apiResponse({
      result: new Money(1999),
      serialize: (money) => ({ amount: (money.cents / 100).toFixed(2), currency: "EUR" }),
    });
  }
}

export const app = createApp({ secretKey: "docs-example-secret" }).register(ChartView);
