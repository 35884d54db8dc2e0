/**
 * Timing helpers shared by the benchmarks: run a function repeatedly for a fixed time after a
 * warm-up and report mean time per call.
 */

/** One measured function. */
export interface Measurement {
  readonly name: string;
  /** Mean microseconds per call. */
  readonly meanUs: number;
  readonly opsPerSecond: number;
  readonly iterations: number;
}

// `BENCH_CPU=1`: warm up, run and time by the process's CPU time instead of the wall clock. On a
// machine shared with other work, the wall clock also counts the time the process waited for a
// core, which swings ratios between two measurements taken one after the other (and a warm-up of
// 200 ms of wall clock may be too little CPU time for the JIT to finish optimizing).
const cpuClock = process.env.BENCH_CPU === "1";
const now = cpuClock
  ? () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    }
  : () => performance.now();

/**
 * Runs `fn` for about `durationMs` (after `warmupMs` of warm-up) and reports the mean: wall-clock
 * time, or CPU time with `BENCH_CPU=1`.
 */
export function measure(
  name: string,
  fn: () => unknown,
  durationMs = 1000,
  warmupMs = 200,
): Measurement {
  const until = (ms: number) => {
    const end = now() + ms;
    let n = 0;
    let sink: unknown;
    while (now() < end) {
      // Batches keep clock reads from dominating very fast functions.
      for (let i = 0; i < 10; i++) sink = fn();
      n += 10;
    }
    return { n, sink };
  };
  until(warmupMs);
  const start = now();
  const { n } = until(durationMs);
  const elapsed = now() - start;
  const meanUs = (elapsed * 1000) / n;
  return { name, meanUs, opsPerSecond: 1e6 / meanUs, iterations: n };
}

/** Prints measurements as a table with each row's ratio to `baseline` (time / baseline time). */
export function report(title: string, rows: readonly Measurement[], baseline?: Measurement): void {
  console.log(`\n${title}`);
  const width = Math.max(...rows.map((r) => r.name.length), 10);
  for (const row of rows) {
    const ratio = baseline
      ? `  ${(row.meanUs / baseline.meanUs).toFixed(2)}x ${baseline.name}`
      : "";
    console.log(
      `  ${row.name.padEnd(width)}  ${row.meanUs.toFixed(1).padStart(10)} µs/op  ${Math.round(
        row.opsPerSecond,
      )
        .toString()
        .padStart(9)} ops/s${ratio}`,
    );
  }
}

/** Percentile (0–100) of a list of numbers. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}
