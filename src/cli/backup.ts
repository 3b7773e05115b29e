import "../polyfill.ts";
import { BackupFileError } from "../backup/file.ts";
import { backupToFile } from "../backup/files.ts";
import { ConfigurationError, loadConfig } from "../config.ts";
import { DataDirInUseError } from "../db/data-dir-lock.ts";
import { OperatorError, openOperatorDatabase } from "./operator-database.ts";

// `npm run backup -- FILE`: writes a backup of the configured database
// (DATABASE_URL, or the embedded one in DATA_DIR) to FILE. README.md,
// "Backup, restore and moving to PostgreSQL".
const file = process.argv[2];
if (file === undefined || file.startsWith("-") || process.argv.length > 3) {
  console.error("Usage: npm run backup -- FILE");
  process.exit(2);
}
try {
  const config = loadConfig(process.env);
  const handle = await openOperatorDatabase(config, "backup", { create: false });
  try {
    const report = await backupToFile(handle, file, {
      origin: config.origin,
      now: Temporal.Now.instant(),
    });
    console.log(
      `Backup written to ${file}: ${report.tables} tables, ${report.rows} rows, ${report.bytes} bytes.\n` +
        "It holds every collective's private keys and people's contact details: keep it secret.",
    );
  } finally {
    await handle.close();
  }
} catch (error) {
  const known =
    error instanceof ConfigurationError ||
    error instanceof OperatorError ||
    error instanceof DataDirInUseError ||
    error instanceof BackupFileError;
  console.error(known ? (error as Error).message : error);
  process.exit(1);
}
