/**
 * Output formats of `djust check`: Django-check-style text and JSON.
 * @module
 */
import { relative, sep } from "node:path";
import type { Finding, Severity } from "./finding.js";

/** Summary counts shared by both formats. */
interface Counts {
  readonly error: number;
  readonly warning: number;
  readonly info: number;
}

function count(findings: readonly Finding[]): Counts {
  const counts = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}

/** A path relative to `cwd` with `/` separators, as editors and CI annotations expect. */
function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file) || file;
  return sep === "/" ? rel : rel.split(sep).join("/");
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

const HEADINGS: readonly [Severity, string][] = [
  ["error", "ERRORS:"],
  ["warning", "WARNINGS:"],
  ["info", "INFOS:"],
];

/**
 * Text report: findings grouped by severity like Django's `manage.py check`, each as
 * `path:line:col: (djust.ID) message` with an indented `HINT:` line, then a summary line.
 */
export function formatText(
  findings: readonly Finding[],
  suppressed: number,
  cwd = process.cwd(),
): string {
  const lines: string[] = [];
  for (const [severity, heading] of HEADINGS) {
    const group = findings.filter((f) => f.severity === severity);
    if (group.length === 0) continue;
    if (lines.length > 0) lines.push("");
    lines.push(heading);
    for (const f of group) {
      lines.push(`${displayPath(f.file, cwd)}:${f.line}:${f.column}: (djust.${f.id}) ${f.message}`);
      lines.push(`\tHINT: ${f.hint}`);
    }
  }
  const counts = count(findings);
  const silenced = suppressed > 0 ? `, ${suppressed} silenced` : "";
  if (lines.length > 0) lines.push("");
  lines.push(
    findings.length === 0
      ? `System check identified no issues (${suppressed} silenced).`
      : `System check identified ${plural(findings.length, "issue")} (${plural(counts.error, "error")}, ` +
          `${plural(counts.warning, "warning")}, ${plural(counts.info, "info")}${silenced}).`,
  );
  return lines.join("\n") + "\n";
}

/** The shape of `djust check --json` output. */
export interface JsonReport {
  /** `file` relative to the working directory; `code` is the `djust.`-prefixed ID. */
  readonly findings: readonly (Finding & { readonly code: string })[];
  readonly counts: Counts;
  readonly suppressed: number;
}

/** JSON report; `file` is relative to `cwd`, `code` is the `djust.`-prefixed ID. */
export function formatJson(
  findings: readonly Finding[],
  suppressed: number,
  cwd = process.cwd(),
): string {
  const report: JsonReport = {
    findings: findings.map((f) => ({
      ...f,
      code: `djust.${f.id}`,
      file: displayPath(f.file, cwd),
    })),
    counts: count(findings),
    suppressed,
  };
  return JSON.stringify(report, null, 2) + "\n";
}
