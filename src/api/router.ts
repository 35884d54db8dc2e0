/**
 * The HTTP API router: `POST <prefix><slug>/<handler>/` runs a call (`./call.ts`), and
 * `GET <prefix>openapi.json` and `<prefix>docs` serve the OpenAPI document and its reference
 * page. Framework-agnostic: it takes a web `Request` and returns a `Response`; the server mounts
 * it (`src/server/api.ts`).
 *
 * `OPTIONS` is answered, and methods other than `POST` refused, before the view is looked up
 * (DESIGN.md §10); a call's own steps follow in `./call.ts`.
 * @module
 */
import type { AuthClass, AuthContext } from "../auth/classes.js";
import { clientIp } from "../auth/caller.js";
import { isAuthenticated } from "../auth/user.js";
import { NotFound } from "../errors.js";
import { apiScope, authFor, runCall } from "./call.js";
import { NO_CONNECTION, type ApiConnection } from "./connection.js";
import { DOCS_CSS, DOCS_JS, docsHtml } from "./docs.js";
import { errorResponse, json, methodNotAllowed } from "./envelope.js";
import type { ApiHost } from "./host.js";
import { apiDocument, type OpenApiDocument } from "./openapi.js";

/**
 * Serves one API request; `null` (synchronously) when the path is outside the API prefix, so a
 * caller can fall through to its other routes without waiting.
 */
export type ApiHandler = (
  request: Request,
  connection?: ApiConnection,
) => Response | Promise<Response> | null;

/**
 * The part of a request URL after `prefix`, or `null` outside it: whether the API serves the
 * request at all (the app's CSRF middleware leaves exactly those alone). String work only: every
 * API call goes through here, and a full `URL` parse is only needed when a view reads
 * `request.url`.
 */
export function pathAfter(url: string, prefix: string): string | null {
  const scheme = url.indexOf("://");
  const start = scheme < 0 ? 0 : url.indexOf("/", scheme + 3);
  if (start < 0) return null;
  let end = url.indexOf("?", start);
  const hash = url.indexOf("#", start);
  if (end < 0 || (hash >= 0 && hash < end)) end = hash;
  const path = end < 0 ? url.slice(start) : url.slice(start, end);
  if (!path.startsWith(prefix)) return null;
  const rest = path.slice(prefix.length);
  // Percent-encoded or dot segments need real URL normalisation; they are rare, so only then.
  if (rest.includes("%") || rest.includes(".")) {
    const normalised = new URL(url).pathname;
    return normalised.startsWith(prefix) ? normalised.slice(prefix.length) : null;
  }
  return rest;
}

/** Creates the API request handler for an app. */
export function createApiHandler(host: ApiHost): ApiHandler {
  const prefix = host.prefix;
  const scope = apiScope(host);

  /** With `openapi.public: false`, only a caller that some view's auth class recognises. */
  async function mayReadDocument(request: Request, connection: ApiConnection): Promise<boolean> {
    if (host.openapi?.public !== false) return true;
    const ctx: AuthContext = {
      session: await scope.loadSession(request.headers),
      clientIp: clientIp(request.headers, connection.socket?.remoteAddress, host.trustedProxyCount),
      loadUser: scope.loadUser,
    };
    const seen = new Set<AuthClass>();
    for (const entry of host.views()) {
      for (const auth of authFor(entry.view)) {
        if (seen.has(auth)) continue;
        seen.add(auth);
        try {
          if (isAuthenticated(await auth.authenticate(request, ctx))) return true;
        } catch {
          // a class refusing this request just means "not this one"
        }
      }
    }
    return false;
  }

  async function serveAsset(
    asset: Asset,
    request: Request,
    connection: ApiConnection,
  ): Promise<Response> {
    if (!(await mayReadDocument(request, connection))) {
      return errorResponse(new NotFound("Not found."));
    }
    return asset(() => apiDocument(host), prefix);
  }

  return (request, connection = NO_CONNECTION) => {
    const rest = pathAfter(request.url, prefix);
    if (rest === null) return null;
    const method = request.method.toUpperCase();

    const asset = ASSETS.get(rest);
    if (asset) {
      if (method === "OPTIONS")
        return new Response(null, { status: 204, headers: { allow: "GET, HEAD" } });
      if (method !== "GET" && method !== "HEAD") return methodNotAllowed("GET, HEAD");
      return serveAsset(asset, request, connection);
    }

    // `<slug>/<handler>` with an optional trailing slash, nothing else.
    const slash = rest.indexOf("/");
    const end = rest.endsWith("/") ? rest.length - 1 : rest.length;
    const extra = rest.indexOf("/", slash + 1);
    if (slash <= 0 || slash + 1 >= end || (extra !== -1 && extra < end)) {
      return errorResponse(new NotFound(`No API endpoint at ${prefix}${rest}.`));
    }
    if (method === "OPTIONS") {
      return new Response(null, { status: 204, headers: { allow: "POST" } });
    }
    if (method !== "POST") return methodNotAllowed("POST");
    const slug = rest.slice(0, slash);
    const entry = host.view(slug);
    if (!entry) return errorResponse(new NotFound(`No API view "${slug}".`));
    return runCall(scope, request, entry, rest.slice(slash + 1, end), connection);
  };
}

/** A response under the prefix that is not a call: the OpenAPI document and the docs page. */
type Asset = (document: () => OpenApiDocument, prefix: string) => Response;

const ASSET_HEADERS = {
  "x-content-type-options": "nosniff",
  "cache-control": "no-cache",
} as const;

const docsPage: Asset = (_document, prefix) =>
  new Response(docsHtml(prefix), {
    headers: {
      ...ASSET_HEADERS,
      "content-type": "text/html; charset=utf-8",
      "content-security-policy":
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    },
  });

/** The assets by path: a `Map`, so a path like `constructor` finds nothing it inherits. */
const ASSETS: ReadonlyMap<string, Asset> = new Map([
  ["openapi.json", (document) => json(200, document(), { "cache-control": "no-cache" })],
  ["docs", docsPage],
  ["docs/", docsPage],
  [
    "docs/docs.js",
    () =>
      new Response(DOCS_JS, {
        headers: { ...ASSET_HEADERS, "content-type": "text/javascript; charset=utf-8" },
      }),
  ],
  [
    "docs/docs.css",
    () =>
      new Response(DOCS_CSS, {
        headers: { ...ASSET_HEADERS, "content-type": "text/css; charset=utf-8" },
      }),
  ],
]);
