/**
 * `npm run bench -- <name> [options]` runs `bench/<name>.ts` with the options (e.g.
 * `npm run bench -- live --child-only`); `npm run bench` alone lists the benchmarks, each with
 * the first sentence of its comment. Results and their commands are in `bench/RESULTS.md`.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dir = fileURLToPath(new URL(".", import.meta.url));
/** Modules of the benchmarks that are not benchmarks themselves. */
const HELPERS = new Set(["run", "support", "scale-app"]);

const names = readdirSync(dir)
  .filter((file) => file.endsWith(".ts") && !file.startsWith("_"))
  .map((file) => file.slice(0, -3))
  .filter((name) => !HELPERS.has(name))
  .sort();

/** The first sentence of the comment a benchmark starts with, cut at 100 characters. */
function summary(name: string): string {
  const text = readFileSync(`${dir}${name}.ts`, "utf8");
  const comment = /^(?:\/\*\*([\s\S]*?)\*\/|((?:\/\/.*\n)+))/.exec(text);
  const prose = (comment?.[1] ?? comment?.[2] ?? "").replace(/^\s*(?:\*|\/\/) ?/gm, "");
  const sentence =
    prose
      .replace(/\s+/g, " ")
      .trim()
      .split(/(?<=\.) /)[0] ?? "";
  return sentence.length > 100 ? `${sentence.slice(0, 99)}…` : sentence;
}

const [name, ...options] = process.argv.slice(2);
if (name === undefined) {
  console.log("npm run bench -- <name> [options]\n");
  for (const each of names) console.log(`  ${each.padEnd(16)}${summary(each)}`);
} else if (!names.includes(name)) {
  console.error(`no benchmark named ${name}; there are: ${names.join(", ")}`);
  process.exitCode = 2;
} else {
  const run = spawnSync(process.execPath, ["--import", "tsx", `${dir}${name}.ts`, ...options], {
    stdio: "inherit",
  });
  process.exitCode = run.status ?? 1;
}
