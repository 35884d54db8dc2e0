/**
 * What every check receives: the loaded project, the views found in it, the type walker, and
 * a way to report findings.
 * @module
 */
import type ts from "typescript";
import { checkInfo, type CheckId, type Finding } from "./finding.js";
import type { Project } from "./project.js";
import type { TypeWalker } from "./type-walk.js";
import type { ViewClass } from "./views.js";

/** A finding as a check describes it: at a node, or at an explicit file position. */
export type Report = {
  readonly id: CheckId;
  readonly message: string;
  readonly hint: string;
  readonly view?: string;
  readonly subject?: string;
} & (
  | { readonly node: ts.Node }
  | { readonly file: string; readonly line: number; readonly column: number }
);

/** Shared state of one `djust check` run. */
export interface CheckContext {
  readonly project: Project;
  readonly checker: ts.TypeChecker;
  readonly views: readonly ViewClass[];
  readonly walker: TypeWalker;
  /** Template directories (absolute paths that exist). */
  readonly templateDirs: readonly string[];
  report(report: Report): void;
}

/** Turns a {@link Report} into a {@link Finding} with its catalogue severity. */
export function toFinding(report: Report): Finding {
  let file: string;
  let line: number;
  let column: number;
  if ("node" in report) {
    const sf = report.node.getSourceFile();
    const pos = sf.getLineAndCharacterOfPosition(report.node.getStart(sf));
    file = sf.fileName;
    line = pos.line + 1;
    column = pos.character + 1;
  } else {
    ({ file, line, column } = report);
  }
  return {
    id: report.id,
    severity: checkInfo(report.id)?.severity ?? "error",
    file,
    line,
    column,
    message: report.message,
    hint: report.hint,
    ...(report.view !== undefined && { view: report.view }),
    ...(report.subject !== undefined && { subject: report.subject }),
  };
}
