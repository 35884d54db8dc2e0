/**
 * The order's card on its page: a LiveComponent. The page passes the order in (and again after
 * each refresh); the card keeps its own state — whether its extra details are open — and handles
 * its own event, so opening them re-renders the card alone. That state is part of the page's
 * snapshot: a reconnect or another node shows the card as it was.
 * @module
 */
import { eventHandler, LiveComponent } from "../../../src/index.js";
import type { OrderRow } from "../db.js";

export class OrderCard extends LiveComponent {
  static override templateName = "order_card.html";

  id = 0;
  order: OrderRow | null = null;
  detailsOpen = false;
  /** When the order was made, as a `Date` for the template's `date` filter. */
  created: Date | null = null;

  /** The page places the card with the order it read (`id=order.id order=order`). */
  override update(assigns: Readonly<Record<string, unknown>>): void {
    this.id = assigns.id as number;
    // A copy: the card's state is its own, not a second path to the page's.
    this.order = { ...(assigns.order as OrderRow) };
    this.created = new Date(this.order.created_at);
  }

  @eventHandler
  toggle_details() {
    this.detailsOpen = !this.detailsOpen;
  }
}
