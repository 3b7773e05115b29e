import "../polyfill.ts";
import { openPGlite } from "../db/connect.ts";
import { migrateToLatest } from "../db/migrate.ts";

// Run by the server (server.ts, prepareDataDir) in a process of its own when
// DATA_DIR holds no database yet: creates it (PGlite's initdb) and applies
// the migrations, then exits. Arguments: the data directory.
const dataDir = process.argv[2];
if (dataDir === undefined) {
  console.error("Usage: node src/cli/prepare-data-dir.ts DATA_DIR");
  process.exit(2);
}
const handle = await openPGlite({ dataDir });
try {
  await migrateToLatest(handle.db);
} finally {
  await handle.close();
}
