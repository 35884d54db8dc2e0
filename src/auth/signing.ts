/**
 * HMAC-SHA256 signing with purpose-separated keys (the analog of Django's `signing`), for the
 * session cookie, the live session token and anything else that must come back untampered.
 * @module
 */
import { createHash, timingSafeEqual, type Hash } from "node:crypto";

/** SHA-256's block size in bytes: HMAC pads the key to it. */
const BLOCK_BYTES = 64;

/**
 * HMAC-SHA256 (RFC 2104) of one key, the same MAC as `createHmac("sha256", key)`, with the key's
 * two padded blocks hashed once: each MAC copies those hash states. `createHmac` prepares the
 * key and looks its digest up again on every call, which is most of the cost of signing a short
 * token (the view token of every page and join).
 */
class HmacKey {
  readonly #inner: Hash;
  readonly #outer: Hash;

  constructor(key: Buffer) {
    const block = key.length > BLOCK_BYTES ? createHash("sha256").update(key).digest() : key;
    const inner = Buffer.alloc(BLOCK_BYTES, 0x36);
    const outer = Buffer.alloc(BLOCK_BYTES, 0x5c);
    for (let i = 0; i < block.length; i++) {
      inner[i] = (inner[i] as number) ^ (block[i] as number);
      outer[i] = (outer[i] as number) ^ (block[i] as number);
    }
    this.#inner = createHash("sha256").update(inner);
    this.#outer = createHash("sha256").update(outer);
  }

  /** The MAC of `value` (UTF-8), base64url. */
  mac(value: string): string {
    const inner = this.#inner.copy().update(value).digest();
    return this.#outer.copy().update(inner).digest("base64url");
  }
}

/** Signs and verifies values; each `purpose` derives its own key, so tokens don't cross over. */
export class Signer {
  readonly #secret: string;
  /** Each purpose's key (the purposes are the framework's own few names). */
  readonly #keys = new Map<string, HmacKey>();

  constructor(secret: string) {
    if (!secret) throw new TypeError("Signer needs a non-empty secret key");
    this.#secret = secret;
  }

  #mac(purpose: string, value: string): string {
    let key = this.#keys.get(purpose);
    if (!key) {
      key = new HmacKey(Buffer.from(`djust:${purpose}:${this.#secret}`));
      this.#keys.set(purpose, key);
    }
    return key.mac(value);
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
