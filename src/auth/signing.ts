/**
 * HMAC-SHA256 signing with purpose-separated keys (the analog of Django's `signing`), for the
 * session cookie, the live session token and anything else that must come back untampered.
 * @module
 */
import { hash, timingSafeEqual } from "node:crypto";

/** SHA-256's block size in bytes: HMAC pads the key to it. */
const BLOCK_BYTES = 64;
const DIGEST_BYTES = 32;

/**
 * HMAC-SHA256 (RFC 2104) of one key, the same MAC as `createHmac("sha256", key)`, in two
 * one-shot hashes over the key's padded blocks: no hash or HMAC object is made per MAC (making
 * them, or copying a prepared hash state, was most of the cost of signing a short token — the
 * view token of every page and join).
 */
class HmacKey {
  /** The key's inner padded block. */
  readonly #inner: Buffer;
  /** The key's outer padded block, then room for the inner digest (refilled by each MAC). */
  readonly #outer: Buffer;

  constructor(key: Buffer) {
    const block = key.length > BLOCK_BYTES ? hash("sha256", key, "buffer") : key;
    this.#inner = Buffer.alloc(BLOCK_BYTES, 0x36);
    this.#outer = Buffer.alloc(BLOCK_BYTES + DIGEST_BYTES, 0x5c);
    for (let i = 0; i < block.length; i++) {
      this.#inner[i] = (this.#inner[i] as number) ^ (block[i] as number);
      this.#outer[i] = (this.#outer[i] as number) ^ (block[i] as number);
    }
  }

  /** The MAC of `value` (UTF-8), base64url. */
  mac(value: string): string {
    const message = Buffer.allocUnsafe(BLOCK_BYTES + Buffer.byteLength(value));
    this.#inner.copy(message);
    message.write(value, BLOCK_BYTES);
    hash("sha256", message, "buffer").copy(this.#outer, BLOCK_BYTES);
    return hash("sha256", this.#outer, "base64url");
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
