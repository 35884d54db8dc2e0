/**
 * Compression of a stored field's JSON text, shared by the state backends: Brotli, in pieces
 * compressed alone.
 * @module
 */
import { brotliCompressSync, brotliDecompressSync, constants as zlib } from "node:zlib";

/** Field encodings from this many characters on are kept compressed. */
export const COMPRESS_FROM = 1024;

/**
 * Brotli settings for stored fields: quality 2 and a 64 KiB window (a whole piece). Against
 * raw deflate at level 1 (used before), the stored rows of a table take half the bytes
 * (100,000 rows: 281 kB against 546 kB; 1,000 rows: 2.8 kB against 5.6 kB) for 1.2-1.5x the
 * CPU to compress and the same or less to decompress (`bench/stored-fields.ts`).
 */
const BROTLI = {
  [zlib.BROTLI_PARAM_QUALITY]: 2,
  [zlib.BROTLI_PARAM_LGWIN]: 16,
  [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT,
} as const;

/**
 * Characters per compressed piece: at most 96 KiB in UTF-8, so that no buffer made to store or
 * load a field passes 128 KiB, where glibc's allocator maps memory of its own for it. Once such
 * a mapping is freed, glibc raises that threshold to its size, and the next ones come from
 * (and, freed, stay in) the heap it does not give back: a view holding 100,000 rows (5.6 MB as
 * JSON) made two such buffers each time its field was stored or read whole. Each piece is
 * compressed alone, which costs a piece of rows little: they repeat within a row's width.
 */
const PIECE = 32_768;
/** The most bytes a piece's text takes in UTF-8 (three per UTF-16 unit at most). */
const PIECE_BYTES = 3 * PIECE;

/**
 * `text` compressed: a buffer per piece of at most {@link PIECE} characters, each the piece's
 * length in UTF-8 (4 bytes, little-endian) and then its compressed bytes.
 */
export function compressText(text: string): Buffer[] {
  const pieces: Buffer[] = [];
  for (let start = 0; start < text.length;) {
    let end = Math.min(start + PIECE, text.length);
    // A surrogate pair stays whole: half of one would be encoded as U+FFFD.
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    const piece = text.slice(start, end);
    const bytes = Buffer.byteLength(piece);
    const compressed = brotliCompressSync(piece, {
      params: { ...BROTLI, [zlib.BROTLI_PARAM_SIZE_HINT]: bytes },
    });
    // zlib hands back a view of its 16 KiB output chunk: keep only the bytes, after the length
    // of the piece in UTF-8, so that decompressing makes one buffer of that size (no chunks).
    const stored = Buffer.allocUnsafeSlow(4 + compressed.byteLength);
    stored.writeUInt32LE(bytes, 0);
    compressed.copy(stored, 4);
    pieces.push(stored);
    start = end;
  }
  return pieces;
}

/**
 * The text {@link compressText} made `pieces` of. A piece that does not decompress, or would
 * decompress past the largest piece, throws: a record from outside the process (Redis) may be
 * damaged, and none may make this process allocate more than a piece's worth at a time.
 */
export function decompressText(pieces: readonly Buffer[]): string {
  let text = "";
  for (const piece of pieces) {
    if (piece.length < 4) throw new RangeError("a compressed piece without its length");
    const chunkSize = Math.min(Math.max(64, piece.readUInt32LE(0)), PIECE_BYTES);
    const options = { chunkSize, maxOutputLength: PIECE_BYTES };
    // Joined as V8 joins strings (a rope, flattened by JSON.parse on its own heap).
    text += brotliDecompressSync(piece.subarray(4), options).toString();
  }
  return text;
}
