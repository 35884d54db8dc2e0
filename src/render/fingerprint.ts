/**
 * Fingerprints of static shapes. Two nodes with the same fingerprint are assumed to have the
 * same statics, which is what lets the diff skip re-sending them (see {@link "./diff"}).
 * @module
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

// Keyed by array identity: a tagged-template call site or a compiled template node reuses one
// statics array for its whole lifetime, so each shape is hashed once per process.
const cache = new WeakMap<readonly string[], number>();

/**
 * A stable 32-bit FNV-1a hash of a statics list (over UTF-16 code units), cached per array
 * identity.
 *
 * Each string is preceded by its length so that `["ab", ""]` and `["a", "b"]` hash differently;
 * the count is mixed in first for the same reason. The value only depends on the strings, so it is
 * stable across processes (a restored view keeps matching fingerprints).
 */
export function fingerprintOf(statics: readonly string[]): number {
  const cached = cache.get(statics);
  if (cached !== undefined) return cached;
  let hash = mix(FNV_OFFSET, statics.length);
  for (const part of statics) {
    hash = mix(hash, part.length);
    for (let i = 0; i < part.length; i++) {
      hash = Math.imul(hash ^ part.charCodeAt(i), FNV_PRIME);
    }
  }
  const result = hash >>> 0;
  cache.set(statics, result);
  return result;
}

// Feeds a 32-bit integer byte by byte, as FNV-1a expects octets.
function mix(hash: number, value: number): number {
  let h = hash;
  h = Math.imul(h ^ (value & 0xff), FNV_PRIME);
  h = Math.imul(h ^ ((value >>> 8) & 0xff), FNV_PRIME);
  h = Math.imul(h ^ ((value >>> 16) & 0xff), FNV_PRIME);
  h = Math.imul(h ^ (value >>> 24), FNV_PRIME);
  return h;
}

/**
 * Whether two nodes have the same static shape. Identity is the fast path; otherwise equal
 * fingerprints are confirmed by comparing the strings, so a 32-bit hash collision can never make
 * the client reuse the wrong statics.
 */
export function sameStatics(
  a: { readonly statics: readonly string[]; readonly fingerprint: number },
  b: { readonly statics: readonly string[]; readonly fingerprint: number },
): boolean {
  if (a.statics === b.statics) return true;
  if (a.fingerprint !== b.fingerprint || a.statics.length !== b.statics.length) return false;
  for (let i = 0; i < a.statics.length; i++) {
    if (a.statics[i] !== b.statics[i]) return false;
  }
  return true;
}
