/**
 * The property tests' long run on demand: every test file that sizes its properties with
 * `propertyRuns` (test/support/property-runs.ts) runs with each count multiplied by
 * `DJUST_FC_SCALE` (default 30), so that a counterexample too rare for `npm test`'s short run
 * shows up here and not in a CI run by chance. A failure prints fast-check's seed and path;
 * `DJUST_FC_SEED=<seed>` replays it.
 *
 *   npx tsx bench/properties.ts               # 30 times npm test's cases
 *   DJUST_FC_SCALE=100 npx tsx bench/properties.ts state
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

function collect(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? collect(path) : name.endsWith(".test.ts") ? [path] : [];
  });
}

const filter = process.argv.slice(2);
const files = collect("test")
  .filter((file) => readFileSync(file, "utf8").includes("propertyRuns("))
  .filter((file) => filter.length === 0 || filter.some((part) => file.includes(part)))
  .sort();
const scale = process.env.DJUST_FC_SCALE ?? "30";
console.log(`${files.length} files, property counts times ${scale}:\n  ${files.join("\n  ")}`);
const started = performance.now();
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=2", "--test-reporter=dot", ...files],
  { stdio: "inherit", env: { ...process.env, DJUST_FC_SCALE: scale } },
);
console.log(`\n${((performance.now() - started) / 1000).toFixed(0)} s, exit ${result.status}`);
process.exitCode = result.status ?? 1;
