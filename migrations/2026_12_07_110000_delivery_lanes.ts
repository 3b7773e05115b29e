import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  // Each queued message belongs to a lane with slots of its own (received
  // activities are never stuck behind deliveries), and a delivery names its
  // destination (the inbox's host and port), so that only a few deliveries
  // to one destination are in flight at once.
  await sql`ALTER TABLE fedify_queue ADD COLUMN lane text NOT NULL DEFAULT 'default'`.execute(db);
  await sql`ALTER TABLE fedify_queue ADD COLUMN destination text`.execute(db);
  await sql`
    UPDATE fedify_queue
    SET lane = CASE WHEN message->>'type' = 'inbox' THEN 'inbox' ELSE 'delivery' END,
        destination = CASE WHEN message->>'type' = 'outbox'
          THEN lower(substring(message->>'inbox' from '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?([^/?#]+)'))
        END`.execute(db);
  await sql`CREATE INDEX fedify_queue_lane_ready ON fedify_queue (lane, available_at, id)`.execute(
    db,
  );
  // Counting what is in flight per destination reads only leased rows.
  await sql`CREATE INDEX fedify_queue_destination_leased ON fedify_queue (destination) WHERE lease_until IS NOT NULL`.execute(
    db,
  );

  // Destinations whose deliveries keep failing for want of an answer (or
  // with 5xx): after a few in a row the destination is parked until
  // parked_until, then probed by one delivery at a time until one succeeds.
  await sql`
    CREATE TABLE fedify_queue_destinations (
      destination text PRIMARY KEY,
      failures integer NOT NULL,
      parked_until timestamptz,
      updated_at timestamptz NOT NULL
    )`.execute(db);

  // Why a delivery was given up on: the retries ran out ('exhausted'), the
  // inbox answered 404/410 ('gone'), or another final 4xx ('refused').
  await sql`ALTER TABLE delivery_failures ADD COLUMN reason text NOT NULL DEFAULT 'exhausted'`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE delivery_failures DROP COLUMN IF EXISTS reason`.execute(db);
  await sql`DROP TABLE IF EXISTS fedify_queue_destinations`.execute(db);
  await sql`DROP INDEX IF EXISTS fedify_queue_destination_leased`.execute(db);
  await sql`DROP INDEX IF EXISTS fedify_queue_lane_ready`.execute(db);
  await sql`ALTER TABLE fedify_queue DROP COLUMN IF EXISTS destination`.execute(db);
  await sql`ALTER TABLE fedify_queue DROP COLUMN IF EXISTS lane`.execute(db);
}
