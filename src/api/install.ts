/**
 * Adds the HTTP API routes to an app. (Filled in by the HTTP API layer.)
 * @module
 */
import type { AppContext } from "../server/context.js";

/** Installs the HTTP API on `ctx.hono`. */
export function installApi(_ctx: AppContext): void {}
