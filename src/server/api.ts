/**
 * Wires the HTTP API into an app: the {@link ApiHost} view of its context, the API's routes on
 * `app.hono`, and the app-wide CSRF middleware for custom routes.
 * @module
 */
import type { ApiConnection } from "../api/connection.js";
import type { ApiHost, ApiViewEntry } from "../api/host.js";
import { createApiHandler, pathAfter, type ApiHandler } from "../api/router.js";
import { installCsrf } from "../auth/http.js";
import type { User } from "../auth/user.js";
import type { AppContext, ViewEntry } from "./context.js";

/** The {@link ApiHost} view of an app's context. */
export function apiHostOf(ctx: AppContext): ApiHost {
  const { options } = ctx;
  // Cached per registry entry: this runs on every API call.
  const entries = new WeakMap<ViewEntry, ApiViewEntry>();
  const entryOf = (slug: string): ApiViewEntry | undefined => {
    const entry = ctx.views.get(slug);
    if (!entry) return undefined;
    let api = entries.get(entry);
    if (!api) {
      const noServices = Object.keys(entry.services).length === 0;
      api = {
        slug,
        view: entry.view,
        ...(!noServices && { services: entry.services }),
        ...(entry.onMount.length > 0 && { onMount: entry.onMount }),
      };
      entries.set(entry, api);
    }
    return api;
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
    pubsub: ctx.pubsub,
    presence: ctx.presence.listOnly,
    debug: options.debug,
    policyFor: ctx.policyFor,
    logger: ctx.logger,
    bodyBytes: options.limits.bodyBytes,
    inputDepth: options.limits.inputDepth,
    trustedProxyCount: options.trustedProxyCount,
    openapi: options.openapi,
  };
}

/** What `@hono/node-server` passes as Hono's `env`. */
interface NodeBindings {
  incoming?: ApiConnection;
}

/**
 * The connection of a request served through `@hono/node-server`: its `IncomingMessage`
 * (`undefined` otherwise, which the API handler treats as no connection).
 */
export function connectionOf(env: unknown): ApiConnection | undefined {
  return (env as NodeBindings | undefined)?.incoming;
}

/**
 * Installs the HTTP API on `ctx.hono` (`<apiPrefix>*`, plus CSRF checks for custom routes) and
 * returns its handler, which the app's own entry points call before Hono routing: an API call
 * then costs no router match and no middleware chain.
 */
export function installApi(ctx: AppContext): ApiHandler {
  const host = apiHostOf(ctx);
  const handle = createApiHandler(host);
  // The API checks CSRF itself: the middleware leaves alone exactly the requests it answers.
  installCsrf(ctx.hono, ctx, { skip: (request) => pathAfter(request.url, host.prefix) !== null });
  // For `app.hono` mounted on its own. Registered through `use`, after the CSRF middleware, so
  // a request it passes on (outside the API by its raw path) is checked as any custom route,
  // and one no route serves is still a 404.
  ctx.hono.use(`${host.prefix}*`, async (c, next) => {
    // Mounted in a Hono app whose middleware read the body through Hono (`c.req.json()`…),
    // which keeps its text: the call reads that instead of the spent stream.
    const request = c.req.raw.bodyUsed
      ? new Request(c.req.raw, { body: await c.req.text() })
      : c.req.raw;
    const response = await handle(request, connectionOf(c.env));
    if (response) return response;
    await next();
  });
  return handle;
}
