/**
 * `djust/server`: the app, routes and transports.
 * @module
 */
import "../polyfill.js";

export {
  createApp,
  liveSession,
  LiveSession,
  liveRequestFrom,
  type DjustApp,
  type RunningServer,
  type TestLogin,
} from "./app.js";
export {
  DEFAULT_LIMITS,
  type AppOptions,
  type AppContext,
  type Limits,
  type LiveRoute,
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
