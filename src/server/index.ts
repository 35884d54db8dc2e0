/**
 * `djust/server`: the app, routes and transports.
 * @module
 */
import "../polyfill.js";

export {
  createApp,
  liveSession,
  LiveSession,
  type DjustApp,
  type RunningServer,
  type TestLogin,
} from "./app.js";
export { liveRequestFrom } from "../view/runtime.js";
export {
  DEFAULT_LIMITS,
  type AppOptions,
  type AppContext,
  type Limits,
  type PageRoute,
  type OpenApiOptions,
  type ResolvedOptions,
  type ServiceFactory,
  type Services,
  type ViewEntry,
} from "./context.js";
export {
  MemorySessionStore,
  SessionManager,
  SESSION_COOKIE,
  type SessionStore,
  type SessionRecord,
  type Session,
} from "../auth/session.js";
export { Signer } from "../auth/signing.js";
export {
  MemoryRateLimitStore,
  type RateLimitStore,
  type RateLimitDecision,
} from "../ratelimit/bucket.js";
export {
  SessionAuth,
  AllowAny,
  ANONYMOUS_USER,
  type AuthClass,
  type AuthContext,
  type SecuritySchemeObject,
} from "../auth/classes.js";
export { login, logout, csrfExempt } from "../auth/http.js";
export { callerKey, clientIp, type CallerInput } from "../auth/caller.js";
export { RedisRateLimitStore, type RedisRateLimitStoreOptions } from "../ratelimit/redis.js";
export { generateOpenApi, type OpenApiDocument, type OpenApiView } from "../api/openapi.js";
export { RedisSessionStore, type RedisSessionStoreOptions } from "../auth/redis-session.js";
export * from "../live/index.js";
export { liveTransportOf, type LiveTransport } from "./live.js";
export { TemplateLoader, TemplateSyntaxError, TemplateDoesNotExist } from "../template/index.js";
