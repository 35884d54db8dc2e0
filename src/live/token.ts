/**
 * Signed tokens for the live transport: the `data-phx-session` token that names the view a page
 * rendered (verified on `phx_join`) and the long-poll session token.
 *
 * Format: `base64url(JSON payload) "." base64url(HMAC-SHA256)`. The key is derived from the
 * app's `secretKey` with a purpose string, so a token signed for one purpose (say, long-poll)
 * never verifies for another (the page session), and never as a session cookie.
 * @module
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** Signs and verifies JSON payloads for one purpose. */
export class TokenSigner {
  readonly #key: Buffer;

  constructor(secretKey: string, purpose: string) {
    this.#key = createHmac("sha256", secretKey).update(`djust.live:${purpose}`).digest();
  }

  /** A token carrying `payload` and its issue time. */
  sign(payload: Record<string, unknown>): string {
    const body = Buffer.from(JSON.stringify({ ...payload, iat: Date.now() })).toString("base64url");
    return `${body}.${this.#mac(body)}`;
  }

  /**
   * The payload of a genuine token not older than `maxAgeMs`, else `null` (tampered, truncated,
   * signed with another key or purpose, expired).
   */
  verify(token: unknown, maxAgeMs: number): Record<string, unknown> | null {
    if (typeof token !== "string" || token.length > 64 * 1024) return null;
    const dot = token.lastIndexOf(".");
    if (dot <= 0) return null;
    const body = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), "base64url");
    const expected = Buffer.from(this.#mac(body), "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    let payload: unknown;
    try {
      payload = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
    } catch {
      return null;
    }
    if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return null;
    const iat = (payload as { iat?: unknown }).iat;
    if (typeof iat !== "number" || Date.now() - iat > maxAgeMs) return null;
    return payload as Record<string, unknown>;
  }

  #mac(body: string): string {
    return createHmac("sha256", this.#key).update(body).digest("base64url");
  }
}
