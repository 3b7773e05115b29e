import { open, readFile, rm } from "node:fs/promises";
import path from "node:path";

/**
 * The embedded database serves one process: PGlite keeps its pages in the
 * process's memory and writes them back on its own schedule, so a second
 * process opening the same data directory (an `npm run admin` while the
 * server runs, or a second server on another port) would work on a stale
 * copy and overwrite the first one's writes. Nothing in PGlite stops that,
 * so each process that opens `DATA_DIR` holds this file, with its pid, while
 * it has the database open.
 */
export const LOCK_FILE = "bayanihan.pid";

export class DataDirInUseError extends Error {
  readonly pid: number;

  constructor(dataDir: string, pid: number) {
    super(
      `The embedded database in ${dataDir} is in use by another process (pid ${pid}), ` +
        "and it can serve only one process at a time. Stop that process (the server) first, " +
        "then try again. If no Bayanihan process is running, the file " +
        `${path.join(dataDir, LOCK_FILE)} is left over: delete it.`,
    );
    this.name = "DataDirInUseError";
    this.pid = pid;
  }
}

/** Whether a process with this pid exists (EPERM: it does, under another user). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the data directory for this process, or throws DataDirInUseError
 * when a running process holds it. A file left by a process that is gone
 * (killed, the machine restarted) is taken over; so is one with this
 * process's own pid, which a container's restarted server (pid 1 again)
 * finds. Resolves to the function that gives it back.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = path.join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, "wx", 0o600);
      try {
        await handle.writeFile(`${process.pid}\n`);
      } finally {
        await handle.close();
      }
      return async () => {
        // Only our own: a process that took over a file we had left stays in.
        const holder = await readFile(file, "utf8").catch(() => "");
        if (Number.parseInt(holder, 10) === process.pid) await rm(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const pid = Number.parseInt(await readFile(file, "utf8").catch(() => ""), 10);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isRunning(pid)) {
      throw new DataDirInUseError(dataDir, pid);
    }
    await rm(file, { force: true });
  }
  throw new Error(`Cannot take ${file}: other processes keep creating it`);
}
