/**
 * The random source of `{% lorem %}` and `|random`, and Python's `random.sample` on top of it, so
 * that a seeded source reproduces Django's choices (the differential test seeds both sides).
 * @module
 */

/** An integer in `[0, n)` (Python's `Random._randbelow`). */
export type RandomBelow = (n: number) => number;

let source: RandomBelow = (n) => Math.floor(Math.random() * n);

/** An integer in `[0, n)` from the current source. */
export function randomBelow(n: number): number {
  return source(n);
}

/**
 * Replaces the random source (for deterministic tests); returns the previous one so that it can
 * be restored.
 */
export function setRandomSource(next: RandomBelow): RandomBelow {
  const previous = source;
  source = next;
  return previous;
}

/** Python's `random.randint(lo, hi)`. */
export function randomInt(lo: number, hi: number): number {
  return lo + source(hi - lo + 1);
}

/** Python's `random.sample(population, k)`, with its two algorithms. */
export function randomSample<T>(population: readonly T[], k: number): T[] {
  const n = population.length;
  const result: T[] = [];
  let setsize = 21;
  if (k > 5) setsize += 4 ** Math.ceil(Math.log(k * 3) / Math.log(4));
  if (n <= setsize) {
    const pool = [...population];
    for (let i = 0; i < k; i++) {
      const j = source(n - i);
      result.push(pool[j] as T);
      pool[j] = pool[n - i - 1] as T;
    }
  } else {
    const selected = new Set<number>();
    for (let i = 0; i < k; i++) {
      let j = source(n);
      while (selected.has(j)) j = source(n);
      selected.add(j);
      result.push(population[j] as T);
    }
  }
  return result;
}
