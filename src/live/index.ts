/**
 * The live layer's public API (re-exported by `djust` and `djust/server`).
 * @module
 */
export { emptyForm, form, type FormOptions, type FormState } from "./forms.js";
export {
  CLOSE_RATE_LIMITED,
  CLOSE_TOO_BIG,
  LONGPOLL_PATH,
  STATIC_PREFIX,
  WEBSOCKET_PATH,
} from "./protocol.js";
export { defaultShell, type PageParts, type PageShell } from "./page.js";
export { AccessDenied } from "../pipeline/lifecycle.js";
export {
  MemoryPubSub,
  RedisPubSub,
  type PubSub,
  type RedisPubSubOptions,
} from "../pubsub/index.js";
export {
  MemoryStateBackend,
  RedisStateBackend,
  type StateBackend,
  type StoredView,
  type MemoryStateBackendOptions,
  type RedisStateBackendOptions,
} from "../state/backends/index.js";
