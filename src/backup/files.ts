import type { DatabaseHandle } from "../db/connect.ts";
import { readLinesFromFile, writeLinesToFile } from "./file.ts";
import type { Trailer } from "./format.ts";
import { type RestoreOptions, type RestoreReport, restoreBackup } from "./restore.ts";
import { type BackupOptions, backupLines } from "./write.ts";

export interface BackupReport {
  readonly bytes: number;
  readonly tables: number;
  readonly rows: number;
}

/** A backup of `handle`'s database written to `file` (owner-only, never overwriting). */
export async function backupToFile(
  handle: Pick<DatabaseHandle, "db" | "engine">,
  file: string,
  options: BackupOptions,
): Promise<BackupReport> {
  let trailer: Trailer | null = null;
  async function* observed() {
    for await (const line of backupLines(handle, options)) {
      if (line.startsWith('{"complete":')) trailer = JSON.parse(line) as Trailer;
      yield line;
    }
  }
  const { bytes } = await writeLinesToFile(observed(), file);
  const done = trailer as Trailer | null;
  return { bytes, tables: done?.tables ?? 0, rows: done?.rows ?? 0 };
}

/** Restores `file` into `handle`'s database (restore.ts says what is refused). */
export async function restoreFromFile(
  handle: Pick<DatabaseHandle, "db" | "schema">,
  file: string,
  options: RestoreOptions,
): Promise<RestoreReport> {
  const lines = readLinesFromFile(file);
  try {
    return await restoreBackup(
      { db: handle.db, ...(handle.schema !== undefined ? { schema: handle.schema } : {}) },
      lines,
      options,
    );
  } finally {
    await lines.return?.();
  }
}
