/**
 * Mounts the HTTP API (and the app-wide CSRF middleware for custom routes) on an app.
 * @module
 */
import { csrfMiddleware } from "../auth/http.js";
import type { User } from "../auth/user.js";
import type { AppContext } from "../server/context.js";
import { createApiHandler, type ApiHost, type ApiViewEntry } from "./handler.js";

/** The live transports check their own CSRF token (join params), like Phoenix. */
const LIVE_PREFIX = "/djust/live/";

/** The {@link ApiHost} view of an app's context. */
export function apiHostOf(ctx: AppContext): ApiHost {
  const { options } = ctx;
  const entryOf = (slug: string): ApiViewEntry | undefined => {
    const entry = ctx.views.get(slug);
    if (!entry) return undefined;
    return { slug, view: entry.view, params: (request) => ctx.paramsFor(entry, request, {}) };
  };
  const loadUser = options.loadUser;
  return {
    prefix: options.apiPrefix,
    view: entryOf,
    *views() {
      for (const slug of ctx.views.keys()) yield entryOf(slug) as ApiViewEntry;
    },
    sessions: ctx.sessions,
    // Without loadUser the session's id is all we know about the user.
    loadUser: async (id): Promise<User | null> => (loadUser ? await loadUser(id) : { id }),
    rateLimits: ctx.rateLimits,
    debug: options.debug,
    strictSerialization: options.strictSerialization,
    logger: ctx.logger,
    bodyBytes: options.limits.bodyBytes,
    trustedProxyCount: options.trustedProxyCount,
    openapi: options.openapi,
  };
}

interface NodeBindings {
  incoming?: { socket?: { remoteAddress?: string } };
}

/** Installs the HTTP API on `ctx.hono`: `<apiPrefix>*`, plus CSRF checks for custom routes. */
export function installApi(ctx: AppContext): void {
  const host = apiHostOf(ctx);
  const handle = createApiHandler(host);
  ctx.hono.use("*", csrfMiddleware(ctx, { skipPrefixes: [host.prefix, LIVE_PREFIX] }));
  ctx.hono.all(`${host.prefix}*`, async (c, next) => {
    const remoteAddress = (c.env as NodeBindings | undefined)?.incoming?.socket?.remoteAddress ?? null;
    const response = await handle(c.req.raw, { remoteAddress });
    if (response) return response;
    return next();
  });
}
