/**
 * Minimal `Cookie` / `Set-Cookie` handling for the session and CSRF cookies, working on web
 * `Request`/`Headers` so the same code serves Hono routes, the HTTP API and the WebSocket upgrade.
 * @module
 */

/**
 * Parses a `Cookie` header. When a name repeats, the first value wins: browsers send the
 * cookie with the most specific path first, and a sibling subdomain that plants a second
 * `csrftoken` must not be able to override ours.
 */
export function parseCookies(header: string | null | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!name || cookies.has(name)) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2)
      value = value.slice(1, -1);
    try {
      value = decodeURIComponent(value);
    } catch {
      // A malformed escape is kept verbatim; the signature check will refuse it anyway.
    }
    cookies.set(name, value);
  }
  return cookies;
}

/**
 * The last `Cookie` header {@link getCookie} parsed, and its cookies: a page reads three of one
 * request's cookies (session, CSRF, flash) and a join two, each through `getCookie`.
 */
let lastHeader = "";
let lastCookies: ReadonlyMap<string, string> = new Map();

/** One cookie of a request (or of its headers), or `undefined`. */
export function getCookie(from: Request | Pick<Headers, "get">, name: string): string | undefined {
  const header = ("headers" in from ? from.headers : from).get("cookie");
  if (!header) return undefined;
  if (header !== lastHeader) {
    lastCookies = parseCookies(header);
    lastHeader = header;
  }
  return lastCookies.get(name);
}

/** Attributes of a `Set-Cookie` header. */
export interface CookieOptions {
  readonly httpOnly?: boolean;
  readonly secure?: boolean;
  readonly sameSite?: "Lax" | "Strict" | "None";
  readonly path?: string;
  /** Seconds; `0` deletes the cookie. Omit for a browser-session cookie. */
  readonly maxAge?: number;
}

/** Builds a `Set-Cookie` header value. */
export function serializeCookie(name: string, value: string, options: CookieOptions = {}): string {
  let out = `${name}=${encodeURIComponent(value)}; Path=${options.path ?? "/"}`;
  if (options.maxAge !== undefined) out += `; Max-Age=${Math.floor(options.maxAge)}`;
  if (options.httpOnly) out += "; HttpOnly";
  if (options.secure) out += "; Secure";
  out += `; SameSite=${options.sameSite ?? "Lax"}`;
  return out;
}
