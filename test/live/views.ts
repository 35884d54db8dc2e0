/**
 * Views used by the live transport tests.
 */
import { z } from "zod";
import { LiveView, eventHandler, permissionRequired, type Params } from "../../src/index.js";
import type { RenderContext, Rendered } from "../../src/render/tree.js";
import { html } from "../../src/template/html.js";

/** Counts mounts across instances, to prove a restore skips `mount`. */
export const mounts = { counter: 0, priv: 0 };

export class CounterView extends LiveView {
  count = 0;
  page = "1";
  label = "static label";

  override mount(): void {
    mounts.counter++;
  }

  override handleParams(params: Params): void {
    this.page = typeof params.page === "string" ? params.page : "1";
  }

  @eventHandler
  inc() {
    this.count++;
    return this.count;
  }

  @eventHandler({ params: z.object({ by: z.number().int() }) })
  add({ by }: { by: number }) {
    this.count += by;
    return { count: this.count };
  }

  @eventHandler
  boom() {
    this.count = 100;
    throw new Error("kaboom");
  }

  @eventHandler
  effects() {
    this.pushEvent("highlight", { id: 7 });
    this.pageTitle = "New title";
    this.putFlash("info", "Saved!");
  }

  @eventHandler
  nav() {
    this.pushNavigate("/other/");
  }

  @eventHandler
  away() {
    this.redirect("https://example.com/");
  }

  @eventHandler
  next_page() {
    this.pushPatch("/?page=2");
  }

  _secret() {
    return "private";
  }

  override render(a: RenderContext): Rendered {
    const flash = a.flash as Record<string, string>;
    return html`<div><p>${a.label}</p><span id="count">${a.count}</span><i>${a.page}</i>${flash.info ? html`<b>${flash.info}</b>` : ""}</div>`;
  }
}

export class FormView extends LiveView {
  saved: { name: string; qty: number } | null = null;

  @eventHandler({ params: z.object({ name: z.string().min(1), qty: z.number().int() }) })
  save(values: { name: string; qty: number }) {
    this.saved = values;
  }

  override render(a: RenderContext): Rendered {
    const saved = a.saved as { name: string; qty: number } | null;
    return html`<form dj-submit="save">${saved ? html`<p>${saved.name} × ${saved.qty}</p>` : ""}</form>`;
  }
}

class FakeClient {
  readonly created = Date.now();
}

/** Private field filled by mount, no setup: the restore rule re-runs mount. */
export class PrivateView extends LiveView {
  count = 0;
  mountedWith = "";
  _client?: FakeClient;

  override mount(): void {
    mounts.priv++;
    this._client = new FakeClient();
    this.mountedWith = "fresh";
  }

  @eventHandler
  inc() {
    if (!this._client) throw new Error("no client");
    this.count++;
  }

  override render(a: RenderContext): Rendered {
    return html`<p>${a.count}</p>`;
  }
}

/** A public field holding a class instance: cannot be snapshotted. */
export class LeakyView extends LiveView {
  count = 0;
  client: FakeClient | null = null;

  override mount(): void {
    this.client = new FakeClient();
  }

  @eventHandler
  inc() {
    this.count++;
  }

  override render(a: RenderContext): Rendered {
    return html`<p>${a.count}</p>`;
  }
}

export class SecretView extends LiveView {
  static override loginRequired = true;
  override render(): Rendered {
    return html`<p>secret</p>`;
  }
}

export class StaffView extends LiveView {
  static override permissionRequired = "staff.view";
  override render(): Rendered {
    return html`<p>staff</p>`;
  }
}

export class CrashView extends LiveView {
  override mount(): void {
    throw new Error("database is down");
  }
  override render(): Rendered {
    return html`<p>never</p>`;
  }
}

export class ChatView extends LiveView {
  lines: string[] = [];

  override async mount(): Promise<void> {
    await this.subscribe("room");
  }

  override handleInfo(message: unknown): void {
    this.lines.push(String((message as { text?: string }).text));
  }

  @eventHandler({ params: z.object({ text: z.string() }) })
  async say({ text }: { text: string }) {
    await this.broadcast("room", { text });
  }

  override render(a: RenderContext): Rendered {
    return html`<ul>${(a.lines as string[]).map((l) => html`<li>${l}</li>`)}</ul>`;
  }
}

export class OtherView extends LiveView {
  override render(): Rendered {
    return html`<p>other</p>`;
  }
}

export class RefundView extends LiveView {
  done = false;
  @eventHandler
  @permissionRequired("orders.refund")
  refund() {
    this.done = true;
  }
  override render(a: RenderContext): Rendered {
    return html`<p>${a.done ? "refunded" : "open"}</p>`;
  }
}

/** A row of {@link FeedView}. */
export interface FeedRow {
  id: number;
  name: string;
  qty: number;
}

/**
 * A feed of 1,000 rows updated as immutable-style code does (`[...rows, row]`, `filter`), as a
 * rolling window (`shift()` and `push(row)`), and in place (`find(…).qty++`).
 */
export class FeedView extends LiveView {
  rows: FeedRow[] = Array.from({ length: 1000 }, (_, id) => ({ id, name: `row ${id}`, qty: 0 }));
  next = 1000;

  #row(): FeedRow {
    const id = this.next++;
    return { id, name: `row ${id}`, qty: 0 };
  }

  @eventHandler
  append() {
    this.rows = [...this.rows, this.#row()];
  }

  @eventHandler
  drop() {
    const first = this.rows[0]!.id;
    this.rows = this.rows.filter((r) => r.id !== first);
  }

  @eventHandler
  roll() {
    this.rows.shift();
    this.rows.push(this.#row());
  }

  @eventHandler
  bump() {
    this.rows.find((r) => r.id === 500)!.qty++;
  }

  override render() {
    return html`<ul>${this.rows.map((r) => html`<li>${r.name} ${r.qty}</li>`)}</ul>`;
  }
}
