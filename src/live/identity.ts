/**
 * Who is on the other end of a page request or a live connection, from its cookies: the
 * session (session cookie), the user (`loadUser` of the session's user id) and the rate-limit
 * caller key; and the {@link ConnectionIdentity} a connection keeps.
 * @module
 */
import { callerKey, clientIp, sessionDigest } from "../auth/caller.js";
import { getCookie } from "../auth/cookies.js";
import { tokensEqual } from "../auth/csrf.js";
import { cookieCsrfSecret } from "../auth/http.js";
import { SESSION_COOKIE, type Session, type SessionManager } from "../auth/session.js";
import type { User } from "../auth/user.js";
import type { SessionData } from "../auth/session.js";
import type { ConnectionIdentity } from "./host.js";

/** What identifying a visitor needs from the app. */
export interface IdentifyOptions {
  readonly sessions: SessionManager;
  /** Resolves a session's user id to a user (default `{ id }`). */
  readonly loadUser?: (id: string | number) => User | null | Promise<User | null>;
  /** Reverse proxies whose `X-Forwarded-For` entries are trusted. */
  readonly trustedProxyCount: number;
}

/** A visitor: its session (if any), user and rate-limit caller key. */
export interface Visitor {
  readonly session: Session | null;
  readonly user: User | null;
  readonly caller: string;
}

/**
 * Request headers as name/value pairs (lower-case names), read with `get` as `Headers` are. A
 * connection keeps its handshake's headers so (a `Headers` object is some 400 bytes more and
 * slower to make) and makes a `Headers` only when a view reads `request.headers`.
 */
export class HeaderPairs implements Pick<Headers, "get"> {
  private constructor(readonly pairs: readonly string[]) {}

  /** The headers of a Node request, but for those named in `skip`. */
  static fromNode(
    headers: Readonly<Record<string, string | string[] | undefined>>,
    skip: ReadonlySet<string>,
  ): HeaderPairs {
    const pairs: string[] = [];
    for (const name of Object.keys(headers)) {
      if (skip.has(name)) continue;
      const value = headers[name];
      if (typeof value === "string") pairs.push(name, value);
      else if (Array.isArray(value)) for (const v of value) pairs.push(name, v);
    }
    // Kept as long as the connection: an exactly sized copy (a pushed array reserves room).
    return new HeaderPairs(pairs.slice());
  }

  static of(headers: Headers): HeaderPairs {
    const pairs: string[] = [];
    for (const [name, value] of headers) pairs.push(name, value);
    return new HeaderPairs(pairs);
  }

  /** As `Headers.get`: the values of `name` joined with ", ", or `null`. */
  get(name: string): string | null {
    const wanted = name.toLowerCase();
    const pairs = this.pairs;
    let found: string | null = null;
    for (let i = 0; i < pairs.length; i += 2) {
      if (pairs[i] !== wanted) continue;
      const value = pairs[i + 1] as string;
      found = found === null ? value : `${found}, ${value}`;
    }
    return found;
  }

  /** A `Headers` object with these headers. */
  toHeaders(): Headers {
    const headers = new Headers();
    const pairs = this.pairs;
    for (let i = 0; i < pairs.length; i += 2) {
      headers.append(pairs[i] as string, pairs[i + 1] as string);
    }
    return headers;
  }
}

/** Identifies the sender of `headers` (from `remoteAddress`, behind trusted proxies). */
export async function identify(
  options: IdentifyOptions,
  headers: Pick<Headers, "get">,
  remoteAddress: string | null | undefined,
): Promise<Visitor> {
  const session = await options.sessions.load(getCookie(headers, SESSION_COOKIE));
  let user: User | null = null;
  const userId = session?.record.userId;
  if (userId !== null && userId !== undefined) {
    user = options.loadUser ? await options.loadUser(userId) : { id: userId };
  }
  const ip = clientIp(headers, remoteAddress, options.trustedProxyCount);
  return { session, user, caller: callerKey({ user, sessionId: session?.id, clientIp: ip }) };
}

/**
 * A connection's identity. A class, not an object literal with a `verifyCsrf` arrow: the arrow
 * would keep the scope it was made in alive for the life of the connection (during a WebSocket
 * upgrade that is the upgrade request and its buffers).
 */
class SessionIdentity implements ConnectionIdentity {
  readonly #pairs: HeaderPairs;
  #headers?: Headers;

  constructor(
    readonly user: User | null,
    readonly session: SessionData,
    readonly sessionKey: string | undefined,
    readonly caller: string,
    headers: HeaderPairs,
    readonly transport: ConnectionIdentity["transport"],
    readonly csrfToken: string | undefined,
  ) {
    this.#pairs = headers;
  }

  /** Made on first read: views seldom read their request's headers (see {@link HeaderPairs}). */
  get headers(): Headers {
    return (this.#headers ??= this.#pairs.toHeaders());
  }

  verifyCsrf(token: unknown): boolean {
    const expected = this.csrfToken;
    return typeof token === "string" && expected !== undefined && tokensEqual(token, expected);
  }
}

/** The identity a connection of `visitor` keeps; its CSRF token is the session's. */
export function connectionIdentity(
  visitor: Visitor,
  headers: HeaderPairs,
  transport: ConnectionIdentity["transport"],
): ConnectionIdentity {
  const session = visitor.session;
  return new SessionIdentity(
    visitor.user,
    session?.record.data ?? {},
    session ? sessionDigest(session.id) : undefined,
    visitor.caller,
    headers,
    transport,
    // Without a session, the `csrftoken` cookie's secret (the page's token; DESIGN §12).
    session?.record.csrfToken ?? cookieCsrfSecret(headers),
  );
}
