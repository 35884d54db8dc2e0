/**
 * The example app as a module, for tools that load an app without serving it:
 * `npx tsx src/cli/main.ts openapi --app examples/orders/api.ts` (or `npx djust openapi` once built).
 * Uses an in-memory database so loading it touches no files.
 */
import { createOrdersApp } from "./app.js";

export const { app } = createOrdersApp({ dbPath: ":memory:" });
