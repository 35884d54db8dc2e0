import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { originFailure, tokensEqual, verifyCsrf } from "../../src/auth/csrf.js";
import { getCookie, parseCookies, serializeCookie } from "../../src/auth/cookies.js";
import { DjustError } from "../../src/errors.js";

function req(url: string, headers: Record<string, string>): Request {
  return new Request(url, { method: "POST", headers });
}

function failure(fn: () => void): string | null {
  try {
    fn();
    return null;
  } catch (error) {
    assert.ok(error instanceof DjustError);
    assert.equal(error.kind, "csrf_failed");
    assert.equal(error.status, 403);
    return error.message;
  }
}

describe("tokensEqual", () => {
  it("compares exactly, whatever the lengths", () => {
    assert.equal(tokensEqual("abc", "abc"), true);
    assert.equal(tokensEqual("abc", "abd"), false);
    assert.equal(tokensEqual("abc", "abcd"), false);
    assert.equal(tokensEqual("", ""), true);
  });
});

describe("verifyCsrf", () => {
  const url = "http://app.test/x";

  it("accepts the session token in X-CSRFToken", () => {
    assert.equal(
      failure(() => verifyCsrf(req(url, { "x-csrftoken": "t1" }), { sessionToken: "t1" })),
      null,
    );
  });

  it("accepts the form field when there is no header", () => {
    assert.equal(
      failure(() => verifyCsrf(req(url, {}), { sessionToken: "t1", formToken: "t1" })),
      null,
    );
  });

  it("without a session, double-submit against the csrftoken cookie", () => {
    assert.equal(
      failure(() => verifyCsrf(req(url, { cookie: "csrftoken=c1", "x-csrftoken": "c1" }))),
      null,
    );
    assert.match(
      failure(() => verifyCsrf(req(url, { cookie: "csrftoken=c1", "x-csrftoken": "c2" })))!,
      /incorrect/,
    );
    assert.match(
      failure(() => verifyCsrf(req(url, { "x-csrftoken": "c1" })))!,
      /cookie not set/,
    );
  });

  it("with a session, the cookie cannot substitute for the session's token", () => {
    const r = req(url, { cookie: "csrftoken=planted", "x-csrftoken": "planted" });
    assert.match(
      failure(() => verifyCsrf(r, { sessionToken: "real" }))!,
      /incorrect/,
    );
  });

  it("missing token", () => {
    assert.match(
      failure(() => verifyCsrf(req(url, {}), { sessionToken: "t" }))!,
      /missing/,
    );
  });

  it("origin checks run first and name the origin", () => {
    const r = req(url, { origin: "https://evil.test", "x-csrftoken": "t" });
    assert.match(
      failure(() => verifyCsrf(r, { sessionToken: "t" }))!,
      /evil\.test does not match/,
    );
  });

  it("trusted origins extend the request's own", () => {
    const r = req(url, { origin: "https://public.test", "x-csrftoken": "t" });
    assert.equal(
      failure(() => verifyCsrf(r, { sessionToken: "t", trustedOrigins: ["https://public.test"] })),
      null,
    );
  });
});

describe("originFailure", () => {
  it("accepts the same origin, refuses others and 'null'", () => {
    assert.equal(originFailure(req("http://a.test/x", { origin: "http://a.test" })), null);
    assert.notEqual(originFailure(req("http://a.test/x", { origin: "http://a.test:81" })), null);
    assert.notEqual(originFailure(req("http://a.test/x", { origin: "null" })), null);
    assert.notEqual(originFailure(req("http://a.test/x", { origin: "garbage" })), null);
  });

  it("https without Origin requires a same-origin Referer; http does not", () => {
    assert.equal(originFailure(req("http://a.test/x", {})), null);
    assert.match(originFailure(req("https://a.test/x", {}))!, /no Referer/);
    assert.equal(originFailure(req("https://a.test/x", { referer: "https://a.test/page" })), null);
    assert.notEqual(
      originFailure(req("https://a.test/x", { referer: "https://b.test/page" })),
      null,
    );
  });
});

describe("cookies", () => {
  it("parses, decodes, keeps the first duplicate and survives garbage", () => {
    const cookies = parseCookies('a=1; b="two"; c=%20x; a=2; =bad; novalue; d=%E0%A4%A');
    assert.equal(cookies.get("a"), "1");
    assert.equal(cookies.get("b"), "two");
    assert.equal(cookies.get("c"), " x");
    assert.equal(cookies.get("d"), "%E0%A4%A");
    assert.equal(cookies.has("novalue"), false);
    assert.equal(parseCookies(null).size, 0);
  });

  it("reads each request's own cookies, one request after another", () => {
    const first = new Headers({ cookie: "csrftoken=one; djust_session=s1" });
    const second = new Headers({ cookie: "csrftoken=two" });
    assert.equal(getCookie(first, "csrftoken"), "one");
    assert.equal(getCookie(first, "djust_session"), "s1");
    assert.equal(getCookie(second, "csrftoken"), "two");
    assert.equal(getCookie(second, "djust_session"), undefined);
    assert.equal(getCookie(new Headers(), "csrftoken"), undefined);
    assert.equal(getCookie(new Request("http://x/", { headers: first }), "csrftoken"), "one");
  });

  it("serializes with safe defaults", () => {
    assert.equal(
      serializeCookie("s", "a b", { httpOnly: true, secure: true, maxAge: 60 }),
      "s=a%20b; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=Lax",
    );
  });
});
