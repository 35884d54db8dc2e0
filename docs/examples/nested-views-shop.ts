// A shop page with two nested live views: the cart (its own state and events, mounted with a
// session the page signs) and a help chat that stays while the visitor moves between pages.
import { z } from "zod";
import {
  LiveView,
  eventHandler,
  html,
  liveRender,
  type LiveRequest,
  type Params,
  type Rendered,
} from "../../src/index.js";
import { createApp } from "../../src/server/index.js";

export class CartView extends LiveView {
  currency = "USD";
  items = 0;

  override mount(_request: LiveRequest, params: Params): void {
    // The `session` of liveRender arrives as params; it is signed into the page.
    if (typeof params.currency === "string") this.currency = params.currency;
  }

  @eventHandler
  add() {
    this.items++; // re-renders the cart only, never the page around it
  }

  override render(): Rendered {
    return html`<p>${this.items} items (${this.currency})
      <button dj-click="add">Add</button></p>`;
  }
}

export class ChatView extends LiveView {
  messages: string[] = [];

  @eventHandler({ params: z.object({ text: z.string().min(1).max(500) }) })
  send({ text }: { text: string }) {
    this.messages = [...this.messages.slice(-19), text];
  }

  override render(): Rendered {
    return html`<aside>
      <ul>${this.messages.map((m) => html`<li>${m}</li>`)}</ul>
      <form dj-submit="send"><input name="text"><button>Send</button></form>
    </aside>`;
  }
}

export class ShopView extends LiveView {
  override render(): Rendered {
    return html`<h1>Shop</h1>
      <a href="/help/" data-phx-link="redirect" data-phx-link-state="push">Help</a>
      ${liveRender(CartView, { id: "cart", session: { currency: "EUR" } })}
      ${liveRender(ChatView, { id: "chat", sticky: true })}`;
  }
}

export class HelpView extends LiveView {
  override render(): Rendered {
    // The same sticky id: the chat the visitor had open comes along, state and all.
    return html`<h1>Help</h1> ${liveRender(ChatView, { id: "chat", sticky: true })}`;
  }
}

export const app = createApp({ secretKey: process.env.DJUST_SECRET_KEY ?? "dev" });
app.live("/shop/", ShopView).live("/help/", HelpView);
// Children are registered views: their tokens name them, and a join finds them by name.
app.register(CartView).register(ChatView);
