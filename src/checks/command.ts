/**
 * The `djust check` command: argument parsing, output and exit status.
 * @module
 */
import { parseArgs } from "node:util";
import { CHECKS, checkInfo, formatJson, formatText, ProjectError, runChecks } from "./index.js";

const USAGE = `Usage: djust check [options]

Static checks of LiveView state, handlers and templates (TypeScript type checker).

Options:
  --project <path>    tsconfig.json of the project (default: ./tsconfig.json)
  --templates <dir>   template directory; repeatable (default: templates, if it exists)
  --tag <ID>          only these checks, e.g. --tag V006; repeatable or comma-separated
  --exclude <pattern> files not to analyse, relative to the tsconfig (test/**, bench);
                      repeatable; added to "djust": { "check": { "exclude": [...] } }
                      of the package.json next to the tsconfig
  --json              JSON output
  -h, --help          this help

Exit status: 1 when an error is reported, 2 on bad usage, 0 otherwise.
Silence a finding with "// djust-ignore <ID>" on its line or the line above.

Checks:
${CHECKS.map((c) => `  ${c.id}  ${c.severity.padEnd(7)}  ${c.title}`).join("\n")}
`;

/** Runs `djust check` with `argv` (the arguments after `check`); resolves to the exit status. */
export async function runCheck(argv: readonly string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        project: { type: "string", default: "./tsconfig.json" },
        templates: { type: "string", multiple: true },
        tag: { type: "string", multiple: true },
        exclude: { type: "string", multiple: true },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      allowPositionals: false,
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`djust check: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const tags = (values.tag ?? [])
    .flatMap((t) => t.split(","))
    .map((t) => t.trim())
    .filter(Boolean);
  const unknown = tags.filter((t) => checkInfo(t) === undefined);
  if (unknown.length > 0) {
    process.stderr.write(
      `djust check: unknown check ID: ${unknown.join(", ")} (known: ${CHECKS.map((c) => c.id).join(", ")})\n`,
    );
    return 2;
  }
  try {
    const result = runChecks({
      project: values.project,
      tags,
      ...(values.exclude !== undefined && { exclude: values.exclude }),
      ...(values.templates !== undefined && { templateDirs: values.templates }),
    });
    const output = values.json
      ? formatJson(result.findings, result.suppressed)
      : formatText(result.findings, result.suppressed);
    process.stdout.write(output);
    if (result.views === 0) {
      // Not an error (a project may have no views yet), but a wrong --project looks the same.
      process.stderr.write(
        `djust check: no LiveView subclasses found in the ${result.files} file(s) of the project\n`,
      );
    }
    return result.findings.some((f) => f.severity === "error") ? 1 : 0;
  } catch (error) {
    if (error instanceof ProjectError) {
      process.stderr.write(`djust check: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
