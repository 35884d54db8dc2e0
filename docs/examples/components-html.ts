// The same with html``: liveComponent(Class, { id, ...assigns }) places a component; the
// component's render() returns one root element and targets itself with `myself`.
import { LiveComponent, LiveView, eventHandler, html, liveComponent } from "../../src/index.js";
import type { RenderContext, Rendered } from "../../src/index.js";

export class Stars extends LiveComponent {
  id = "";
  rating = 0;

  override render(assigns: RenderContext): Rendered {
    return html`<span class="stars">
      ${assigns.label}: ${"★".repeat(assigns.rating as number)}
      <button dj-click="up" dj-target=${assigns.myself}>+</button>
    </span>`;
  }

  @eventHandler
  up() {
    this.rating = Math.min(5, this.rating + 1);
  }
}

export class ReviewView extends LiveView {
  dishes = ["Soup", "Pie"];

  override render(assigns: RenderContext): Rendered {
    return html`<div>
      ${(assigns.dishes as string[]).map((dish) => liveComponent(Stars, { id: dish, label: dish }))}
    </div>`;
  }
}
