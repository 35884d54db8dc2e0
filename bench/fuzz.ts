/**
 * The fuzz run on demand: 100,000 generated inputs (or `FUZZ_RUNS`) for each of the frame
 * decoder, the event-payload decoders and the template parser (targets in
 * test/fuzz/targets.ts). Exits non-zero on the first undocumented error, hang or prototype
 * change, printing fast-check's shrunk counterexample and seed.
 *
 *   npx tsx bench/fuzz.ts            # 100,000 each
 *   FUZZ_RUNS=1000000 npx tsx bench/fuzz.ts
 */
import { fuzzAll } from "../test/fuzz/targets.js";

const runs = Number(process.env.FUZZ_RUNS ?? 100_000);
const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
for (const report of fuzzAll(runs, seed)) {
  console.log(
    `${report.name}: ${report.runs} inputs, ${report.documentedErrors} documented errors, ` +
      `slowest input ${report.slowestMs.toFixed(1)} ms, ${(report.ms / 1000).toFixed(1)} s`,
  );
}
