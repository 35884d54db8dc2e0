/**
 * The signer behind session cookies and live tokens: its MAC is HMAC-SHA256 of a key derived
 * from the secret and the purpose, exactly as `createHmac` computes it, for every key length.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Signer } from "../../src/auth/signing.js";
import { propertyRuns } from "../support/property-runs.js";

/** What `Signer.sign` must produce: the value, a dot, and its HMAC-SHA256 in base64url. */
function expected(secret: string, purpose: string, value: string): string {
  const mac = createHmac("sha256", `djust:${purpose}:${secret}`).update(value).digest("base64url");
  return `${value}.${mac}`;
}

describe("Signer", () => {
  it("signs with HMAC-SHA256, whatever the length of the secret (longer than a block included)", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 200, unit: "grapheme" }),
        fc.constantFrom("session", "live:view", "live:flash"),
        fc.string({ maxLength: 300, unit: "grapheme" }),
        (secret, purpose, value) => {
          const signer = new Signer(secret);
          assert.equal(signer.sign(purpose, value), expected(secret, purpose, value));
          // A second MAC with the same prepared key is the same.
          assert.equal(signer.sign(purpose, value), expected(secret, purpose, value));
          // An empty value is never accepted back (`unsign` needs something before the dot).
          const back = signer.unsign(purpose, signer.sign(purpose, value));
          assert.equal(back, value === "" ? null : value);
        },
      ),
      propertyRuns(300),
    );
    // Keys around SHA-256's 64-byte block: "djust:live:view:" is 16 bytes.
    for (const length of [47, 48, 49, 63, 64, 65, 200]) {
      const secret = "s".repeat(length);
      assert.equal(new Signer(secret).sign("live:view", "v"), expected(secret, "live:view", "v"));
    }
  });

  it("refuses a value signed for another purpose or with another secret, or tampered", () => {
    const signer = new Signer("secret");
    const signed = signer.sign("session", "abc");
    assert.equal(signer.unsign("session", signed), "abc");
    assert.equal(signer.unsign("live:view", signed), null);
    assert.equal(new Signer("other").unsign("session", signed), null);
    assert.equal(signer.unsign("session", `x${signed}`), null);
    assert.equal(signer.unsign("session", signed.slice(0, -1)), null);
    assert.equal(signer.unsign("session", "abc"), null);
  });
});
