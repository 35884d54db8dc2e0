// `djust check` as users run it: a child process, its exit status, text and JSON output.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { djust, fixture, project } from "./helpers.js";

const ROOT = resolve(import.meta.dirname, "../..");

interface JsonOutput {
  findings: {
    id: string;
    code: string;
    severity: string;
    file: string;
    line: number;
    column: number;
    message: string;
    hint: string;
  }[];
  counts: { error: number; warning: number; info: number };
  suppressed: number;
}

describe("djust check (CLI)", () => {
  it("prints Django-style findings with HINT lines and exits 1 on errors", async () => {
    const run = await djust("check", "--project", project("seed-wrong"));
    assert.equal(run.code, 1, run.stderr);
    const lines = run.stdout.split("\n");
    const at = lines.indexOf(
      "test/fixtures/checks/seed-wrong/src/s3-browser.ts:25:5: (djust.V006) S3BrowserView.s3Client " +
        "looks like a service instance (S3Client) stored in state, in mount().",
    );
    assert.ok(at >= 0, run.stdout);
    assert.match(lines[at + 1] ?? "", /^\tHINT: Service instances are not serializable\. /);
    assert.ok(lines.includes("ERRORS:") && lines.includes("WARNINGS:") && lines.includes("INFOS:"));
    assert.match(
      run.stdout,
      /System check identified 10 issues \(4 errors, 5 warnings, 1 info\)\.\n$/,
    );
    for (const line of lines.filter((l) => l.includes("(djust."))) {
      assert.match(line, /^[^\s:]+:\d+:\d+: \(djust\.[A-Z]\d{3}\) \S/);
    }
  });

  it("exits 0 on a clean project", async () => {
    const run = await djust("check", "--project", project("seed-right"));
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "System check identified no issues (0 silenced).\n");
  });

  it("exits 0 when there are only warnings and infos", async () => {
    const run = await djust(
      "check",
      "--project",
      project("seed-wrong"),
      "--tag",
      "V006",
      "--tag",
      "V008",
    );
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stdout, /djust\.S00/);
    assert.match(run.stdout, /\(djust\.V006\)/);
    assert.match(run.stdout, /\(djust\.V008\)/);
  });

  it("--json gives machine-readable findings", async () => {
    const run = await djust(
      "check",
      "--json",
      "--project",
      project("seed-wrong"),
      "--tag",
      "S001,V006",
    );
    assert.equal(run.code, 1, run.stderr);
    const out = JSON.parse(run.stdout) as JsonOutput;
    assert.deepEqual(out.counts, { error: 4, warning: 4, info: 0 });
    const first = out.findings.find((f) => f.file.endsWith("s3-browser.ts") && f.id === "V006");
    assert.deepEqual(first && { ...first, message: undefined, hint: undefined }, {
      id: "V006",
      code: "djust.V006",
      severity: "warning",
      file: "test/fixtures/checks/seed-wrong/src/s3-browser.ts",
      line: 25,
      column: 5,
      view: "S3BrowserView",
      subject: "s3Client",
      message: undefined,
      hint: undefined,
    });
  });

  it("honours // djust-ignore and counts what it silenced", async () => {
    const run = await djust("check", "--json", "--project", project("ignore"));
    assert.equal(run.code, 1);
    const out = JSON.parse(run.stdout) as JsonOutput;
    assert.equal(out.suppressed, 6);
    assert.deepEqual(
      out.findings.map((f) => `${f.id}@${f.line}`),
      ["V006@18", "S001@19", "T001@3"],
    );
  });

  it("--templates points at another template dir", async () => {
    const run = await djust(
      "check",
      "--project",
      project("templates-right"),
      "--templates",
      "test/fixtures/checks/templates-wrong/templates",
      "--tag",
      "T001",
    );
    assert.equal(run.code, 0, run.stderr);
    // templates-wrong's orders.html reads names templates-right's OrdersView lacks.
    assert.match(
      run.stdout,
      /templates-wrong\/templates\/orders\.html:1:8: \(djust\.T001\) .*'titel'/,
    );
  });

  it("accepts a project directory and reports usage errors with status 2", async () => {
    const dir = await djust("check", "--project", fixture("seed-right"));
    assert.equal(dir.code, 0, dir.stderr);
    const missing = await djust("check", "--project", "test/fixtures/checks/nope/tsconfig.json");
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /tsconfig not found/);
    const badTag = await djust("check", "--project", project("seed-right"), "--tag", "Q123");
    assert.equal(badTag.code, 2);
    assert.match(badTag.stderr, /unknown check ID: Q123/);
    const badDir = await djust(
      "check",
      "--project",
      project("seed-right"),
      "--templates",
      "no/such/dir",
    );
    assert.equal(badDir.code, 2);
    assert.match(badDir.stderr, /template directory not found: .*no\/such\/dir/);
    const badOption = await djust("check", "--frobnicate");
    assert.equal(badOption.code, 2);
    assert.match(badOption.stderr, /Usage: djust check/);
  });

  it("exits 0 but warns on stderr when the project has no views", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "djust-check-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ include: ["*.ts"] }));
    writeFileSync(join(dir, "plain.ts"), "export const answer = 42;\n");
    const run = await djust(
      "check",
      "--project",
      dir,
      "--templates",
      fixture("seed-right/templates"),
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "System check identified no issues (0 silenced).\n");
    assert.match(run.stderr, /no LiveView subclasses found in the 1 file\(s\) of the project/);
  });

  it("lists commands and rejects unknown ones", async () => {
    const help = await djust("--help");
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^ {2}check +static checks/m);
    const unknown = await djust("frobnicate");
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    const checkHelp = await djust("check", "--help");
    assert.equal(checkHelp.code, 0);
    assert.match(checkHelp.stdout, /--project <path>/);
    assert.match(checkHelp.stdout, /V006 +warning/);
  });

  const example = resolve(ROOT, "examples/orders");
  it(
    "finds no errors in the example app",
    { skip: !existsSync(example) && "examples/orders not present" },
    async (t) => {
      // The example has no tsconfig of its own (yet): borrow the repo's options for its files.
      let tsconfig = resolve(example, "tsconfig.json");
      if (!existsSync(tsconfig)) {
        const dir = mkdtempSync(join(tmpdir(), "djust-check-"));
        t.after(() => rmSync(dir, { recursive: true, force: true }));
        tsconfig = join(dir, "tsconfig.json");
        writeFileSync(
          tsconfig,
          JSON.stringify({ extends: resolve(ROOT, "tsconfig.json"), include: [example] }),
        );
      }
      const run = await djust(
        "check",
        "--project",
        tsconfig,
        "--templates",
        resolve(example, "templates"),
      );
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.doesNotMatch(run.stdout, /^ERRORS:/m);
    },
  );
});
