/**
 * A live form: validated on every change (`dj-change`), saved on submit (`dj-submit`).
 * @module
 */
import { z } from "zod";
import {
  emptyForm,
  eventHandler,
  form,
  type FormState,
  type LiveRequest,
  type Params,
} from "../../../src/index.js";
import type { OrdersDb } from "../db.js";
import { AppView } from "./base.js";
import { ORDERS_TOPIC } from "./orders.js";

/** What a new order needs. */
export const NewOrderSchema = z.object({
  customer: z
    .string()
    .trim()
    .min(2, "Enter the customer's name (2 characters or more).")
    .max(80, "At most 80 characters."),
  item: z.string().trim().min(1, "What was ordered?").max(120, "At most 120 characters."),
  qty: z.number().int("Whole items only.").min(1, "At least 1.").max(100, "At most 100."),
  amount: z.number().positive("The price must be more than 0.").max(100_000),
});

const BLANK = { customer: "", item: "", qty: "1", amount: "" };

/** The new-order form. */
export class NewOrderView extends AppView {
  static override page = "new";
  static override templateName = "new_order.html";

  form: FormState<unknown> = emptyForm(BLANK);
  created: number[] = [];
  _db?: OrdersDb;

  override setup(_request: LiveRequest, params: Params): void {
    this._db = params.db as OrdersDb;
  }

  override mount(): void {
    this.pageTitle = "New order";
  }

  @eventHandler({ params: "any" })
  async validate(params: Record<string, unknown>) {
    this.form = await form(NewOrderSchema, params, { previous: this.form });
  }

  @eventHandler({ params: "any" })
  async save(params: Record<string, unknown>) {
    const checked = await form(NewOrderSchema, params, { submitted: true });
    if (!checked.valid || !checked.data) {
      this.form = checked;
      return { saved: false };
    }
    const data = checked.data as z.infer<typeof NewOrderSchema>;
    const id = this._db!.insert({
      customer: data.customer,
      item: data.item,
      qty: data.qty,
      amount_cents: Math.round(data.amount * 100),
    });
    this.created.push(id);
    this.form = emptyForm(BLANK);
    this.putFlash("info", `Order #${id} created.`);
    await this.broadcast(ORDERS_TOPIC, { id, status: "pending", by: "the new-order form" });
    return { saved: true, id };
  }
}
