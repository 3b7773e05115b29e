import "../polyfill.ts";
import { BackupFileError } from "../backup/file.ts";
import { restoreFromFile } from "../backup/files.ts";
import { BackupFormatError } from "../backup/format.ts";
import { RestoreRefused } from "../backup/restore.ts";
import { ConfigurationError, loadConfig } from "../config.ts";
import { DataDirInUseError } from "../db/data-dir-lock.ts";
import { OperatorError, openOperatorDatabase } from "./operator-database.ts";

// `npm run restore -- FILE [--allow-other-origin]`: loads a backup into the
// configured database, which must be empty (DATABASE_URL, or DATA_DIR for
// the embedded one). README.md, "Backup, restore and moving to PostgreSQL".
const args = process.argv.slice(2);
const allowOtherOrigin = args.includes("--allow-other-origin");
const files = args.filter((a) => a !== "--allow-other-origin");
if (files.length !== 1 || files[0]!.startsWith("-")) {
  console.error("Usage: npm run restore -- FILE [--allow-other-origin]");
  process.exit(2);
}
const file = files[0]!;
try {
  const config = loadConfig(process.env);
  const handle = await openOperatorDatabase(config, "restore", { create: true });
  try {
    const report = await restoreFromFile(handle, file, { origin: config.origin, allowOtherOrigin });
    console.log(
      `Restored ${report.tables} tables, ${report.rows} rows from the backup of ${report.header.origin} taken ${report.header.createdAt}.` +
        (report.migratedAfter.length > 0
          ? ` Applied ${report.migratedAfter.length} newer migration(s).`
          : ""),
    );
  } finally {
    await handle.close();
  }
} catch (error) {
  const known =
    error instanceof ConfigurationError ||
    error instanceof OperatorError ||
    error instanceof DataDirInUseError ||
    error instanceof RestoreRefused ||
    error instanceof BackupFormatError ||
    error instanceof BackupFileError;
  console.error(known ? (error as Error).message : error);
  process.exit(1);
}
