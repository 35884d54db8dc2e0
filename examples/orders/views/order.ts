/**
 * One order's page: the order itself, the customer's history loaded in the background
 * (`assignAsync`), a periodic refresh (`sendAfter`) and who else is viewing it (presence).
 * @module
 */
import {
  asyncLoading,
  presenceList,
  NotFound,
  type AsyncResult,
  type LiveRequest,
  type Params,
  type PresenceDiff,
} from "../../../src/index.js";
import type { OrderRow, OrdersDb } from "../db.js";
import { AppView } from "./base.js";

/** How often the page re-reads the order, and how slow the history is made to look. */
export interface OrderTiming {
  readonly refreshMs: number;
  readonly historyDelayMs: number;
}

/** The customer's other orders. */
export interface CustomerHistory {
  orders: number;
  total: number;
  others: { id: number; item: string; status: string }[];
}

/** Someone on the page: a user (or "guest"), with how many tabs. */
export interface Viewer {
  name: string;
  tabs: number;
}

/** `/orders/:id/`. */
export class OrderView extends AppView {
  static override page = "orders";
  static override templateName = "order.html";
  static override apiName = "order";

  orderId = 0;
  order: OrderRow | null = null;
  history: AsyncResult<CustomerHistory> = asyncLoading();
  viewers: Viewer[] = [];
  refreshedAt = "";
  _db?: OrdersDb;
  _timing?: OrderTiming;

  override setup(_request: LiveRequest, params: Params): void {
    this._db = params.db as OrdersDb;
    this._timing = params.timing as OrderTiming;
  }

  override mount(_request: LiveRequest, params: Params): void {
    this.orderId = Number(params.id);
    this.#reload();
    if (!this.order) throw new NotFound(`There is no order #${String(params.id)}.`);
    this.pageTitle = `Order #${this.orderId}`;
    void this.subscribe(this.topic);
    this.viewers = this.#viewers();
    const customer = this.order.customer;
    this.assignAsync("history", async (signal) => ({
      history: await this.#history(customer, signal),
    }));
  }

  /** Each join — the page's, a reconnect's on any node: track this tab, start the refresh. */
  override joined(): void {
    const username = (this.user as { username?: unknown } | null)?.username;
    const name = typeof username === "string" ? username : "guest";
    this.track(this.topic, name, { since: new Date().toISOString() });
    this.viewers = this.#viewers();
    this.sendAfter(this._timing?.refreshMs ?? 5000, "refresh");
  }

  override handleInfo(message: unknown): void {
    if (message === "refresh") {
      this.#reload();
      this.sendAfter(this._timing?.refreshMs ?? 5000, "refresh"); // the next tick
      return;
    }
    if ((message as PresenceDiff).event === "presence_diff") this.viewers = this.#viewers();
  }

  /** The presence topic of this order. */
  get topic(): string {
    return `order:${this.orderId}`;
  }

  #reload(): void {
    this.order = this._db?.order(this.orderId) ?? null;
    this.refreshedAt = new Date().toISOString().slice(11, 19);
  }

  #viewers(): Viewer[] {
    return Object.entries(presenceList(this, this.topic))
      .map(([name, { metas }]) => ({ name, tabs: metas.length }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** A slow query, as a report or a remote API would be. */
  async #history(customer: string, signal: AbortSignal): Promise<CustomerHistory> {
    await new Promise((resolve) => setTimeout(resolve, this._timing?.historyDelayMs ?? 300));
    signal.throwIfAborted();
    const rows = (this._db?.orders() ?? []).filter((o) => o.customer === customer);
    return {
      orders: rows.length,
      total: Math.round(rows.reduce((sum, o) => sum + o.amount, 0) * 100) / 100,
      others: rows
        .filter((o) => o.id !== this.orderId)
        .map((o) => ({ id: o.id, item: o.item, status: o.status })),
    };
  }
}
