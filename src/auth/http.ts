/**
 * Sessions and CSRF on the app's own Hono routes: `login(c, user)`, `logout(c)`, the CSRF
 * check for unsafe methods (Django's `CsrfViewMiddleware`) and `csrfExempt(handler)`.
 * @module
 */
import type { Context, Handler, Hono, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { User } from "./user.js";
import { getCookie, serializeCookie } from "./cookies.js";
import { CSRF_COOKIE, CSRF_FIELD, SAFE_METHODS, csrfFailed, verifyCsrf } from "./csrf.js";
import { viaHttps } from "./origin.js";
import { DjustError } from "../errors.js";
import { randomToken, SESSION_COOKIE, type Session, type SessionManager } from "./session.js";

const EXEMPT = Symbol.for("djust.csrfExempt");

/**
 * Marks a Hono handler as exempt from the CSRF check (webhooks, token-authenticated
 * endpoints). Everything else that is not GET/HEAD/OPTIONS/TRACE must carry the token.
 *
 * @example `app.hono.post("/webhooks/stripe", csrfExempt(async (c) => { ... }))`
 */
export function csrfExempt<H extends Handler>(handler: H): H {
  Object.defineProperty(handler, EXEMPT, { value: true });
  return handler;
}

/** Whether `handler` was wrapped with {@link csrfExempt}. */
export function isCsrfExemptHandler(handler: unknown): boolean {
  return (
    typeof handler === "function" &&
    (handler as unknown as Record<symbol, unknown>)[EXEMPT] === true
  );
}

/**
 * `next` when it is a path on this site, else `fallback`: the guard for `?next=` after a login.
 * `//evil.example`, `/\\evil.example` (browsers read both as another host), absolute URLs and
 * anything with control characters would make an open redirect.
 *
 * @example `return c.redirect(safeRedirect(body.next), 302)`
 */
export function safeRedirect(next: unknown, fallback = "/"): string {
  if (typeof next !== "string" || !next.startsWith("/") || next.length > 2048) return fallback;
  if (next.startsWith("//") || next.includes("\\")) return fallback;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(next)) return fallback;
  return next;
}

/** When cookies get `Secure` (DESIGN §12). */
export interface CookiePolicy {
  /** Every cookie is `Secure`. */
  readonly secureCookies: boolean;
  /** Proxies whose `X-Forwarded-Proto` is trusted (0: the header is ignored). */
  readonly trustedProxyCount: number;
}

/** No proxy, `Secure` only over HTTPS. */
const DIRECT: CookiePolicy = { secureCookies: false, trustedProxyCount: 0 };

/**
 * Whether cookies set in answer to `request` are `Secure`: always with `secureCookies`, else
 * when the request is HTTPS, directly or by a trusted proxy's `X-Forwarded-Proto`
 * ({@link viaHttps}).
 */
export function isSecureRequest(
  request: { readonly url: string; readonly headers: Pick<Headers, "get"> },
  policy: CookiePolicy = DIRECT,
): boolean {
  if (policy.secureCookies) return true;
  return viaHttps(request.url.startsWith("https:"), request.headers, policy.trustedProxyCount);
}

/** What the session helpers need from the app. */
export interface SessionHost {
  readonly sessions: SessionManager;
  /** The app's cookie policy (`secureCookies`, `trustedProxyCount`). */
  readonly options?: CookiePolicy;
}

const hosts = new WeakMap<Request, SessionHost>();

function hostOf(c: Context): SessionHost {
  const host = hosts.get(c.req.raw);
  if (!host) {
    throw new Error("login()/logout() work only inside routes of a djust app (app.hono)");
  }
  return host;
}

/** `Set-Cookie` values for a session: the signed session id and the CSRF token. */
export function sessionCookies(
  sessions: SessionManager,
  session: Session,
  secure: boolean,
): string[] {
  const maxAge = sessions.ttlSeconds;
  return [
    serializeCookie(SESSION_COOKIE, sessions.cookieValue(session), {
      httpOnly: true,
      secure,
      sameSite: "Lax",
      maxAge,
    }),
    csrfCookie(session.record.csrfToken, secure, maxAge),
  ];
}

// Readable by page scripts on purpose: they echo it in X-CSRFToken.
function csrfCookie(token: string, secure: boolean, maxAge: number): string {
  return serializeCookie(CSRF_COOKIE, token, { secure, sameSite: "Lax", maxAge });
}

/** What a CSRF secret djust issued looks like (a sibling's odd value is replaced, not reused). */
const CSRF_SECRET = /^[A-Za-z0-9_-]{32,64}$/;

/** The CSRF secret of a visitor without a session: its `csrftoken` cookie when well formed. */
export function cookieCsrfSecret(headers: Pick<Headers, "get">): string | undefined {
  const value = getCookie(headers, CSRF_COOKIE);
  return value !== undefined && CSRF_SECRET.test(value) ? value : undefined;
}

/** The page's CSRF token, the visitor's session (if any) and the cookies to set. */
export interface PageCsrf {
  readonly session: Session | null;
  readonly csrfToken: string;
  readonly cookies: string[];
}

/**
 * The CSRF token of a page (`loaded`: the request's session when already read): the session's when the visitor has one, else the secret of its
 * `csrftoken` cookie, else a new secret in a new `csrftoken` cookie. A cookieless visitor gets
 * no session record (DESIGN §12: nothing is stored until something is written); the cookie
 * alone is what its forms, API calls and live join echo.
 */
export async function pageCsrf(
  sessions: SessionManager,
  request: Request,
  policy: CookiePolicy = DIRECT,
  loaded?: Session | null,
): Promise<PageCsrf> {
  const session =
    loaded !== undefined ? loaded : await sessions.load(getCookie(request.headers, SESSION_COOKIE));
  if (session) return { session, csrfToken: session.record.csrfToken, cookies: [] };
  const existing = cookieCsrfSecret(request.headers);
  if (existing) return { session: null, csrfToken: existing, cookies: [] };
  const csrfToken = randomToken();
  const secure = isSecureRequest(request, policy);
  return {
    session: null,
    csrfToken,
    cookies: [csrfCookie(csrfToken, secure, sessions.ttlSeconds)],
  };
}

function isSecure(c: Context): boolean {
  return isSecureRequest(c.req.raw, hostOf(c).options);
}

async function currentSession(c: Context, sessions: SessionManager): Promise<Session | null> {
  return sessions.load(getCookie(c.req.raw.headers, SESSION_COOKIE));
}

/**
 * Logs `user` in for the rest of this browser session: a new session id and CSRF token
 * (rotation defeats session fixation), keeping the session's data. Returns the new CSRF token
 * for pages rendered in the same response.
 */
export async function login(c: Context, user: User): Promise<{ csrfToken: string }> {
  const { sessions } = hostOf(c);
  if (user.id === null || user.id === undefined)
    throw new TypeError("login(): the user needs an id");
  const session = await sessions.rotate(await currentSession(c, sessions), user.id);
  for (const cookie of sessionCookies(sessions, session, isSecure(c))) {
    c.header("Set-Cookie", cookie, { append: true });
  }
  return { csrfToken: session.record.csrfToken };
}

/** Logs out: the session and its data are discarded, and a fresh anonymous session begins. */
export async function logout(c: Context): Promise<{ csrfToken: string }> {
  const { sessions } = hostOf(c);
  const current = await currentSession(c, sessions);
  if (current) await sessions.destroy(current);
  const session = await sessions.create(null);
  for (const cookie of sessionCookies(sessions, session, isSecure(c))) {
    c.header("Set-Cookie", cookie, { append: true });
  }
  return { csrfToken: session.record.csrfToken };
}

/**
 * Handlers given to `hono.use` of an app's Hono instance: middleware, not endpoints. Hono
 * records `use` and `all` routes alike (method `ALL`), and a handler's arity cannot tell them
 * apart (an `all` endpoint may declare `next`, a `mount`ed application does), so `use` itself
 * is watched.
 */
const middleware = new WeakSet<object>();

/**
 * Whether a matched route is an endpoint rather than middleware: a route for one method, or
 * one for every method (`all`, `mount`) not registered through `use`.
 */
function isEndpoint(route: { readonly method: string; readonly handler: unknown }): boolean {
  if (route.method !== "ALL") return true;
  return !(typeof route.handler === "function" && middleware.has(route.handler));
}

/** Options of {@link installCsrf}. */
export interface CsrfMiddlewareOptions {
  /**
   * Requests a handler with its own checks serves (the HTTP API), left alone. Exactly what that
   * handler answers, decided by its own path test: a custom route at a path that merely looks
   * alike (decoded, or under the same folder) is still checked.
   */
  readonly skip?: (request: Request) => boolean;
}

function isForm(c: Context): boolean {
  const type = c.req.header("content-type")?.toLowerCase() ?? "";
  return (
    type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data")
  );
}

/**
 * Installs the app-wide middleware on `hono`: makes `login`/`logout` work in routes, and
 * CSRF-checks unsafe methods unless the matched handler is wrapped in {@link csrfExempt}. From
 * here on, handlers given to `hono.use` count as middleware: a request only middleware
 * matches is a 404, not a CSRF failure.
 */
export function installCsrf(hono: Hono, host: SessionHost, options: CsrfMiddlewareOptions = {}) {
  const use = hono.use.bind(hono) as (...args: unknown[]) => Hono;
  hono.use = ((...args: unknown[]) => {
    for (const arg of args) if (typeof arg === "function") middleware.add(arg);
    return use(...args);
  }) as Hono["use"];
  hono.use("*", csrfMiddleware(host, options));
}

function csrfMiddleware(host: SessionHost, options: CsrfMiddlewareOptions): MiddlewareHandler {
  const skip = options.skip;
  return async (c, next) => {
    // Skipped requests (the API) never call login()/logout().
    if (skip?.(c.req.raw)) return next();
    hosts.set(c.req.raw, host);
    if (SAFE_METHODS.has(c.req.method.toUpperCase())) return next();
    const routes = matchedRoutes(c);
    if (routes.some((route) => isCsrfExemptHandler(route.handler))) return next();
    // Like Django, only a request some route answers is checked: a path nothing serves (an
    // old API prefix, a typo) is a 404, not a 403.
    if (!routes.some(isEndpoint)) return next();
    try {
      const session = await currentSession(c, host.sessions);
      let formToken: string | null = null;
      if (!c.req.header("x-csrftoken") && isForm(c)) {
        // Hono caches the parsed body, so the route can still call c.req.parseBody().
        const field = (await c.req.parseBody())[CSRF_FIELD];
        formToken = typeof field === "string" ? field : null;
      }
      verifyCsrf(c.req.raw, {
        sessionToken: session?.record.csrfToken ?? null,
        formToken,
        trustedProxyCount: host.options?.trustedProxyCount ?? 0,
      });
    } catch (error) {
      const failure =
        error instanceof DjustError ? error : csrfFailed("Could not read the request.");
      return c.json(failure.toJSON(), 403);
    }
    return next();
  };
}
