import "../polyfill.ts";
import { ConfigurationError, loadConfig } from "../config.ts";
import { migrateToLatest } from "../db/migrate.ts";
import { openDatabase } from "../db/open-database.ts";

// `npm run migrate`: apply pending migrations to the configured database and exit.
try {
  const config = loadConfig(process.env);
  const handle = await openDatabase(config);
  try {
    const result = await migrateToLatest(handle.db);
    const applied = result.results?.filter((r) => r.status === "Success") ?? [];
    console.log(
      applied.length === 0
        ? "The database is up to date."
        : `Applied ${applied.length} migration(s): ${applied.map((r) => r.migrationName).join(", ")}`,
    );
  } finally {
    await handle.close();
  }
} catch (error) {
  console.error(error instanceof ConfigurationError ? error.message : error);
  process.exit(1);
}
