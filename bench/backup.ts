/**
 * Backup and restore of a large instance, as an operator runs them: the
 * `npm run backup` and `npm run restore` commands (src/cli), each in a
 * process of its own, timed, with the process's peak resident memory
 * (VmHWM, read from /proc while it runs) and the file's size.
 *
 * The instance: one collective with 100,000 needs (list.ts's rows), 10,000
 * followers (fanout.ts's) and 50,000 received needs from 100 peers
 * (near.ts's). It is backed up, then restored into a new database of the
 * same engine, and the restored row counts are checked against the
 * original's.
 */
import { spawn } from "node:child_process";
import { readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import { openPGlite, openPostgres } from "../src/db/connect.ts";
import { insertFollowers } from "./fanout.ts";
import {
  type BenchStore,
  createGroup,
  createStore,
  type Engine,
  groupId,
  startInstance,
} from "./lib/instance.ts";
import { insertNeeds } from "./list.ts";
import { insertRemote } from "./near.ts";

export interface BackupBenchOptions {
  readonly engines: readonly Engine[];
  readonly needs: number;
  readonly followers: number;
  readonly remote: number;
}

export const DEFAULT_BACKUP: BackupBenchOptions = {
  engines: ["pglite", "postgres"],
  needs: 100_000,
  followers: 10_000,
  remote: 50_000,
};

export interface CommandRun {
  readonly seconds: number;
  /** Peak resident memory of the command's process, MiB. */
  readonly peakMb: number;
}

export interface BackupBenchResult {
  readonly engine: Engine;
  readonly rows: number;
  readonly fileMb: number;
  readonly backup: CommandRun;
  readonly restore: CommandRun;
}

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Runs src/cli/<script> under this Node, sampling its peak RSS until it exits. */
async function runCommand(
  script: string,
  args: readonly string[],
  env: Record<string, string>,
): Promise<CommandRun> {
  const started = performance.now();
  const child = spawn(process.execPath, [path.join(ROOT, "src/cli", script), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "warning", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr.on("data", (chunk) => {
    output += chunk;
  });
  let peakKb = 0;
  const sample = async () => {
    const status = await readFile(`/proc/${child.pid}/status`, "utf8").catch(() => "");
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
  };
  const timer = setInterval(() => void sample(), 50);
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  clearInterval(timer);
  if (code !== 0) throw new Error(`${script} failed (exit ${code}):\n${output}`);
  return { seconds: (performance.now() - started) / 1000, peakMb: peakKb / 1024 };
}

/** Rows in every table but Kysely's bookkeeping, read from the store as it is. */
async function countRows(store: BenchStore): Promise<number> {
  const handle =
    store.engine === "pglite"
      ? await openPGlite({ dataDir: store.location })
      : openPostgres({ url: store.location, maxConnections: 1 });
  try {
    const tables = await sql<{ name: string }>`
      SELECT tablename AS name FROM pg_tables
      WHERE schemaname = current_schema() AND tablename NOT LIKE 'kysely_%'`.execute(handle.db);
    let rows = 0;
    for (const { name } of tables.rows) {
      const count = await sql<{ n: string }>`
        SELECT count(*)::text AS n FROM ${sql.table(name)}`.execute(handle.db);
      rows += Number(count.rows[0]!.n);
    }
    return rows;
  } finally {
    await handle.close();
  }
}

async function runEngine(
  engine: Engine,
  options: BackupBenchOptions,
  log: (line: string) => void,
): Promise<BackupBenchResult> {
  const source = await createStore(engine);
  const target = await createStore(engine);
  const instance = await startInstance(source);
  const origin = instance.config.origin.origin;
  const file = path.join(tmpdir(), `bayanihan-bench-${engine}-${process.pid}.backup`);
  try {
    const handle = await createGroup(instance, "aid");
    const group = await groupId(instance, handle);
    const t = performance.now();
    const db = instance.database.db;
    await insertNeeds(db, group, options.needs);
    const perHost = Math.max(1, Math.floor(options.followers / 100));
    await insertFollowers(
      db,
      group,
      Array.from({ length: Math.ceil(options.followers / perHost) }, (_, i) => 20_000 + i),
      perHost,
    );
    await insertRemote(db, group, options.remote, 100, 10);
    log(`  [${engine}] filled in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    await instance.stop();

    const rows = await countRows(source);
    const backup = await runCommand("backup.ts", [file], { ...source.env, ORIGIN: origin });
    const fileMb = (await stat(file)).size / 1024 / 1024;
    log(
      `  [${engine}] backup: ${backup.seconds.toFixed(1)} s, peak ${backup.peakMb.toFixed(0)} MiB`,
    );
    const restore = await runCommand("restore.ts", [file], { ...target.env, ORIGIN: origin });
    log(
      `  [${engine}] restore: ${restore.seconds.toFixed(1)} s, peak ${restore.peakMb.toFixed(0)} MiB`,
    );
    const restored = await countRows(target);
    if (restored !== rows) {
      throw new Error(`The restored ${engine} database has ${restored} rows, the original ${rows}`);
    }
    return { engine, rows, fileMb, backup, restore };
  } finally {
    await instance.stop();
    await rm(file, { force: true });
    await source.dispose();
    await target.dispose();
  }
}

export async function runBackup(
  options: BackupBenchOptions,
  log: (line: string) => void,
): Promise<BackupBenchResult[]> {
  const results: BackupBenchResult[] = [];
  for (const engine of options.engines) results.push(await runEngine(engine, options, log));
  return results;
}
