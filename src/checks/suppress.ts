/**
 * `// djust-ignore ID` suppression comments (also `{# djust-ignore ID #}` in templates).
 * @module
 */
import { readFileSync } from "node:fs";
import type { Finding } from "./finding.js";

// The IDs run up to the first word that is not an ID, so a trailing explanation may mention
// other IDs without silencing them.
const MARKER = /djust-ignore((?:[\s,]+(?:djust\.)?[A-Z]\d{3}\b)*)/i;
const ID = /\b(?:djust\.)?([A-Z]\d{3})\b/gi;

/** Decides whether a finding is silenced by a comment on its line or the line above. */
export class Suppressions {
  readonly #lines = new Map<string, readonly string[]>();

  /** The IDs a line silences: a set, `"all"` (bare `djust-ignore`), or `undefined`. */
  #ignored(file: string, line: number): ReadonlySet<string> | "all" | undefined {
    let lines = this.#lines.get(file);
    if (!lines) {
      try {
        lines = readFileSync(file, "utf8").split("\n");
      } catch {
        lines = [];
      }
      this.#lines.set(file, lines);
    }
    const match = MARKER.exec(lines[line - 1] ?? "");
    if (!match) return undefined;
    const ids = new Set(
      [...(match[1] ?? "").matchAll(ID)].map((m) => (m[1] as string).toUpperCase()),
    );
    return ids.size === 0 ? "all" : ids;
  }

  /** `true` when `finding` is suppressed on its own line or the line just above. */
  isSuppressed(finding: Finding): boolean {
    for (const line of [finding.line, finding.line - 1]) {
      if (line < 1) continue;
      const ignored = this.#ignored(finding.file, line);
      if (ignored === "all" || ignored?.has(finding.id)) return true;
    }
    return false;
  }
}
