import { createReadStream, createWriteStream } from "node:fs";
import { chmod, link, rm, stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";

/** Owner read and write only: the file holds every collective's private keys. */
export const BACKUP_FILE_MODE = 0o600;

export class BackupFileError extends Error {
  override name = "BackupFileError";
}

/**
 * Writes `lines` gzip'd to `file`, created with owner-only permissions. It is
 * written under a temporary name and linked to `file` only when complete, so
 * a failed or interrupted backup never leaves a file that looks like one; an
 * existing file is never overwritten. Returns the file's size.
 */
export async function writeLinesToFile(
  lines: AsyncIterable<string>,
  file: string,
): Promise<{ bytes: number }> {
  if (await exists(file)) throw new BackupFileError(`${file} exists already; choose another name`);
  const partial = `${file}.partial-${process.pid}`;
  try {
    await pipeline(
      Readable.from(lines),
      createGzip(),
      createWriteStream(partial, { flags: "wx", mode: BACKUP_FILE_MODE }),
    );
    // The mode given at creation is narrowed by the umask, never widened; set it exactly.
    await chmod(partial, BACKUP_FILE_MODE);
    // link() fails when `file` appeared in the meantime, where rename() would replace it.
    await link(partial, file);
  } finally {
    await rm(partial, { force: true });
  }
  return { bytes: (await stat(file)).size };
}

/** The lines of a backup file, read and unzipped as they are consumed. */
export function readLinesFromFile(file: string): AsyncIterableIterator<string> {
  const input = createReadStream(file).pipe(createGunzip());
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  // A corrupt gzip stream fails the unzipper; readline alone would only stop.
  input.on("error", (error) => lines.emit("error", error));
  return lines[Symbol.asyncIterator]();
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
