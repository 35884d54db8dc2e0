import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { randomToken } from "../../src/auth/session.js";

describe("randomToken", () => {
  it("gives URL-safe tokens of the asked size, never the same twice, across pool refills", () => {
    // 32-byte tokens from a 4 KiB pool: 1,000 of them refill it several times, and 20-byte ones
    // end a pool part-way through a token's length.
    const seen = new Set<string>();
    for (const bytes of [32, 20, 12, 1]) {
      for (let i = 0; i < 1000; i++) {
        const token = randomToken(bytes);
        assert.match(token, /^[A-Za-z0-9_-]+$/);
        assert.equal(Buffer.from(token, "base64url").length, bytes);
        if (bytes >= 12) {
          assert.equal(seen.has(token), false, `token repeated: ${token}`);
          seen.add(token);
        }
      }
    }
    assert.equal(seen.size, 3000);
  });

  it("defaults to 32 bytes and serves sizes larger than its pool", () => {
    assert.equal(Buffer.from(randomToken(), "base64url").length, 32);
    const big = randomToken(10_000);
    assert.equal(Buffer.from(big, "base64url").length, 10_000);
    assert.notEqual(big, randomToken(10_000));
  });

  it("spreads its bytes over all values (not a constant or a counter)", () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 400; i++) {
      for (const byte of Buffer.from(randomToken(64), "base64url"))
        counts[byte] = (counts[byte] ?? 0) + 1;
    }
    // 25,600 bytes: each value is expected 100 times; a broken source leaves many at 0.
    assert.ok(Math.min(...counts) > 40, `min ${Math.min(...counts)}`);
    assert.ok(Math.max(...counts) < 180, `max ${Math.max(...counts)}`);
  });
});
