/**
 * What a stored state field costs the state backends: the shipped compression of a field's
 * JSON text (`src/state/backends/compression.ts`, Brotli in pieces) against raw deflate at
 * level 1 with a 4 KiB window over the same pieces (what the memory backend kept before), on
 * the encodings of a 1,000-row and a 100,000-row table and of a 200-message feed: bytes kept,
 * and the median CPU time to compress and to decompress the whole text. Redis keeps the
 * compressed pieces in base64 (`RedisStateBackend({ compress: true })`): its bytes are printed
 * too.
 *
 * Run: `node --import tsx bench/stored-fields.ts`
 */
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { compressText, decompressText } from "../src/state/backends/compression.js";

const PIECE = 32_768;
const DEFLATE = { level: 1, windowBits: 12 } as const;

function deflatePieces(text: string): Buffer[] {
  const pieces: Buffer[] = [];
  for (let start = 0; start < text.length; start += PIECE) {
    pieces.push(deflateRawSync(text.slice(start, start + PIECE), DEFLATE));
  }
  return pieces;
}

function inflatePieces(pieces: readonly Buffer[]): string {
  let text = "";
  for (const piece of pieces) text += inflateRawSync(piece, DEFLATE).toString();
  return text;
}

function rows(n: number): string {
  return JSON.stringify(
    Array.from({ length: n }, (_, i) => ({
      id: i,
      name: `Customer ${i}`,
      status: i % 3 === 0 ? "shipped" : "pending",
    })),
  );
}

function feed(n: number): string {
  const topics = ["cats", "dogs", "cars", "code"];
  return JSON.stringify(
    Array.from({ length: n }, (_, i) => ({
      id: i,
      author: `user${i % 17}`,
      text: `Message ${i} about ${topics[i % 4]}: ${((i * 2654435761) % 2 ** 32).toString(36)}`,
      at: new Date(1.7e12 + i * 61_000).toISOString(),
    })),
  );
}

function median(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[sorted.length >> 1] as number;
}

/** Median milliseconds of `fn` over `runs` runs, after a few unmeasured. */
function time(fn: () => void, runs: number): number {
  for (let i = 0; i < 3; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

const bytes = (pieces: readonly Buffer[]) => pieces.reduce((sum, piece) => sum + piece.length, 0);
const base64 = (pieces: readonly Buffer[]) =>
  pieces.reduce((sum, piece) => sum + Math.ceil(piece.length / 3) * 4 + 1, 0);

const pad = (value: unknown, width: number) => String(value).padStart(width);
console.log(
  "field               JSON chars  deflate-1 B  Brotli B  ratio  Redis B" +
    "   compress ms (deflate / Brotli)   decompress ms (deflate / Brotli)",
);
for (const [name, text, runs] of [
  ["1,000-row table", rows(1000), 200],
  ["100,000-row table", rows(100_000), 9],
  ["feed of 200", feed(200), 200],
] as const) {
  const deflated = deflatePieces(text);
  const compressed = compressText(text);
  if (inflatePieces(deflated) !== text || decompressText(compressed) !== text) {
    throw new Error(`${name}: a round trip changed the text`);
  }
  const [deflate, brotli, inflate, unbrotli] = [
    time(() => deflatePieces(text), runs),
    time(() => compressText(text), runs),
    time(() => inflatePieces(deflated), runs),
    time(() => decompressText(compressed), runs),
  ].map((ms) => ms.toFixed(3));
  console.log(
    `${name.padEnd(18)} ${pad(text.length, 11)} ${pad(bytes(deflated), 12)} ${pad(bytes(compressed), 9)}` +
      ` ${pad((bytes(compressed) / bytes(deflated)).toFixed(2), 6)} ${pad(base64(compressed), 8)}` +
      `   ${pad(`${deflate} / ${brotli}`, 30)}   ${pad(`${inflate} / ${unbrotli}`, 32)}`,
  );
}
