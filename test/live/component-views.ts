/**
 * Views and components shared by the LiveComponent tests: counters placed by a template file
 * (`{% live_component %}`) and by html`` (`liveComponent`), with handlers that go through every
 * step of the pipeline (permission, rate limit, validation).
 */
import { z } from "zod";
import {
  eventHandler,
  html,
  LiveComponent,
  liveComponent,
  LiveView,
  permissionRequired,
  rateLimit,
  type RenderContext,
} from "../../src/index.js";

/** Renders per component id, counted in `getContextData` (called once per render). */
export const renders = new Map<string, number>();
/** Ids of the components whose removal the client confirmed. */
export const unmounted: string[] = [];

export class Counter extends LiveComponent {
  static override templateName = "components/counter.html";
  id = "";
  label = "";
  count = 0;

  override getContextData(): Record<string, unknown> {
    renders.set(this.id, (renders.get(this.id) ?? 0) + 1);
    return {};
  }

  override unmount(): void {
    unmounted.push(this.id);
  }

  @eventHandler
  inc() {
    this.count++;
  }

  @eventHandler({ params: z.object({ by: z.number().int() }) })
  add({ by }: { by: number }) {
    this.count += by;
    return { count: this.count };
  }

  @eventHandler
  @permissionRequired("counters.reset")
  reset() {
    this.count = 0;
  }

  @eventHandler
  @rateLimit({ rate: 0.001, burst: 1 })
  once() {
    this.count += 1000;
  }
}

export class CounterPage extends LiveView {
  static override templateName = "components/page.html";
  title = "Counters";
  counters = ["a", "b", "c"];

  @eventHandler({ params: z.object({ title: z.string() }) })
  rename({ title }: { title: string }) {
    this.title = title;
  }

  @eventHandler
  drop() {
    this.counters.pop();
  }

  @eventHandler({ params: z.object({ name: z.string() }) })
  add({ name }: { name: string }) {
    this.counters.push(name);
  }

  @eventHandler({ params: z.object({ id: z.string(), count: z.number().int() }) })
  poke({ id, count }: { id: string; count: number }) {
    this.sendUpdate(Counter, id, { count });
  }

  /** Never called: `tsc` checks that `sendUpdate` takes component classes only. */
  protected wrongTargets(): void {
    // @ts-expect-error a view class is not a component class
    this.sendUpdate(BigPage, "a", {});
    // @ts-expect-error nor is any other class
    this.sendUpdate(Date, "a", {});
  }
}

/** A second page with more components: its cids are not the first page's. */
export class BigPage extends CounterPage {
  override counters = ["p", "q", "r", "s", "t"];
}

export class Badge extends LiveComponent {
  id = 0;
  clicks = 0;
  text = "";

  override update(assigns: Readonly<Record<string, unknown>>): void {
    this.id = assigns.id as number;
    this.text = String(assigns.text);
  }

  override render(assigns: RenderContext) {
    return html`<span class="badge" dj-click="hit" dj-target=${assigns.myself}
      >${assigns.text}:${assigns.clicks}</span
    >`;
  }

  @eventHandler
  hit() {
    this.clicks++;
  }
}

export class BadgeView extends LiveView {
  names = ["x", "y"];

  override render(assigns: RenderContext) {
    const names = assigns.names as string[];
    return html`<section>
      ${names.map((name, i) => liveComponent(Badge, { id: i, text: name }))}
    </section>`;
  }

  @eventHandler({ params: z.object({ at: z.number().int(), name: z.string() }) })
  rename({ at, name }: { at: number; name: string }) {
    this.names[at] = name;
  }
}
