import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  // Every change of the federation policy bumps this counter in its own
  // transaction. A process reads it (one row) before it delivers, so a block
  // committed by another process applies even when its NOTIFY has not
  // arrived yet, or was lost while a LISTEN connection reconnected.
  await sql`ALTER TABLE federation_settings ADD COLUMN version bigint NOT NULL DEFAULT 0`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE federation_settings DROP COLUMN IF EXISTS version`.execute(db);
}
