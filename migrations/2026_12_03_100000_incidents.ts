import { type Kysely, sql } from "kysely";

// Disaster incidents: one table for the ones our groups opened (group_id
// set) and the copies of other instances' incidents (group_id null, fetched
// from the owner). Participants are the groups that joined: on the owner's
// side every remote group that sent a Join, on a joiner's side our own
// group's participation (group_id set) and the other participants the owner
// lists in its `participants` collection.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("incidents")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("object_id", "text", (c) => c.notNull().unique())
    .addColumn("owner_actor_id", "text", (c) => c.notNull())
    .addColumn("owner_inbox_url", "text")
    .addColumn("participants_url", "text")
    .addColumn("group_id", "text", (c) => c.references("groups.id").onDelete("cascade"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull())
    .addColumn("area_kind", "text", (c) => c.notNull().check(sql`area_kind IN ('circle', 'bbox')`))
    .addColumn("center_latitude", "double precision")
    .addColumn("center_longitude", "double precision")
    .addColumn("radius_km", "double precision")
    .addColumn("south", "double precision")
    .addColumn("west", "double precision")
    .addColumn("north", "double precision")
    .addColumn("east", "double precision")
    .addColumn("starts_at", "timestamptz", (c) => c.notNull())
    .addColumn("ends_at", "timestamptz")
    .addColumn("status", "text", (c) => c.notNull().check(sql`status IN ('open', 'closed')`))
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .addColumn("updated_at", "timestamptz", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("incidents_group")
    .on("incidents")
    .columns(["group_id", "created_at"])
    .where(sql.ref("group_id"), "is not", null)
    .execute();

  await db.schema
    .createTable("incident_participants")
    .addColumn("incident_id", "text", (c) =>
      c.notNull().references("incidents.id").onDelete("cascade"),
    )
    .addColumn("actor_id", "text", (c) => c.notNull())
    .addColumn("group_id", "text", (c) => c.references("groups.id").onDelete("cascade"))
    .addColumn("inbox_url", "text")
    .addColumn("shared_inbox_url", "text")
    .addColumn("state", "text", (c) => c.notNull().check(sql`state IN ('pending', 'accepted')`))
    .addColumn("join_activity_id", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .addColumn("updated_at", "timestamptz", (c) => c.notNull())
    .addPrimaryKeyConstraint("incident_participants_pkey", ["incident_id", "actor_id"])
    .execute();
  await db.schema
    .createIndex("incident_participants_actor")
    .on("incident_participants")
    .columns(["actor_id", "state"])
    .execute();
  await db.schema
    .createIndex("incident_participants_join")
    .on("incident_participants")
    .column("join_activity_id")
    .where(sql.ref("join_activity_id"), "is not", null)
    .execute();
  await db.schema
    .createIndex("incident_participants_group")
    .on("incident_participants")
    .columns(["group_id", "state"])
    .where(sql.ref("group_id"), "is not", null)
    .execute();

  // The incident's object id, on needs and offers tagged with it. The board
  // reads the live tagged ones of one incident.
  await db.schema.alterTable("proposals").addColumn("incident_object_id", "text").execute();
  await db.schema.alterTable("remote_proposals").addColumn("incident_object_id", "text").execute();
  await sql`
    CREATE INDEX proposals_incident ON proposals (incident_object_id)
    WHERE incident_object_id IS NOT NULL AND deleted_at IS NULL`.execute(db);
  await sql`
    CREATE INDEX remote_proposals_incident ON remote_proposals (incident_object_id)
    WHERE incident_object_id IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS remote_proposals_incident`.execute(db);
  await sql`DROP INDEX IF EXISTS proposals_incident`.execute(db);
  await db.schema.alterTable("remote_proposals").dropColumn("incident_object_id").execute();
  await db.schema.alterTable("proposals").dropColumn("incident_object_id").execute();
  await db.schema.dropTable("incident_participants").execute();
  await db.schema.dropTable("incidents").execute();
}
