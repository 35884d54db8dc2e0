// Exposing handlers over HTTP: the same handler, security model and validation as the
// WebSocket transport, callable with plain JSON.
import { z } from "zod";
import {
  LiveView,
  eventHandler,
  permissionRequired,
  rateLimit,
  type User,
} from "../../src/index.js";
import { createApp } from "../../src/server/index.js";

/** Stand-in for your database. */
export const orders = new Map<number, { status: string }>([
  [42, { status: "pending" }],
  [43, { status: "shipped" }],
]);

export class OrderView extends LiveView {
  // Slug: apiName, else the route name, else the class name without "View" → "order".
  lastUpdated: number | null = null;

  @eventHandler({
    exposeApi: true,
    description: "Mark an order as shipped. Idempotent.",
    params: z.object({ order_id: z.number().int(), status: z.string() }),
    result: z.object({ order_id: z.number().int(), status: z.string() }),
  })
  update_status({ order_id, status }: { order_id: number; status: string }) {
    const order = orders.get(order_id);
    if (!order) throw new Error(`no order ${order_id}`);
    order.status = status;
    this.lastUpdated = order_id; // changed public state comes back in `assigns`
    return { order_id, status };
  }

  @eventHandler({
    exposeApi: true,
    params: z.object({ order_id: z.number().int(), reason: z.string().default("") }),
  })
  @permissionRequired("orders.change_order")
  @rateLimit({ rate: 1, burst: 60 }) // 60 at once, then one per second; shared with WebSocket
  refund({ order_id, reason }: { order_id: number; reason: string }) {
    const order = orders.get(order_id);
    if (order) order.status = "refunded";
    return { order_id, refunded: true, reason };
  }
}

const users = new Map<number, User>([
  [1, { id: 1, permissions: new Set(["orders.change_order"]) }],
  [2, { id: 2, permissions: new Set() }],
]);

export const app = createApp({
  secretKey: process.env.DJUST_SECRET_KEY ?? "docs-example-secret",
  loadUser: (id) => users.get(Number(id)) ?? null,
});

// API only; app.live("/orders/", OrderView) would also serve it as a page.
app.register(OrderView);
