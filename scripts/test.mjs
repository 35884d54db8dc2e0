// Runs every test file under test/ with node's built-in runner (tsx for TypeScript).
// Node 20 does not expand globs itself, so the file list is collected here.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...collect(path));
    else if (name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

const filter = process.argv.slice(2);
const files = collect("test")
  .filter((f) => filter.length === 0 || filter.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
// Scaffolding a new app (`djust new` → `npm pack`, which builds dist/ → install → its own tests →
// Chromium) takes minutes by itself, so it runs after the rest with its own limit.
const SLOW = "test/cli/new.test.ts";
const slow = files.filter((f) => f.endsWith(SLOW));
const rest = files.filter((f) => !f.endsWith(SLOW));

// A test file that hangs fails after 5 minutes instead of holding CI until its own time limit
// (the CLI suites type-check whole fixture projects: minutes on a busy 2-core machine).
function run(list, timeoutMs, env) {
  if (list.length === 0) return 0;
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", "--test", "--test-concurrency=2", `--test-timeout=${timeoutMs}`, ...list],
    { stdio: "inherit", env: { ...process.env, ...env } },
  );
  return result.status ?? 1;
}
const first = run(rest, 300_000, {});
const second = run(slow, 900_000, { DJUST_TEST_NEW: process.env.DJUST_TEST_NEW ?? "1" });
process.exit(first || second);
