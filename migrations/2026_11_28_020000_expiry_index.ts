import { type Kysely, sql } from "kysely";

// The expiry sweep runs every minute; without this index it walked every live
// need to find the few whose expiry has passed.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE INDEX proposals_due ON proposals (expires_at)
    WHERE deleted_at IS NULL AND status IN ('open', 'pledged') AND expires_at IS NOT NULL`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS proposals_due`.execute(db);
}
