/**
 * Loads the user's TypeScript project once: one `Program`, one type checker, shared by every
 * check.
 * @module
 */
import { existsSync, statSync } from "node:fs";
import { dirname, relative, resolve, sep } from "node:path";
import ts from "typescript";

/** A loaded project. */
export interface Project {
  /** Absolute path of the tsconfig file. */
  readonly configPath: string;
  /** Directory of the tsconfig file. */
  readonly rootDir: string;
  readonly program: ts.Program;
  readonly checker: ts.TypeChecker;
  /**
   * The files the checks analyse: the tsconfig's own (root) source files, without declaration
   * files and anything under `node_modules`. Files only reached through imports (the djust
   * package itself, libraries) are used for types but not analysed.
   */
  readonly sourceFiles: readonly ts.SourceFile[];
}

/**
 * A test for project-relative paths (`/` separators) from `exclude` patterns: `*` matches
 * within one path segment, `**` across segments, `?` one character; a pattern without
 * wildcards matches that file or everything under that directory.
 */
export function excludeMatcher(patterns: readonly string[]): (path: string) => boolean {
  const regexes = patterns.map((raw) => {
    const pattern = raw.replace(/\\/g, "/").replace(/^\.\//, "").replace(/\/+$/, "");
    let source = "";
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i] as string;
      if (c === "*" && pattern[i + 1] === "*") {
        source += pattern[i + 2] === "/" ? "(?:.*/)?" : ".*";
        i += pattern[i + 2] === "/" ? 2 : 1;
      } else if (c === "*") source += "[^/]*";
      else if (c === "?") source += "[^/]";
      else source += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
    return new RegExp(`^${source}(?:/.*)?$`);
  });
  return (path) => regexes.some((r) => r.test(path));
}

/** The tsconfig (or a template directory) could not be found or read: a usage error. */
export class ProjectError extends Error {
  override readonly name = "ProjectError";
}

function formatDiagnostic(diagnostic: ts.Diagnostic): string {
  return ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
}

/**
 * Creates the program for the tsconfig at `path` (a file, or a directory holding
 * `tsconfig.json`).
 * @throws ProjectError when the file is missing or the config is invalid.
 */
export function loadProject(path: string, exclude: readonly string[] = []): Project {
  let configPath = resolve(path);
  if (existsSync(configPath) && statSync(configPath).isDirectory()) {
    configPath = resolve(configPath, "tsconfig.json");
  }
  if (!existsSync(configPath)) throw new ProjectError(`tsconfig not found: ${configPath}`);

  const configErrors: string[] = [];
  const host: ts.ParseConfigFileHost = {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => configErrors.push(formatDiagnostic(d)),
  };
  // noEmit: the checks never write; skipLibCheck is irrelevant because no diagnostics are asked
  // for, but keeps any accidental full check cheap.
  const parsed = ts.getParsedCommandLineOfConfigFile(
    configPath,
    { noEmit: true, skipLibCheck: true },
    host,
  );
  if (!parsed || configErrors.length > 0) {
    throw new ProjectError(
      `cannot read ${configPath}: ${configErrors.join("; ") || "unknown error"}`,
    );
  }
  const fatal = parsed.errors.filter(
    (d) => d.category === ts.DiagnosticCategory.Error && d.code !== 18003, // 18003: no inputs
  );
  if (fatal.length > 0) {
    throw new ProjectError(`invalid ${configPath}: ${fatal.map(formatDiagnostic).join("; ")}`);
  }

  if (parsed.fileNames.length === 0 && parsed.projectReferences?.length) {
    // A solution-style tsconfig only lists references; the views live in the referenced ones.
    const refs = parsed.projectReferences.map((r) => r.path).join(", ");
    throw new ProjectError(
      `${configPath} has no files of its own (only references: ${refs}); pass --project with the app's tsconfig`,
    );
  }
  const program = ts.createProgram({
    rootNames: parsed.fileNames,
    options: parsed.options,
    ...(parsed.projectReferences !== undefined && { projectReferences: parsed.projectReferences }),
  });
  const roots = new Set(parsed.fileNames.map((f) => resolve(f)));
  const nodeModules = `${sep}node_modules${sep}`;
  const rootDir = dirname(configPath);
  const excluded = excludeMatcher(exclude);
  const sourceFiles = program
    .getSourceFiles()
    .filter(
      (sf) =>
        !sf.isDeclarationFile &&
        roots.has(resolve(sf.fileName)) &&
        !resolve(sf.fileName).includes(nodeModules) &&
        !excluded(relative(rootDir, resolve(sf.fileName)).split(sep).join("/")),
    );
  return {
    configPath,
    rootDir,
    program,
    checker: program.getTypeChecker(),
    sourceFiles,
  };
}
