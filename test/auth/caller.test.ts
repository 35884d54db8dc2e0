import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { callerKey, clientIp } from "../../src/auth/caller.js";

const h = (xff?: string) => new Headers(xff === undefined ? {} : { "x-forwarded-for": xff });

describe("clientIp", () => {
  it("uses the socket address and ignores X-Forwarded-For by default", () => {
    assert.equal(clientIp(h("9.9.9.9"), "10.0.0.1"), "10.0.0.1");
    assert.equal(clientIp(h("9.9.9.9"), undefined), null);
    assert.equal(clientIp(h(), "::ffff:127.0.0.1"), "127.0.0.1");
    assert.equal(clientIp(h(), "::1"), "::1");
    assert.equal(clientIp(h(), "not-an-ip"), null);
  });

  it("with n trusted proxies takes the n-th entry from the right", () => {
    assert.equal(clientIp(h("1.1.1.1"), "10.0.0.1", 1), "1.1.1.1");
    assert.equal(clientIp(h("6.6.6.6, 1.1.1.1"), "10.0.0.1", 1), "1.1.1.1");
    assert.equal(clientIp(h("6.6.6.6, 1.1.1.1, 10.0.0.2"), "10.0.0.1", 2), "1.1.1.1");
    assert.equal(clientIp(h(" 2001:db8::1 ,10.0.0.2"), "10.0.0.1", 2), "2001:db8::1");
  });

  it("falls back to the socket when the header is missing, too short or garbage", () => {
    assert.equal(clientIp(h(), "10.0.0.1", 1), "10.0.0.1");
    assert.equal(clientIp(h("1.1.1.1"), "10.0.0.1", 2), "10.0.0.1");
    assert.equal(clientIp(h("evil, <script>"), "10.0.0.1", 1), "10.0.0.1");
    assert.equal(clientIp(h(",,"), "10.0.0.1", 1), "10.0.0.1");
  });
});

describe("callerKey", () => {
  it("user, else ip, else session, else ip:unknown", () => {
    assert.equal(callerKey({ user: { id: 7 }, sessionId: "s", clientIp: "1.2.3.4" }), "user:7");
    assert.equal(callerKey({ user: { id: "abc" } }), "user:abc");
    // An anonymous caller's bucket survives dropping its cookie: the address wins.
    assert.equal(
      callerKey({ user: { id: null, isAnonymous: true }, sessionId: "s1", clientIp: "1.2.3.4" }),
      "ip:1.2.3.4",
    );
    const session = callerKey({ user: { id: null, isAnonymous: true }, sessionId: "s1" });
    assert.match(session, /^session:[\w-]{22}$/);
    assert.equal(callerKey({ sessionId: "s1" }), session, "stable per session");
    assert.notEqual(callerKey({ sessionId: "s2" }), session);
    assert.ok(!session.includes("s1"), "the raw session id never appears in a bucket key");
    assert.equal(callerKey({ user: null, clientIp: "1.2.3.4" }), "ip:1.2.3.4");
    assert.equal(callerKey({ user: { id: 1, isAnonymous: true }, clientIp: "::1" }), "ip:::1");
    assert.equal(callerKey({}), "ip:unknown");
  });
});
