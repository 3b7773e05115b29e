import { open, readFile, unlink } from "node:fs/promises";
import path from "node:path";

/**
 * PGlite takes no lock on its data directory: a second process (or a second
 * PGlite in the same one) opens it without complaint, and two of them
 * writing corrupt it. The server, the backup and the restore each hold this
 * file while they have the embedded database open: it names the process,
 * and one left by a process that has died is taken over.
 */
export const LOCK_FILE = "bayanihan.pid";

export class DataDirInUseError extends Error {
  override name = "DataDirInUseError";
}

/** Takes the lock on `dataDir` (which must exist); resolves to its release. */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = path.join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, "wx");
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return async () => {
        await unlink(file).catch(() => {});
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = Number.parseInt(await readFile(file, "utf8").catch(() => ""), 10);
    if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
      throw new DataDirInUseError(
        `The embedded database in ${dataDir} is in use by process ${holder} (the server?). ` +
          `Stop it first; if no such process is running, delete ${file}.`,
      );
    }
    await unlink(file).catch(() => {});
  }
  throw new DataDirInUseError(`Could not lock ${dataDir}: another process keeps taking it.`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
