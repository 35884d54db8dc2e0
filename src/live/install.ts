/**
 * Adds live page routes, the client bundle and the live transports to an app. (Filled in by
 * the live transport layer.)
 * @module
 */
import type { AppContext } from "../server/context.js";

/** Installs the live transport on `ctx`. */
export function installLive(_ctx: AppContext): void {}
