/**
 * The notifications panel: a sticky nested live view in the shared layout. It listens to the
 * orders topic and shows the last few changes; live navigation between the app's pages keeps it
 * (same element, same state, not mounted again), and a reconnect restores it from its snapshot.
 * @module
 */
import { eventHandler, LiveView } from "../../../src/index.js";
import { ORDERS_TOPIC } from "./orders.js";

/** One change, as the panel shows it. */
export interface OrderEvent {
  readonly text: string;
  /** UTC time of day, `HH:MM:SS`. */
  readonly at: string;
}

/** How many changes the panel keeps. */
export const NOTIFICATIONS_KEPT = 5;

export class NotificationsView extends LiveView {
  static override templateName = "notifications.html";
  static override apiName = "notifications";

  events: OrderEvent[] = [];

  override async mount(): Promise<void> {
    await this.subscribe(ORDERS_TOPIC);
  }

  /** An order changed, in this tab or another (or on another node). */
  override handleInfo(message: unknown): void {
    const change = message as { id?: number; status?: string; by?: string };
    if (typeof change.id !== "number") return;
    const text = `#${change.id} → ${change.status ?? "changed"} (${change.by ?? "someone"})`;
    const at = new Date().toISOString().slice(11, 19);
    this.events = [{ text, at }, ...this.events].slice(0, NOTIFICATIONS_KEPT);
  }

  @eventHandler
  clear() {
    this.events = [];
  }
}
