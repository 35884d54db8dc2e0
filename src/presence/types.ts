/**
 * The shapes presence hands to views: lists and diffs, as Phoenix.Presence gives them.
 * @module
 */
import type { JsonObject } from "../state/serializable.js";

/** What one tracked presence says about itself; `phx_ref` names the entry. */
export type PresenceMeta = JsonObject & { readonly phx_ref: string };

/** Who is present on a topic: each key (a user id, say) with one meta per tracking view. */
export type PresenceList = Record<string, { metas: PresenceMeta[] }>;

/**
 * What `handleInfo` receives on a topic the view subscribed to when presences join or leave it
 * (on any node).
 */
export interface PresenceDiff {
  readonly event: "presence_diff";
  readonly topic: string;
  readonly joins: PresenceList;
  readonly leaves: PresenceList;
}

/** The presence operations of one view (the transport provides them). */
export interface ViewPresenceHooks {
  track(topic: string, key: string, meta: JsonObject): boolean;
  untrack(topic: string, key?: string): void;
  list(topic: string): PresenceList;
}
