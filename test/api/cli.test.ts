import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import { runOpenapi } from "../../src/cli/openapi.js";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t) },
    out: () => out.join(""),
    err: () => err.join(""),
  };
}

describe("djust openapi", () => {
  it("prints the document of the app exported as `app`", async () => {
    const c = capture();
    assert.equal(await runOpenapi(["--app", "test/api/cli-app.ts"], c.io), 0);
    const doc = JSON.parse(c.out());
    assert.equal(doc.openapi, "3.1.0");
    assert.ok(doc.paths["/order/update_status/"]);
    assert.equal((await new Validator().validate(doc)).valid, true);
    assert.match(c.out(), /^\{\n {2}"openapi"/, "indented by default");
  });

  it("accepts a default export, --app=path and --compact", async () => {
    const c = capture();
    assert.equal(await runOpenapi(["--app=test/api/cli-default-app.ts", "--compact"], c.io), 0);
    const doc = JSON.parse(c.out());
    assert.equal(doc.info.title, "Default export");
    assert.equal(c.out().trim().includes("\n"), false);
  });

  it("--out writes a file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "djust-openapi-"));
    try {
      const c = capture();
      const file = join(dir, "openapi.json");
      assert.equal(await runOpenapi(["--app", "test/api/cli-app.ts", "--out", file], c.io), 0);
      assert.equal(c.out(), "");
      assert.equal(JSON.parse(await readFile(file, "utf8")).openapi, "3.1.0");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("usage errors exit 2, load errors exit 1", async () => {
    const bad = capture();
    assert.equal(await runOpenapi(["--nope"], bad.io), 2);
    assert.match(bad.err(), /unknown argument/);
    const missing = capture();
    assert.equal(await runOpenapi(["--app", "test/api/does-not-exist.ts"], missing.io), 1);
    assert.match(missing.err(), /cannot load/);
    const noApp = capture();
    assert.equal(await runOpenapi(["--app", "test/api/fixtures.ts"], noApp.io), 1);
    assert.match(noApp.err(), /must export the app/);
    const help = capture();
    assert.equal(await runOpenapi(["--help"], help.io), 0);
    assert.match(help.out(), /Usage: djust openapi/);
  });
});

describe("djust openapi: no views, another copy of djust", () => {
  it("fails loudly when the app has no views", async () => {
    const c = capture();
    assert.equal(await runOpenapi(["--app", "test/api/cli-empty-app.ts"], c.io), 1);
    assert.equal(c.out(), "");
    assert.equal(
      c.err(),
      "djust openapi: test/api/cli-empty-app.ts: the app has no views: register them before " +
        "exporting it (app.live(path, View) or app.register(View)) and make sure the module " +
        "does not wait for something (a listen() call) before doing so\n",
    );
  });

  it("fails loudly when the views were decorated by another copy of djust", async () => {
    const c = capture();
    assert.equal(await runOpenapi(["--app", "test/api/cli-foreign-app.ts"], c.io), 1);
    assert.equal(c.out(), "");
    assert.match(
      c.err(),
      /^djust openapi: test\/api\/cli-foreign-app\.ts: the view ForeignView was defined with another copy of djust than this command \(.*openapi\.ts\); run the djust command of the installation the app imports/,
    );
  });
});

describe("the djust bin in a checkout", () => {
  const ROOT = join(import.meta.dirname, "../..");
  const run = (args: string[], cwd = ROOT) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((done, fail) => {
      const child = spawn(process.execPath, args, {
        cwd,
        env: { ...process.env, NODE_OPTIONS: "" },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("error", fail);
      child.on("close", (code) => done({ code, stdout, stderr }));
    });

  it("package.json's bin is a launcher that runs the sources through tsx without a build", async () => {
    const manifest = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8"));
    assert.equal(manifest.bin.djust, "./bin/djust.js");
    assert.ok(manifest.files.includes("bin"));
    assert.equal(manifest.scripts.prepare, "npm run build");
    const help = await run([join(ROOT, "bin/djust.js"), "--help"]);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^Usage: djust <command>/);
  });

  it("openapi --app loads the app with the command's own copy of djust (plain node, no tsx flag)", async () => {
    const r = await run([join(ROOT, "bin/djust.js"), "openapi", "--app", "test/api/cli-app.ts"]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(JSON.parse(r.stdout).paths["/order/update_status/"], r.stdout);
  });

  it("stops quietly when the reader closes the pipe (djust openapi | head)", async () => {
    const r = await run([
      "-e",
      `const { spawn } = require("node:child_process");
       const c = spawn(process.execPath, [${JSON.stringify(join(ROOT, "bin/djust.js"))}, "openapi", "--app", "test/api/cli-app.ts"]);
       let err = ""; c.stderr.on("data", (d) => (err += d));
       c.stdout.once("data", () => c.stdout.destroy());
       c.on("close", (code) => { process.stdout.write(JSON.stringify({ code, err })); });`,
    ]);
    const { code, err } = JSON.parse(r.stdout) as { code: number; err: string };
    assert.doesNotMatch(err, /EPIPE/);
    assert.equal(code, 0);
  });
});
