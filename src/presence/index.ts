/**
 * Presence: who is on a topic, on every node.
 * @module
 */
export { Presence, PRESENCE_CHANNEL, type PresenceOptions } from "./tracker.js";
export type { PresenceDiff, PresenceList, PresenceMeta, ViewPresenceHooks } from "./types.js";
