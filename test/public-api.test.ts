/**
 * The public entry points export what users write, and not the framework's internals.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as djust from "../src/index.js";
import * as server from "../src/server/index.js";

describe("public API", () => {
  it("djust/server keeps internals out", () => {
    for (const internal of [
      "Signer",
      "callerKey",
      "clientIp",
      "SessionManager",
      "liveRequestFrom",
      "ANONYMOUS_USER",
    ]) {
      assert.equal(internal in server, false, internal);
    }
  });

  it("exports what apps need without reaching into src/", () => {
    for (const name of [
      "createApp",
      "liveSession",
      "login",
      "logout",
      "csrfExempt",
      "safeRedirect",
      "registerFilter",
      "SessionAuth",
      "AllowAny",
      "RedisSessionStore",
      "RedisRateLimitStore",
      "RedisStateBackend",
      "RedisPubSub",
      "SESSION_COOKIE",
      "CSRF_COOKIE",
      "CSRF_HEADER",
    ]) {
      assert.equal(typeof (server as Record<string, unknown>)[name] !== "undefined", true, name);
    }
    for (const name of [
      "LiveView",
      "hasPermission",
      "isAuthenticated",
      "registerFilter",
      "html",
      "form",
      "emptyForm",
      "ERROR_STATUS",
      "NotFound",
      "MountFailed",
    ]) {
      assert.equal(typeof (djust as Record<string, unknown>)[name] !== "undefined", true, name);
    }
    assert.equal("contextOf" in djust, false, "one render context: the instance's");
  });
});

describe("safeRedirect", () => {
  it("accepts same-site paths", () => {
    assert.equal(server.safeRedirect("/orders/?page=2#top"), "/orders/?page=2#top");
    assert.equal(server.safeRedirect("/"), "/");
  });

  it("refuses anything that could leave the site, falling back", () => {
    for (const next of [
      "//evil.example/",
      "/\\\\evil.example",
      "https://evil.example/",
      "javascript:alert(1)",
      "evil",
      "",
      "/\\nLocation: x",
      null,
      42,
      ["/a"],
      `/${"a".repeat(3000)}`,
    ]) {
      assert.equal(server.safeRedirect(next), "/", JSON.stringify(next));
    }
    assert.equal(server.safeRedirect("//evil.example", "/home/"), "/home/");
  });
});
