// `djust check --exclude` and the package.json exclude list, on a fixture and on this
// repository's root (a separate file: checking the whole repository is the slowest run).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { djust, project } from "./helpers.js";

const ROOT = resolve(import.meta.dirname, "../..");

interface JsonOutput {
  findings: { id: string; file: string }[];
  counts: { error: number; warning: number; info: number };
}

describe("djust check: excluded files", () => {
  it("--exclude leaves files out of the analysis (a directory, a glob)", async () => {
    const run = await djust(
      "check",
      "--json",
      "--project",
      project("seed-wrong"),
      "--exclude",
      "src/s3-browser.ts",
      "--exclude",
      "src/w*.ts",
    );
    const out = JSON.parse(run.stdout) as JsonOutput;
    const files = [...new Set(out.findings.map((f) => f.file.replace(/.*\/src\//, "")))].sort();
    assert.deepEqual(files, ["dashboard.ts", "leaderboard.ts"]);
  });

  it("on the repository root: the package.json's djust.check.exclude keeps test/ and bench/ out", async () => {
    const manifest = JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8")) as {
      djust: { check: { exclude: string[] } };
    };
    assert.deepEqual(manifest.djust.check.exclude.slice(0, 2), ["test", "bench"]);
    const run = await djust("check", "--json");
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const out = JSON.parse(run.stdout) as JsonOutput;
    assert.deepEqual(
      out.findings.filter((f) => /^(test|bench)\//.test(f.file)),
      [],
      "nothing from test/ or bench/",
    );
    assert.equal(out.counts.error, 0);
  });

  it("rejects a malformed exclude list with status 2", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "djust-check-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ include: ["*.ts"] }));
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({ djust: { check: { exclude: "test" } } }),
    );
    const run = await djust("check", "--project", dir);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /"djust\.check\.exclude" must be a list of path patterns/);
  });
});
