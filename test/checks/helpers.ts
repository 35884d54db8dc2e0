import { spawn } from "node:child_process";
import { relative, resolve } from "node:path";
import { runChecks, type CheckResult, type Finding } from "../../src/checks/index.js";

/** Absolute path of a fixture project directory under test/fixtures/checks/. */
export function fixture(name: string): string {
  return resolve(import.meta.dirname, "../fixtures/checks", name);
}

/** Runs every check on fixture `name` (its tsconfig and its `templates` dir). */
export function check(name: string, tags?: string[]): CheckResult {
  return runChecks({ project: resolve(fixture(name), "tsconfig.json"), ...(tags && { tags }) });
}

/** `[id, file relative to the fixture, line]` of each finding, in report order. */
export function where(name: string, findings: readonly Finding[]): [string, string, number][] {
  return findings.map((f) => [f.id, relative(fixture(name), f.file), f.line]);
}

/** What a `djust` CLI run printed and how it exited. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const CLI_ROOT = resolve(import.meta.dirname, "../..");
const CLI_MAIN = resolve(CLI_ROOT, "src/cli/main.ts");

/** Runs the `djust` CLI in a child process from the repository root. */
export function djust(...args: string[]): Promise<CliRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI_MAIN, ...args], {
      cwd: CLI_ROOT,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/** The tsconfig of a check fixture project, relative to the repository root. */
export const project = (name: string): string => `test/fixtures/checks/${name}/tsconfig.json`;
