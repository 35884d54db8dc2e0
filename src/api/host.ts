/**
 * What the HTTP API needs from the app that serves it: the views it reaches by slug, sessions,
 * users, rate limits, pub/sub, serialization policies, limits and OpenAPI settings. The server
 * builds one from its context (`src/server/api.ts`); the API never reads the app itself.
 * @module
 */
import type { ViewPresenceHooks } from "../presence/types.js";
import type { SessionManager } from "../auth/session.js";
import type { User } from "../auth/user.js";
import type { Logger } from "../logger.js";
import type { PubSub } from "../pubsub/types.js";
import type { RateLimitStore } from "../ratelimit/bucket.js";
import type { SerializationPolicy } from "../state/codec.js";
import type { LiveViewClass } from "../view/live-view.js";
import type { OnMountHook } from "../pipeline/lifecycle.js";

/** A view reachable over the API. */
export interface ApiViewEntry {
  readonly slug: string;
  readonly view: LiveViewClass;
  /**
   * The `liveSession` services: each reaches `setup`/`mount` as `params[name]`; a function
   * value is called per instance with the request.
   */
  readonly services?: Readonly<Record<string, unknown>>;
  /** `liveSession` on-mount hooks, run before `mount` or the restore on every transport. */
  readonly onMount?: readonly OnMountHook[];
}

/** OpenAPI options (`createApp({ openapi })`). */
export interface ApiOpenApiOptions {
  readonly title?: string;
  readonly version?: string;
  readonly description?: string;
  /** `false`: the document and docs page answer 404 unless the caller is authenticated. */
  readonly public?: boolean;
}

/** What the API needs from the app. */
export interface ApiHost {
  /** Normalised prefix with leading and trailing slash, e.g. `/djust/api/`. */
  readonly prefix: string;
  view(slug: string): ApiViewEntry | undefined;
  views(): Iterable<ApiViewEntry>;
  readonly sessions: SessionManager;
  loadUser(id: string | number): Promise<User | null>;
  readonly rateLimits: RateLimitStore;
  /** Where a handler's `broadcast` goes: live views on every node sharing it. */
  readonly pubsub: PubSub;
  /** Presence, read-only: an API call reads `presenceList` but never tracks. */
  readonly presence: ViewPresenceHooks;
  readonly debug: boolean;
  /** The serialization policy of a view class (`AppContext.policyFor`). */
  policyFor(view: LiveViewClass): SerializationPolicy;
  readonly logger: Logger;
  readonly bodyBytes: number;
  /** Deepest nesting of a body accepted (`limits.inputDepth`). */
  readonly inputDepth: number;
  readonly trustedProxyCount: number;
  readonly openapi?: ApiOpenApiOptions;
}
