/**
 * `djust/server`: the app, routes and transports.
 * @module
 */
import "../polyfill.js";

export {
  createApp,
  liveSession,
  LiveSession,
  type LiveSessionOptions,
  type LiveSessionScope,
  type DjustApp,
  type ListenOptions,
  type RunningServer,
  type TestLogin,
} from "./app.js";
export {
  DEFAULT_LIMITS,
  type AppOptions,
  type Limits,
  type OpenApiOptions,
  type ServiceFactory,
  type Services,
} from "./context.js";
export type { RedisClient } from "../redis.js";
export type { OnMountHook } from "../pipeline/lifecycle.js";
export {
  MemorySessionStore,
  SESSION_COOKIE,
  type SessionStore,
  type SessionRecord,
} from "../auth/session.js";
export { CSRF_COOKIE, CSRF_HEADER } from "../auth/csrf.js";
export {
  MemoryRateLimitStore,
  type RateLimitStore,
  type RateLimitDecision,
} from "../ratelimit/bucket.js";
export {
  SessionAuth,
  AllowAny,
  type AuthClass,
  type AuthContext,
  type SecuritySchemeObject,
} from "../auth/classes.js";
export { login, logout, csrfExempt, safeRedirect } from "../auth/http.js";
export { RedisRateLimitStore, type RedisRateLimitStoreOptions } from "../ratelimit/redis.js";
export { generateOpenApi, type OpenApiDocument, type OpenApiView } from "../api/openapi.js";
export { RedisSessionStore, type RedisSessionStoreOptions } from "../auth/redis-session.js";
export type { Logger, LogMeta } from "../logger.js";
export { tracing, TRACE_CHANNELS, type TraceContext } from "../telemetry.js";
export * from "../live/index.js";
export { liveTransportOf, type LiveTransport } from "./live.js";
export {
  TemplateLoader,
  TemplateSyntaxError,
  TemplateDoesNotExist,
  registerFilter,
} from "../template/index.js";
