/**
 * How many cases a property test runs. `npm test` runs each property at its own count; a long
 * run on demand (`npx tsx bench/properties.ts`) multiplies every count by `DJUST_FC_SCALE`,
 * which is how rare counterexamples are found before a CI run meets one by chance. A failure
 * prints fast-check's seed and path; `DJUST_FC_SEED` replays that seed.
 */
export function propertyRuns(runs: number): { numRuns: number; seed?: number } {
  const scale = Number(process.env.DJUST_FC_SCALE ?? 1);
  const seed = process.env.DJUST_FC_SEED;
  return {
    numRuns: Math.max(1, Math.round(runs * (Number.isFinite(scale) && scale > 0 ? scale : 1))),
    ...(seed !== undefined && seed !== "" && { seed: Number(seed) }),
  };
}
