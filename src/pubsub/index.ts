/**
 * Pub/sub adapters.
 * @module
 */
export type { PubSub, PubSubListener, Unsubscribe } from "./types.js";
export { MemoryPubSub } from "./memory.js";
export { RedisPubSub, type RedisPubSubOptions } from "./redis.js";
