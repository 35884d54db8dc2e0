/**
 * Python's `random.Random(seed)` (MT19937, `init_by_array` seeding, `_randbelow` by rejection
 * over `getrandbits`) as a {@link RandomBelow} source, so that this engine's `{% lorem %}` and
 * `|random` draw what Django's draw after `random.seed(seed)` (render.py seeds every case).
 */
import type { RandomBelow } from "../../../src/template/random.js";

const N = 624;

export function pythonRandom(seed: number): RandomBelow {
  const mt = new Uint32Array(N);
  let index = N;
  const initGenrand = (s: number) => {
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] as number;
      mt[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0;
    }
  };
  // Python seeds an int through init_by_array of its 32-bit words ([0] for 0).
  const key: number[] = [];
  for (let a = Math.abs(seed); a > 0; a = Math.floor(a / 2 ** 32)) key.push(a % 2 ** 32);
  if (key.length === 0) key.push(0);
  initGenrand(19650218);
  let i = 1;
  let j = 0;
  for (let k = Math.max(N, key.length); k > 0; k--) {
    const prev = mt[i - 1] as number;
    mt[i] =
      (((mt[i] as number) ^ Math.imul(prev ^ (prev >>> 30), 1664525)) + (key[j] as number) + j) >>>
      0;
    i++;
    j++;
    if (i >= N) {
      mt[0] = mt[N - 1] as number;
      i = 1;
    }
    if (j >= key.length) j = 0;
  }
  for (let k = N - 1; k > 0; k--) {
    const prev = mt[i - 1] as number;
    mt[i] = (((mt[i] as number) ^ Math.imul(prev ^ (prev >>> 30), 1566083941)) - i) >>> 0;
    i++;
    if (i >= N) {
      mt[0] = mt[N - 1] as number;
      i = 1;
    }
  }
  mt[0] = 0x80000000;
  const next = (): number => {
    if (index >= N) {
      for (let kk = 0; kk < N; kk++) {
        const y = ((mt[kk] as number) & 0x80000000) | ((mt[(kk + 1) % N] as number) & 0x7fffffff);
        mt[kk] = ((mt[(kk + 397) % N] as number) ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0)) >>> 0;
      }
      index = 0;
    }
    let y = mt[index++] as number;
    y ^= y >>> 11;
    y = (y ^ ((y << 7) & 0x9d2c5680)) >>> 0;
    y = (y ^ ((y << 15) & 0xefc60000)) >>> 0;
    y ^= y >>> 18;
    return y >>> 0;
  };
  return (n: number) => {
    if (n <= 0) return 0;
    const k = Math.floor(Math.log2(n)) + 1; // n.bit_length()
    const bits = () => next() >>> (32 - k);
    let r = bits();
    while (r >= n) r = bits();
    return r;
  };
}
