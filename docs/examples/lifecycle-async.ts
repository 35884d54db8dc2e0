import {
  LiveView,
  asyncLoading,
  eventHandler,
  html,
  type AsyncResult,
  type Rendered,
} from "../../src/index.js";

interface Customer {
  name: string;
  orders: number;
}

export class CustomerView extends LiveView {
  // The dead render shows these; a connected view's loader fills them.
  customer: AsyncResult<Customer> = asyncLoading();
  invoices: AsyncResult<string[]> = asyncLoading();

  override mount() {
    this.load();
  }

  @eventHandler
  reload() {
    this.load(); // the last result stays shown while it reloads
  }

  load() {
    // One loader for two fields: each gets its value, or both fail together.
    this.assignAsync(["customer", "invoices"], async (signal) => ({
      customer: await fetchCustomer(signal),
      invoices: ["INV-1", "INV-2"],
    }));
  }

  override render(): Rendered {
    const c = this.customer;
    return html`
      ${c.loading ? html`<p class="spinner">loading…</p>` : ""}
      ${c.ok ? html`<h1>${c.result?.name}</h1><p>${String(c.result?.orders)} orders</p>` : ""}
      ${c.failed ? html`<p class="error">Could not load the customer (${c.failed}).</p>` : ""}
      <ul>${(this.invoices.result ?? []).map((id) => html`<li>${id}</li>`)}</ul>`;
  }
}

async function fetchCustomer(signal: AbortSignal): Promise<Customer> {
  await new Promise((resolve) => setTimeout(resolve, 10));
  signal.throwIfAborted(); // the view ended or reloaded: stop here
  return { name: "Ada", orders: 3 };
}
