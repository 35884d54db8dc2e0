/**
 * "Did you mean …?": the known name closest to a mistyped one. Used wherever a name a user
 * wrote names nothing (`djust check`, the test client's element events).
 * @module
 */

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min(
        current + 1,
        (row[j - 1] as number) + 1,
        previous + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      previous = current;
    }
  }
  return row[b.length] as number;
}

function normalize(name: string): string {
  return name.replace(/_/g, "").toLowerCase();
}

/** A provided name close to `name`: same words in another case style, or a small typo. */
export function suggestion(name: string, candidates: Iterable<string>): string | undefined {
  for (const c of candidates) if (normalize(c) === normalize(name)) return c;
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const c of candidates) {
    const d = distance(name.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}
