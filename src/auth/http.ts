/**
 * Sessions and CSRF on the app's own Hono routes: `login(c, user)`, `logout(c)`, the CSRF
 * check for unsafe methods (Django's `CsrfViewMiddleware`) and `csrfExempt(handler)`.
 * @module
 */
import type { Context, Handler, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { User } from "./user.js";
import { getCookie, serializeCookie } from "./cookies.js";
import { CSRF_COOKIE, CSRF_FIELD, SAFE_METHODS, csrfFailed, verifyCsrf } from "./csrf.js";
import { DjustError } from "../errors.js";
import { SESSION_COOKIE, type Session, type SessionManager } from "./session.js";

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

/** What the session helpers need from the app. */
export interface SessionHost {
  readonly sessions: SessionManager;
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
    // Readable by page scripts on purpose: they echo it in X-CSRFToken.
    serializeCookie(CSRF_COOKIE, session.record.csrfToken, { secure, sameSite: "Lax", maxAge }),
  ];
}

/**
 * A new anonymous session and the `Set-Cookie` values that start it: a page needs a CSRF token
 * for its forms and its live join even before anyone logs in.
 */
export async function startSession(
  sessions: SessionManager,
  request: Request,
): Promise<{ session: Session; cookies: string[] }> {
  const session = await sessions.create(null);
  const secure = new URL(request.url).protocol === "https:";
  return { session, cookies: sessionCookies(sessions, session, secure) };
}

/** The session of `request`, else a {@link startSession new one} with its cookies. */
export async function sessionOrNew(
  sessions: SessionManager,
  request: Request,
): Promise<{ session: Session; cookies: string[] }> {
  const session = await sessions.load(getCookie(request.headers, SESSION_COOKIE));
  return session ? { session, cookies: [] } : startSession(sessions, request);
}

function isSecure(c: Context): boolean {
  return new URL(c.req.url).protocol === "https:";
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

/** Options of {@link csrfMiddleware}. */
export interface CsrfMiddlewareOptions {
  /** Path prefixes that run their own checks (the HTTP API, the live transports). */
  readonly skipPrefixes?: readonly string[];
}

function isForm(c: Context): boolean {
  const type = c.req.header("content-type")?.toLowerCase() ?? "";
  return (
    type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data")
  );
}

/**
 * The app-wide middleware: makes `login`/`logout` work in routes, and CSRF-checks unsafe
 * methods unless the matched handler is wrapped in {@link csrfExempt}.
 */
export function csrfMiddleware(
  host: SessionHost,
  options: CsrfMiddlewareOptions = {},
): MiddlewareHandler {
  const skip = options.skipPrefixes ?? [];
  return async (c, next) => {
    // Skipped paths (the API, the live transports) never call login()/logout().
    const path = c.req.path;
    if (skip.some((prefix) => path.startsWith(prefix))) return next();
    hosts.set(c.req.raw, host);
    if (SAFE_METHODS.has(c.req.method.toUpperCase())) return next();
    if (matchedRoutes(c).some((route) => isCsrfExemptHandler(route.handler))) return next();
    try {
      const session = await currentSession(c, host.sessions);
      let formToken: string | null = null;
      if (!c.req.header("x-csrftoken") && isForm(c)) {
        // Hono caches the parsed body, so the route can still call c.req.parseBody().
        const field = (await c.req.parseBody())[CSRF_FIELD];
        formToken = typeof field === "string" ? field : null;
      }
      verifyCsrf(c.req.raw, { sessionToken: session?.record.csrfToken ?? null, formToken });
    } catch (error) {
      const failure =
        error instanceof DjustError ? error : csrfFailed("Could not read the request.");
      return c.json(failure.toJSON(), 403);
    }
    return next();
  };
}
