import assert from "node:assert/strict";
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
