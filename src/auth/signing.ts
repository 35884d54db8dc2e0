/**
 * HMAC-SHA256 signing with purpose-separated keys (the analog of Django's `signing`), for the
 * session cookie, the live session token and anything else that must come back untampered.
 * @module
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** Signs and verifies values; each `purpose` derives its own key, so tokens don't cross over. */
export class Signer {
  readonly #secret: string;

  constructor(secret: string) {
    if (!secret) throw new TypeError("Signer needs a non-empty secret key");
    this.#secret = secret;
  }

  #mac(purpose: string, value: string): string {
    return createHmac("sha256", `djust:${purpose}:${this.#secret}`)
      .update(value)
      .digest("base64url");
  }

  /** `value.signature` */
  sign(purpose: string, value: string): string {
    return `${value}.${this.#mac(purpose, value)}`;
  }

  /** The original value, or `null` when the signature does not match (constant-time). */
  unsign(purpose: string, signed: string): string | null {
    const dot = signed.lastIndexOf(".");
    if (dot <= 0) return null;
    const value = signed.slice(0, dot);
    const given = Buffer.from(signed.slice(dot + 1));
    const expected = Buffer.from(this.#mac(purpose, value));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    return value;
  }

  /** Signs a JSON payload with an issue time, base64url-encoded. */
  signJson(purpose: string, payload: unknown): string {
    const body = Buffer.from(JSON.stringify({ v: payload, t: Date.now() })).toString("base64url");
    return this.sign(purpose, body);
  }

  /**
   * The payload of a {@link signJson} token, or `null` when tampered, malformed or older than
   * `maxAgeMs`.
   */
  unsignJson(purpose: string, token: string, maxAgeMs?: number): unknown {
    const body = this.unsign(purpose, token);
    if (body === null) return null;
    try {
      const parsed = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as {
        v?: unknown;
        t?: unknown;
      };
      if (typeof parsed.t !== "number") return null;
      if (maxAgeMs !== undefined && Date.now() - parsed.t > maxAgeMs) return null;
      return parsed.v ?? null;
    } catch {
      return null;
    }
  }
}
