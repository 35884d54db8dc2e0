/**
 * What a check reports, and the catalogue of check IDs with their severities.
 * @module
 */

/** How serious a finding is. Only errors make `djust check` exit with status 1. */
export type Severity = "error" | "warning" | "info";

/** One problem found by a check, at a position in a file. */
export interface Finding {
  /** Check ID without the `djust.` prefix, e.g. `"V006"`. */
  readonly id: CheckId;
  readonly severity: Severity;
  /** Absolute path of the file the finding points into (a source file or a template). */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
  readonly message: string;
  /** How to fix it. */
  readonly hint: string;
  /** The view class the finding is about, when there is one. */
  readonly view?: string;
  /** The state field, handler or template variable the finding is about, when there is one. */
  readonly subject?: string;
}

/** Description of one check, for `--tag` validation and the docs. */
export interface CheckInfo {
  readonly id: CheckId;
  readonly severity: Severity;
  readonly title: string;
}

/** Every check `djust check` runs. IDs are stable; docs/checks.md documents each one. */
export const CHECKS = [
  { id: "V006", severity: "warning", title: "service-like instance assigned to public state" },
  {
    id: "V008",
    severity: "info",
    title: "non-primitive value of unproven type assigned in mount()",
  },
  {
    id: "V009",
    severity: "warning",
    title: "timer, task or presence started in mount() instead of joined()",
  },
  { id: "S001", severity: "error", title: "public state field of a non-serializable type" },
  { id: "S002", severity: "warning", title: "public state field typed any/unknown/object" },
  {
    id: "S003",
    severity: "warning",
    title: "TypeScript private/protected field is state at runtime",
  },
  { id: "A001", severity: "warning", title: "exposed handler takes input without a params schema" },
  {
    id: "A002",
    severity: "warning",
    title: "exposed handler of a login-only view without permission",
  },
  { id: "A003", severity: "error", title: "two views share an API slug" },
  { id: "T001", severity: "warning", title: "template variable that the view does not provide" },
  { id: "T002", severity: "warning", title: "templateName not found in the template dirs" },
  { id: "T003", severity: "error", title: "template does not compile" },
  { id: "T004", severity: "error", title: "dj-* binding names no event handler of the view" },
  { id: "T005", severity: "warning", title: "event handler that no binding or hook calls" },
] as const satisfies readonly { id: string; severity: Severity; title: string }[];

/** A check ID. */
export type CheckId = (typeof CHECKS)[number]["id"];

const BY_ID: ReadonlyMap<string, CheckInfo> = new Map(CHECKS.map((c) => [c.id, c]));

/** The catalogue entry of `id`, accepting `V006`, `djust.V006` and any letter case. */
export function checkInfo(id: string): CheckInfo | undefined {
  return BY_ID.get(id.replace(/^djust\./i, "").toUpperCase());
}

/** Orders findings by file, then position, then ID, so output is stable across runs. */
export function compareFindings(a: Finding, b: Finding): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return a.line - b.line || a.column - b.column || a.id.localeCompare(b.id);
}
