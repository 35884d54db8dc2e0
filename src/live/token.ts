/**
 * Signed tokens for the live transport: the `data-phx-session` token that names the view a page
 * rendered (verified on `phx_join`) and the long-poll session token.
 *
 * A thin layer over the app's {@link Signer} (`signJson`/`unsignJson`, HMAC-SHA256 with a
 * purpose-derived key): a token signed for one purpose (say, long-poll) never verifies for
 * another (the page session), and never as a session cookie.
 * @module
 */
import type { Signer } from "../auth/signing.js";

/** Signs and verifies JSON object payloads for one purpose. */
export class TokenSigner {
  readonly #signer: Signer;
  readonly #purpose: string;

  constructor(signer: Signer, purpose: string) {
    this.#signer = signer;
    this.#purpose = `live:${purpose}`;
  }

  /** A token carrying `payload` and its issue time. */
  sign(payload: Record<string, unknown>): string {
    return this.#signer.signJson(this.#purpose, payload);
  }

  /**
   * The payload of a genuine token not older than `maxAgeMs`, else `null` (tampered, truncated,
   * signed with another key or purpose, expired).
   */
  verify(token: unknown, maxAgeMs: number): Record<string, unknown> | null {
    if (typeof token !== "string" || token.length > 64 * 1024) return null;
    const payload = this.#signer.unsignJson(this.#purpose, token, maxAgeMs);
    if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return null;
    return payload as Record<string, unknown>;
  }
}
