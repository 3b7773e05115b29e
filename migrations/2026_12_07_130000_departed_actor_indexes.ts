import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  // Forgetting a deleted actor finds its rows by actor: as a follower of any
  // group, as the target of our pending pledges, as the author of proposed
  // answers (following, remote copies and re-shares have such indexes already).
  await sql`CREATE INDEX followers_by_actor ON followers (actor_id)`.execute(db);
  await sql`
    CREATE INDEX pledges_pending_by_target ON pledges (target_actor_id)
    WHERE state = 'pending'`.execute(db);
  await sql`
    CREATE INDEX responses_proposed_by_actor ON responses (actor_id)
    WHERE state = 'proposed'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS responses_proposed_by_actor`.execute(db);
  await sql`DROP INDEX IF EXISTS pledges_pending_by_target`.execute(db);
  await sql`DROP INDEX IF EXISTS followers_by_actor`.execute(db);
}
