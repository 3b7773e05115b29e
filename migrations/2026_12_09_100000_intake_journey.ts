import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  // Why a coordinator declined it (a fixed list) and what they added.
  await sql`
    ALTER TABLE intake_requests
      ADD COLUMN decline_reason text
        CHECK (decline_reason IN ('outside-area', 'cannot-provide', 'duplicate', 'other')),
      ADD COLUMN decline_note text NOT NULL DEFAULT '',
      ADD COLUMN contact_erased_at timestamptz`.execute(db);
  // The erasure sweep looks at ended requests whose contact is still kept.
  await sql`
    CREATE INDEX intake_requests_contact_kept ON intake_requests (state, updated_at)
    WHERE contact_erased_at IS NULL`.execute(db);

  // How the public can reach a collective: shown on its page and wherever a
  // page says "contact the collective". Every way is optional.
  await sql`
    CREATE TABLE group_contact_ways (
      group_id text PRIMARY KEY REFERENCES groups (id) ON DELETE CASCADE,
      phone text NOT NULL DEFAULT '',
      email text NOT NULL DEFAULT '',
      address text NOT NULL DEFAULT '',
      hours text NOT NULL DEFAULT '',
      updated_at timestamptz NOT NULL
    )`.execute(db);

  // Links a collective hands to partners (a shelter, a clinic): requests
  // through a live one are not counted against the per-address limit.
  await sql`
    CREATE TABLE intake_partner_links (
      id text PRIMARY KEY,
      group_id text NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
      label text NOT NULL,
      token text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL,
      revoked_at timestamptz
    )`.execute(db);
  await sql`CREATE INDEX intake_partner_links_group ON intake_partner_links (group_id, created_at)`.execute(
    db,
  );
  // Which partner link a request came through, so coordinators see a
  // link's use (and can revoke one that is abused).
  await sql`
    ALTER TABLE intake_requests ADD COLUMN partner_link_id text
      REFERENCES intake_partner_links (id) ON DELETE SET NULL`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE intake_requests DROP COLUMN IF EXISTS partner_link_id`.execute(db);
  await sql`DROP TABLE IF EXISTS intake_partner_links`.execute(db);
  await sql`DROP TABLE IF EXISTS group_contact_ways`.execute(db);
  await sql`DROP INDEX IF EXISTS intake_requests_contact_kept`.execute(db);
  await sql`
    ALTER TABLE intake_requests
      DROP COLUMN IF EXISTS contact_erased_at,
      DROP COLUMN IF EXISTS decline_note,
      DROP COLUMN IF EXISTS decline_reason`.execute(db);
}
