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
