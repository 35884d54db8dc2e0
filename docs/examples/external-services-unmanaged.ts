// Pattern 2: typed records for external API data. Keep the fetched objects private and expose
// them just in time (getContextData), or make the class serializable with registerType.
import { Decimal } from "decimal.js";
import { z } from "zod";
import { LiveView, eventHandler, registerType } from "../../src/index.js";

/** A product from the external catalog API (the seed's unmanaged model). */
export class ExternalProduct {
  constructor(
    readonly id: number,
    readonly name: string,
    readonly price: Decimal,
    readonly sku: string,
    readonly inStock: boolean,
  ) {}
}

// Registered types are state like any other: wire JSON for clients, exact round trip in snapshots.
registerType(ExternalProduct, {
  name: "ExternalProduct",
  encode: (p) => ({
    id: p.id,
    name: p.name,
    price: p.price.toString(),
    sku: p.sku,
    inStock: p.inStock,
  }),
  decode: (v) => {
    const o = v as { id: number; name: string; price: string; sku: string; inStock: boolean };
    return new ExternalProduct(o.id, o.name, new Decimal(o.price), o.sku, o.inStock);
  },
});

/** Stand-in for an HTTP call to the catalog service. */
export async function fetchProducts(query = ""): Promise<ExternalProduct[]> {
  const all = [
    new ExternalProduct(1, "Widget", new Decimal("9.99"), "W-1", true),
    new ExternalProduct(2, "Gadget", new Decimal("19.50"), "G-2", false),
  ];
  return all.filter((p) => p.name.toLowerCase().includes(query.toLowerCase()));
}

export class ProductCatalogView extends LiveView {
  static override templateName = "catalog.html";

  search_query = "";
  _products: ExternalProduct[] = []; // private: re-fetched, never serialized

  override async mount() {
    this._products = await fetchProducts();
  }

  @eventHandler({ params: z.object({ value: z.string().default("") }) })
  async search({ value }: { value: string }) {
    this.search_query = value;
    this._products = await fetchProducts(value);
  }

  // JIT: computed just before each render, not stored as state.
  override getContextData() {
    return { products: this._products };
  }
}
