// An app whose view was decorated by another copy of djust: its handlers sit in the class
// metadata under that copy's own "djust.methods" symbol, which this copy cannot read.
import { LiveView } from "../../src/index.js";
import { AllowAny, createApp } from "../../src/server/index.js";

export class ForeignView extends LiveView {
  static override apiAuthClasses = [AllowAny];
}
const metadata = (ForeignView as unknown as Record<symbol, Record<symbol, unknown>>)[
  Symbol.metadata as symbol
];
if (metadata) {
  metadata[Symbol("djust.methods")] = new Map([["ship", { handler: { name: "ship" } }]]);
} else {
  Object.defineProperty(ForeignView, Symbol.metadata as symbol, {
    value: { [Symbol("djust.methods")]: new Map() },
  });
}

export const app = createApp({ secretKey: "s" }).register(ForeignView);
