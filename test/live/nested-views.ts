/**
 * Nested live views (`{% live_render %}` / `liveRender`), for the tests over WebSocket and in
 * Chromium: a page (template file) and a second page (html``) that each render a counter child
 * and a sticky notes child; mounts are counted to tell a restore from a re-mount.
 */
import { z } from "zod";
import { eventHandler, html, LiveView, liveRender, type Params } from "../../src/index.js";
import type { Rendered } from "../../src/render/tree.js";

/** How often each view's `mount` ran. */
export const mounts = { pageA: 0, pageB: 0, counter: 0, notes: 0 };

/** Page A: a template file placing a counter child (with a session) and the sticky notes. */
export class PageAView extends LiveView {
  static override templateName = "nested_page.html";
  clicks = 0;
  counter_session = { start: 5 };

  override mount(): void {
    mounts.pageA++;
  }

  @eventHandler
  click() {
    this.clicks++;
  }
}

/** Page B: the same children written with html``; the counter child starts at 0. */
export class PageBView extends LiveView {
  visits = 1;

  override mount(): void {
    mounts.pageB++;
  }

  @eventHandler
  visit() {
    this.visits++;
  }

  override render(): Rendered {
    return html`<section id="page-b">
      <h1>Page B</h1>
      <p id="visits">Visits: ${this.visits}</p>
      <a id="to-a" href="/" data-phx-link="redirect" data-phx-link-state="push">To page A</a>
      ${liveRender(CounterChildView, { id: "counter" })}
      ${liveRender(NotesView, { id: "notes", sticky: true })}
    </section>`;
  }
}

/** A non-sticky child: its session's `start` is where it counts from. */
export class CounterChildView extends LiveView {
  count = 0;

  override mount(_request: unknown, params: Params): void {
    mounts.counter++;
    this.count = typeof params.start === "number" ? params.start : 0;
  }

  @eventHandler
  inc() {
    this.count++;
  }

  override render(): Rendered {
    return html`<div class="counter">
      <span id="count">Count: ${this.count}</span>
      <button id="inc" dj-click="inc">+1</button>
    </div>`;
  }
}

/** The sticky child: notes added with its form survive live navigation. */
export class NotesView extends LiveView {
  notes: string[] = [];

  override mount(): void {
    mounts.notes++;
  }

  @eventHandler({ params: z.object({ text: z.string().max(100) }) })
  add({ text }: { text: string }) {
    this.notes.push(text);
  }

  override render(): Rendered {
    return html`<aside class="notes">
      <p id="notes-count">Notes: ${this.notes.length}</p>
      <ul id="notes-list">
        ${this.notes.map((note) => html`<li>${note}</li>`)}
      </ul>
      <button id="add-note" dj-click="add" dj-value-text="note">Add note</button>
    </aside>`;
  }
}

/** A template naming a view the app does not know. */
export class UnknownChildView extends LiveView {
  static override templateName = "nested_unknown.html";
}

/** Two children with one id. */
export class TwiceView extends LiveView {
  override render(): Rendered {
    return html`<div>
      ${liveRender(CounterChildView, { id: "same" })} ${liveRender(CounterChildView, { id: "same" })}
    </div>`;
  }
}
