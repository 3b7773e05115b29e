import { createReadStream, createWriteStream } from "node:fs";
import { chmod, link, rm, stat } from "node:fs/promises";
import { pipeline, Readable } from "node:stream";
import { pipeline as pipelineAsync } from "node:stream/promises";
import { StringDecoder } from "node:string_decoder";
import { createGunzip, createGzip } from "node:zlib";
import { BackupFormatError } from "./format.ts";

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
    await pipelineAsync(
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

/**
 * The lines of a backup file, read and unzipped as they are consumed. A
 * missing file, or one that is not gzip or ends in the middle of its gzip
 * stream, is an error of the iteration (never an unhandled stream error).
 */
export async function* readLinesFromFile(file: string): AsyncGenerator<string, void, undefined> {
  // pipeline() destroys the unzipper with the read stream's error too.
  const unzipped = pipeline(createReadStream(file), createGunzip(), () => {});
  const decoder = new StringDecoder("utf8");
  let rest = "";
  try {
    for await (const chunk of unzipped) {
      const lines = (rest + decoder.write(chunk as Buffer)).split("\n");
      rest = lines.pop() ?? "";
      yield* lines;
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new BackupFileError(`${file} does not exist.`);
    if (code === "Z_DATA_ERROR" || code === "Z_BUF_ERROR") {
      throw new BackupFormatError(
        `${file} is not a Bayanihan backup, or it is damaged or incomplete (${(error as Error).message}).`,
      );
    }
    throw error;
  } finally {
    unzipped.destroy();
  }
  rest += decoder.end();
  if (rest !== "") yield rest;
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
