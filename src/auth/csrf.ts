/**
 * Django-style CSRF protection for cookie-authenticated requests: a secret per session, echoed
 * by the client in the `X-CSRFToken` header (or the `csrfmiddlewaretoken` form field), compared
 * in constant time, plus an `Origin` check.
 *
 * Why both: the token stops forged requests from other sites, the `Origin` check stops a site
 * that somehow learned a token (e.g. a leaked page) from using it cross-origin. A JSON body is
 * no protection on its own: browsers send cross-origin `fetch` POSTs with credentials.
 * @module
 */
import { timingSafeEqual } from "node:crypto";
import { CsrfFailed, type DjustError } from "../errors.js";
import { getCookie } from "./cookies.js";
import { sameOrigin, viaHttps } from "./origin.js";

/** The CSRF cookie (readable by page scripts, so they can echo it). */
export const CSRF_COOKIE = "csrftoken";
/** The request header carrying the token. */
export const CSRF_HEADER = "X-CSRFToken";
/** The form field carrying the token (HTML form posts). */
export const CSRF_FIELD = "csrfmiddlewaretoken";

/** Methods that must not change anything, so they are never CSRF-checked. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);

/**
 * Constant-time string equality. Only the length can leak, and every token djust issues has
 * the same length, so that tells an attacker nothing.
 */
export function tokensEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

/** The 403 `csrf_failed` error. */
export function csrfFailed(reason: string): DjustError {
  return new CsrfFailed(reason);
}

/** What {@link verifyCsrf} compares against. */
export interface CsrfInput {
  /**
   * The session's CSRF secret, when the request carries a session. When set it is the only
   * accepted value: a token bound to the session cannot be planted by a sibling subdomain the
   * way a bare double-submit cookie can.
   */
  readonly sessionToken?: string | null;
  /** Token from a parsed form body (`csrfmiddlewaretoken`), when the route reads forms. */
  readonly formToken?: string | null;
  /** Where the request's headers are read (default `request.headers`; the API passes Node's). */
  readonly headers?: Pick<Headers, "get">;
  /**
   * Origins that count as this site besides the request's own (e.g. another host name of the
   * site).
   */
  readonly trustedOrigins?: readonly string[];
  /**
   * Proxies in front of the app (`createApp({ trustedProxyCount })`): with one or more, the
   * outermost one's `X-Forwarded-Proto` says whether the request was HTTPS (default 0: only
   * the request URL does).
   */
  readonly trustedProxyCount?: number;
}

function originOf(value: string): string | null {
  try {
    const url = new URL(value);
    return url.origin === "null" ? null : url.origin;
  } catch {
    return null;
  }
}

/**
 * The reason `request` fails the `Origin`/`Referer` check, or `null` when it passes.
 * Like Django: an `Origin` header must name this site (the request's host, as the live
 * transports judge it: `sameOrigin` of `./origin.ts`); without one, an HTTPS request's
 * `Referer` must (an attacker cannot strip both from a browser request over HTTPS).
 */
export function originFailure(
  request: Request,
  input: Pick<CsrfInput, "headers" | "trustedOrigins" | "trustedProxyCount"> = {},
): string | null {
  const headers = input.headers ?? request.headers;
  const trusted = input.trustedOrigins ?? [];
  const origin = headers.get("origin");
  const secure = viaHttps(request.url.startsWith("https:"), headers, input.trustedProxyCount ?? 0);
  if (origin === null && !secure) return null;
  const host = new URL(request.url).host;
  const allowed = (candidate: string) =>
    sameOrigin(candidate, host, secure) || trusted.includes(candidate);
  if (origin !== null) {
    const parsed = originOf(origin);
    if (parsed === null || !allowed(parsed)) {
      return `Origin checking failed - ${origin} does not match any trusted origins.`;
    }
    return null;
  }
  const referer = headers.get("referer");
  if (!referer) return "Referer checking failed - no Referer.";
  const parsed = originOf(referer);
  if (parsed === null || !allowed(parsed)) {
    return `Referer checking failed - ${referer} does not match any trusted origins.`;
  }
  return null;
}

/**
 * Throws 403 `csrf_failed` unless `request` (an unsafe method) passes the origin check and
 * echoes the CSRF secret: the session's token when there is a session, else the `csrftoken`
 * cookie (double submit, for cookie-only clients without a session).
 */
export function verifyCsrf(request: Request, input: CsrfInput = {}): void {
  const headers = input.headers ?? request.headers;
  const originProblem = originFailure(request, input);
  if (originProblem) throw csrfFailed(originProblem);
  // The cookie is only the secret without a session; a session caller's header goes unparsed.
  const expected = input.sessionToken ?? getCookie(headers, CSRF_COOKIE);
  if (!expected) throw csrfFailed("CSRF cookie not set.");
  const submitted = headers.get(CSRF_HEADER) ?? input.formToken ?? null;
  if (!submitted) throw csrfFailed("CSRF token missing.");
  if (!tokensEqual(submitted, expected)) throw csrfFailed("CSRF token incorrect.");
}
