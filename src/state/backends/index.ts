/**
 * State backends: where live view snapshots are kept.
 * @module
 */
export { isStoredView, type StateBackend, type StoredView } from "./types.js";
export { MemoryStateBackend, type MemoryStateBackendOptions } from "./memory.js";
export { RedisStateBackend, type RedisStateBackendOptions } from "./redis.js";
