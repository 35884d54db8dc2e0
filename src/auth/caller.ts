/**
 * Who a request comes from, for rate limits: the one function both the HTTP API and the live
 * transports use, so a caller's WebSocket events and HTTP calls land in the same bucket.
 * @module
 */
import { hash } from "node:crypto";
import { isIP } from "node:net";
import type { User } from "./user.js";
import { isAuthenticated } from "./user.js";

/**
 * The client's IP address. `X-Forwarded-For` is trusted only when the app sits behind
 * `trustedProxyCount` proxies that each append the address they saw: the n-th entry from the
 * right is then the client as seen by the outermost proxy. Entries further left are
 * client-controlled, and with fewer entries than proxies the header cannot be trusted at all.
 *
 * @param remoteAddress The socket's peer address (`undefined` with `app.fetch`).
 * @returns the address, or `null` when unknown.
 */
export function clientIp(
  headers: Pick<Headers, "get">,
  remoteAddress: string | null | undefined,
  trustedProxyCount = 0,
): string | null {
  const direct = normalizeIp(remoteAddress);
  if (trustedProxyCount <= 0) return direct;
  const header = headers.get("x-forwarded-for");
  if (!header) return direct;
  const entries = header
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  if (entries.length < trustedProxyCount) return direct;
  return normalizeIp(entries[entries.length - trustedProxyCount]) ?? direct;
}

/** Validates an address and strips the IPv4-mapped IPv6 prefix (`::ffff:1.2.3.4`). */
function normalizeIp(value: string | null | undefined): string | null {
  if (!value) return null;
  const mapped = value.startsWith("::ffff:") ? value.slice(7) : value;
  if (isIP(mapped)) return mapped;
  return isIP(value) ? value : null;
}

/** What identifies a caller. */
export interface CallerInput {
  readonly user?: User | null;
  /** The session id (raw; it is hashed before it goes into a key). */
  readonly sessionId?: string | null;
  readonly clientIp?: string | null;
}

/**
 * A digest naming a session where its id must not appear: anything that may end up in a shared
 * store or on the pub/sub (Redis), where a raw id would be a usable session credential. 22
 * base64url characters, 132 bits of SHA-256.
 */
export function sessionDigest(sessionId: string): string {
  return hash("sha256", sessionId, "base64url").slice(0, 22);
}

/**
 * The rate-limit caller key: `user:<id>` for a logged-in user, else `ip:<address>` (an
 * anonymous caller's bucket must survive dropping its cookie, DESIGN §12), else
 * `session:<digest>` ({@link sessionDigest}) when the address is unknown, else `ip:unknown`.
 */
export function callerKey(input: CallerInput): string {
  if (isAuthenticated(input.user)) return `user:${String(input.user.id)}`;
  if (input.clientIp) return `ip:${input.clientIp}`;
  if (input.sessionId) return `session:${sessionDigest(input.sessionId)}`;
  return `ip:${input.clientIp ?? "unknown"}`;
}
