/**
 * The public entry points export what users write, and not the framework's internals.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
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
      "LiveStream",
      "UnknownStream",
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

describe("CommonJS callers", () => {
  it("require() of each entry point fails with an error that names the fix", () => {
    const dir = mkdtempSync(join(tmpdir(), "djust-cjs-"));
    try {
      mkdirSync(join(dir, "node_modules"));
      symlinkSync(resolve(import.meta.dirname, ".."), join(dir, "node_modules", "djust"));
      for (const entry of ["djust", "djust/server", "djust/testing"]) {
        writeFileSync(
          join(dir, "main.cjs"),
          `try { require(${JSON.stringify(entry)}); } catch (e) { console.log(e.code + "\\n" + e.message); }`,
        );
        const run = spawnSync(process.execPath, ["main.cjs"], { cwd: dir, encoding: "utf8" });
        assert.equal(run.status, 0, run.stderr);
        assert.equal(
          run.stdout,
          [
            "ERR_REQUIRE_ESM",
            "djust is an ES module package and cannot be loaded with require(). Load it with import from",
            "an ES module:",
            '  - package.json: "type": "module" (or name the file .mjs / .mts);',
            '  - tsconfig.json: "module": "NodeNext", "target": "ES2022" or later, and no',
            '    "experimentalDecorators" (djust uses standard decorators);',
            '  - then: import { LiveView } from "djust"; import { createApp } from "djust/server".',
            "Project setup: docs/setup.md in the djust repository.",
            "",
          ].join("\n"),
          entry,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
