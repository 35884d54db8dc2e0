/**
 * The temp-file writer of channel uploads (Phoenix's `UploadTmpFileWriter`): each entry's chunks
 * go straight to a file of its own in one private directory of the process, so memory stays
 * flat whatever the file's size. The file is deleted when the entry is consumed, cancelled or
 * fails, when its view closes, and the whole directory when the process exits.
 * @module
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { open, unlink, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EntryStorage } from "../view/upload-config.js";

let directory: string | undefined;

/**
 * The process's upload directory (`<os tmpdir>/djust-uploads-XXXXXX`, mode 0700), made on first
 * use and removed with everything in it when the process exits.
 */
export function uploadTempDir(): string {
  if (directory === undefined) {
    const made = mkdtempSync(join(tmpdir(), "djust-uploads-"));
    directory = made;
    process.once("exit", () => rmSync(made, { recursive: true, force: true }));
  }
  return directory;
}

/** One entry's temp file, written chunk by chunk. */
export class TempFileWriter implements EntryStorage {
  readonly path: string;
  #handle: FileHandle | undefined;
  #discarded = false;

  private constructor(path: string, handle: FileHandle) {
    this.path = path;
    this.#handle = handle;
  }

  /**
   * Creates a new, empty file (`wx`: never an existing one, mode 0600) with a random name: no
   * part of it comes from the client.
   */
  static async create(): Promise<TempFileWriter> {
    const path = join(uploadTempDir(), randomBytes(16).toString("hex"));
    const handle = await open(path, "wx", 0o600);
    return new TempFileWriter(path, handle);
  }

  /** Appends `chunk`. @throws what the file system throws (the entry fails with `writer_error`). */
  async write(chunk: Uint8Array): Promise<void> {
    const handle = this.#handle;
    if (!handle) throw new Error("the upload file is closed");
    let offset = 0;
    while (offset < chunk.byteLength) {
      const { bytesWritten } = await handle.write(chunk, offset);
      offset += bytesWritten;
    }
  }

  /** Closes the file, keeping it for the consumer. */
  async close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close();
  }

  /** Closes and deletes the file; safe to call more than once. */
  async discard(): Promise<void> {
    if (this.#discarded) return;
    this.#discarded = true;
    await this.close().catch(() => undefined);
    await unlink(this.path).catch(() => undefined);
  }
}
