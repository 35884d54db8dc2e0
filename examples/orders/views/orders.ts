/**
 * The home page: the order list with status updates and refunds, kept in sync across every
 * open tab (and every node, with Redis) by pub/sub. The rows are a stream: the view sends each
 * row when it changes and keeps none of them (only the count and the total are state).
 * @module
 */
import { z } from "zod";
import {
  eventHandler,
  permissionRequired,
  rateLimit,
  ValidationError,
  type LiveRequest,
  type Params,
} from "../../../src/index.js";
import { STATUSES, type OrderRow, type OrderStatus, type OrdersDb } from "../db.js";
import { AppView } from "./base.js";

/** Pub/sub topic of order changes. */
export const ORDERS_TOPIC = "orders";

/** Lists orders; `?status=` filters (a live patch, no reload). */
export class OrdersView extends AppView {
  static override page = "orders";
  static override templateName = "orders.html";
  static override apiName = "orders";
  static override streams = { orders: { domId: (order: OrderRow) => `order-${order.id}` } };

  status: OrderStatus | "all" = "all";
  lastChange = "";
  /** How many orders the filter shows, and their total: the rows themselves are not state. */
  count = 0;
  totalCents = 0;
  _db?: OrdersDb;

  override setup(_request: LiveRequest, params: Params): void {
    this._db = params.db as OrdersDb;
  }

  override async mount(): Promise<void> {
    this.pageTitle = "Orders";
    // Recorded during the dead render and active from the join on, restore included.
    await this.subscribe(ORDERS_TOPIC);
  }

  /** Runs at mount, on every filter change and on a restore: the rows go out again in full. */
  override handleParams(params: Params): void {
    const status = params.status;
    this.status = STATUSES.includes(status as OrderStatus) ? (status as OrderStatus) : "all";
    const rows = this.#rows();
    this.stream("orders", rows, { reset: true });
    this.#summarize(rows);
  }

  /** Another tab (or node) changed or created order `id`: send that row alone. */
  override handleInfo(message: unknown): void {
    const change = message as { id?: number; status?: string; by?: string };
    this.lastChange = `Order #${change.id} is now ${change.status} (by ${change.by ?? "someone"})`;
    if (typeof change.id === "number") this.#refreshRow(change.id);
  }

  #rows(): OrderRow[] {
    return this._db?.orders(this.status === "all" ? undefined : this.status) ?? [];
  }

  #summarize(rows: readonly OrderRow[]): void {
    this.count = rows.length;
    this.totalCents = rows.reduce((sum, o) => sum + o.amount_cents * o.qty, 0);
  }

  /** Inserts, updates or removes the row of order `id` as the filter now sees it. */
  #refreshRow(id: number): void {
    const row = this._db?.order(id);
    if (row && (this.status === "all" || row.status === this.status)) {
      // A new order goes on top (the list is newest first); a known one is updated in place.
      this.streamInsert("orders", row, { at: 0 });
    } else {
      this.streamDelete("orders", { id });
    }
    this.#summarize(this.#rows());
  }

  override getContextData(): Record<string, unknown> {
    return {
      ...super.getContextData(),
      statuses: STATUSES,
      total: (this.totalCents / 100).toFixed(2),
    };
  }

  @eventHandler({
    exposeApi: true,
    description: "Move an order to another status.",
    params: z.object({ order_id: z.number().int(), status: z.enum(STATUSES) }),
  })
  @permissionRequired("orders.change_order")
  @rateLimit({ rate: 5, burst: 20 })
  async update_status({ order_id, status }: { order_id: number; status: OrderStatus }) {
    if (status === "refunded") {
      throw new ValidationError("Use the refund action to refund an order.", "status");
    }
    this.#change(order_id, status);
    return { order_id, status };
  }

  @eventHandler({
    exposeApi: true,
    description: "Refund an order.",
    params: z.object({ order_id: z.number().int() }),
  })
  @permissionRequired("orders.refund_order")
  async refund({ order_id }: { order_id: number }) {
    this.#change(order_id, "refunded");
    this.putFlash("info", `Order #${order_id} refunded.`);
    return { order_id, status: "refunded" };
  }

  #change(id: number, status: OrderStatus): void {
    const db = this._db;
    if (!db?.setStatus(id, status)) {
      this.putFlash("error", `Order #${id} not found.`);
      return;
    }
    this.#refreshRow(id);
    const by = (this.user as { username?: string } | null)?.username ?? "anonymous";
    void this.broadcast(ORDERS_TOPIC, { id, status, by });
  }
}
