/**
 * A small fuzz run inside `npm test` (a few seconds): 2,000 generated inputs per decoder. The
 * full run (100,000 each) is `npx tsx bench/fuzz.ts`; figures in bench/RESULTS.md, "Fuzz".
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { fuzzAll } from "./targets.js";

it("frame, event-payload and template decoders: only documented errors, no hang, prototype intact", () => {
  for (const report of fuzzAll(Number(process.env.FUZZ_RUNS ?? 2000))) {
    assert.ok(report.slowestMs < 1000, `${report.name}: ${report.slowestMs} ms`);
  }
});
