/**
 * `djust check`: static checks of LiveView state, handlers and templates, powered by the
 * TypeScript type checker. {@link runChecks} is the programmatic entry; the CLI wraps it.
 * @module
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { checkHandlers, checkSlugs } from "./api.js";
import { checkBindings } from "./bindings.js";
import { toFinding, type CheckContext } from "./context.js";
import { checkInfo, compareFindings, type CheckId, type Finding } from "./finding.js";
import { checkMountCalls } from "./lifecycle.js";
import { loadProject, ProjectError } from "./project.js";
import { checkState } from "./state.js";
import { Suppressions } from "./suppress.js";
import { checkTemplates } from "./templates.js";
import { registeredClasses, TypeWalker } from "./type-walk.js";
import { findViews } from "./views.js";

export {
  CHECKS,
  checkInfo,
  type CheckId,
  type CheckInfo,
  type Finding,
  type Severity,
} from "./finding.js";
export { ProjectError } from "./project.js";
export { formatJson, formatText, type JsonReport } from "./format.js";

/** Options of {@link runChecks}. */
export interface CheckOptions {
  /** The tsconfig file (or the directory holding `tsconfig.json`). */
  readonly project: string;
  /**
   * Template directories. Default: `templates` next to the tsconfig, else `./templates`,
   * whichever exists.
   */
  readonly templateDirs?: readonly string[];
  /** Only run/report these check IDs (`V006` or `djust.V006`). Default: all. */
  readonly tags?: readonly string[];
  /**
   * Files not to analyse, as patterns relative to the tsconfig's directory (`test/**`,
   * `bench`, `src/*.spec.ts`). Added to the `djust.check.exclude` list of the package.json
   * next to the tsconfig.
   */
  readonly exclude?: readonly string[];
}

/**
 * The `"djust": { "check": { "exclude": [...] } }` patterns of the package.json in `dir`.
 * @throws ProjectError when the entry is not a list of strings.
 */
export function configuredExcludes(dir: string): string[] {
  const path = resolve(dir, "package.json");
  if (!existsSync(path)) return [];
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return []; // not ours to validate
  }
  const exclude = (manifest as { djust?: { check?: { exclude?: unknown } } } | null)?.djust?.check
    ?.exclude;
  if (exclude === undefined) return [];
  if (!Array.isArray(exclude) || !exclude.every((e) => typeof e === "string")) {
    throw new ProjectError(`${path}: "djust.check.exclude" must be a list of path patterns`);
  }
  return exclude;
}

/** The outcome of a run. */
export interface CheckResult {
  /** Reported findings (suppressed ones removed), sorted by file and position. */
  readonly findings: readonly Finding[];
  /** How many findings `djust-ignore` comments silenced. */
  readonly suppressed: number;
  /** Number of view classes analysed. */
  readonly views: number;
  /** Number of source files analysed. */
  readonly files: number;
}

function isDir(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/**
 * Loads the project, runs every check and applies suppressions.
 * @throws ProjectError when the tsconfig or a template dir cannot be found; TypeError for an
 * unknown tag.
 */
export function runChecks(options: CheckOptions): CheckResult {
  const wanted = new Set<CheckId>();
  for (const tag of options.tags ?? []) {
    const info = checkInfo(tag);
    if (!info) throw new TypeError(`unknown check ID: ${tag}`);
    wanted.add(info.id);
  }
  // Explicit template dirs are checked before the (slow) program is built.
  const explicitDirs = options.templateDirs?.map((d) => resolve(d));
  const missing = explicitDirs?.filter((d) => !isDir(d)) ?? [];
  if (missing.length > 0) {
    throw new ProjectError(`template directory not found: ${missing.join(", ")}`);
  }
  const projectPath = resolve(options.project);
  const projectDir = isDir(projectPath) ? projectPath : dirname(projectPath);
  const project = loadProject(options.project, [
    ...configuredExcludes(projectDir),
    ...(options.exclude ?? []),
  ]);
  const templateDirs =
    explicitDirs ??
    [resolve(project.rootDir, "templates"), resolve("templates")].filter(isDir).slice(0, 1);

  const raw: Finding[] = [];
  const checker = project.checker;
  const ctx: CheckContext = {
    project,
    checker,
    views: findViews(project),
    walker: new TypeWalker(project.program, registeredClasses(project.program)),
    templateDirs,
    report: (report) => {
      if (wanted.size === 0 || wanted.has(report.id)) raw.push(toFinding(report));
    },
  };
  checkState(ctx);
  checkMountCalls(ctx);
  checkHandlers(ctx);
  checkSlugs(ctx);
  checkTemplates(ctx);
  checkBindings(ctx);

  // One node can be reached twice (a field initializer is also an assignment); report it once.
  const unique = new Map(
    raw.map((f) => [`${f.id}|${f.file}|${f.line}|${f.column}|${f.message}`, f]),
  );
  const suppressions = new Suppressions();
  const findings = [...unique.values()]
    .filter((f) => !suppressions.isSuppressed(f))
    .sort(compareFindings);
  return {
    findings,
    suppressed: unique.size - findings.length,
    views: ctx.views.length,
    files: project.sourceFiles.length,
  };
}
