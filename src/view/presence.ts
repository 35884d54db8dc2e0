/**
 * `presenceList`: who is on a topic, read from a view (any transport: a page's first render can
 * show who is already there).
 * @module
 */
import type { PresenceList } from "../presence/types.js";
import type { LiveView } from "./live-view.js";
import { runtimeOf } from "./runtime.js";

/**
 * Who is present on `topic`, on every node: each key with the metas of its entries (one per
 * view that tracks it, each with its `phx_ref`). Read through `view` because a process can run
 * several apps, each with its own presence; `{}` for a view not run by an app.
 */
export function presenceList(view: LiveView, topic: string): PresenceList {
  return runtimeOf(view).presence?.list(topic) ?? {};
}
