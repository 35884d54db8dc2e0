/**
 * Real PNG images made on the fly (a gradient in one colour), for upload tests that need a
 * browser to decode them (previews).
 * @module
 */
import { crc32, deflateSync } from "node:zlib";

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.byteLength);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}

/**
 * A `width`×`height` RGB PNG shading `rgb` from dark (top) to full (bottom), with noise so it
 * does not compress to nothing (`noise` adds bytes: bigger files).
 */
export function gradientPng(
  width: number,
  height: number,
  rgb: readonly [number, number, number],
  noise = 0,
): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: RGB
  const rows: Buffer[] = [];
  let seed = 12345;
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    const shade = 0.3 + (0.7 * y) / Math.max(1, height - 1);
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        const jitter = noise > 0 ? (seed % (2 * noise + 1)) - noise : 0;
        row[1 + x * 3 + c] = Math.max(0, Math.min(255, Math.round(rgb[c]! * shade) + jitter));
      }
    }
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.concat(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
