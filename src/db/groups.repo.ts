import type { Kysely, Selectable } from "kysely";
import type { FollowPolicy, Group } from "../domain/group.ts";
import type { Database, GroupsTable } from "./database.ts";
import { jsonb } from "./json.ts";
import { toDate, toInstant } from "./time.ts";

function toGroup(row: Selectable<GroupsTable>): Group {
  return {
    id: row.id,
    handle: row.handle,
    name: row.name,
    summary: row.summary,
    followPolicy: row.follow_policy,
    timeZone: row.time_zone,
    createdAt: toInstant(row.created_at),
    updatedAt: toInstant(row.updated_at),
  };
}

export interface StoredKeyPair {
  readonly algorithm: "RSASSA-PKCS1-v1_5" | "Ed25519";
  readonly privateJwk: JsonWebKey;
  readonly publicJwk: JsonWebKey;
}

/**
 * Inserts a group with its key pairs in one transaction: a group without keys
 * could never sign, and keys are generated once, never on first use, so two
 * concurrent requests cannot give one actor two different keys.
 * Returns null when the handle is taken.
 */
export async function insertGroup(
  db: Kysely<Database>,
  group: Group,
  keys: readonly StoredKeyPair[],
): Promise<Group | null> {
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto("groups")
      .values({
        id: group.id,
        handle: group.handle,
        name: group.name,
        summary: group.summary,
        follow_policy: group.followPolicy,
        time_zone: group.timeZone ?? null,
        created_at: toDate(group.createdAt),
        updated_at: toDate(group.updatedAt),
      })
      .onConflict((oc) => oc.column("handle").doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted === undefined) return null;
    for (const key of keys) {
      await trx
        .insertInto("group_keys")
        .values({
          group_id: group.id,
          algorithm: key.algorithm,
          private_jwk: jsonb(key.privateJwk),
          public_jwk: jsonb(key.publicJwk),
          created_at: toDate(group.createdAt),
        })
        .execute();
    }
    return toGroup(inserted);
  });
}

export async function findGroupByHandle(
  db: Kysely<Database>,
  handle: string,
): Promise<Group | null> {
  const row = await db
    .selectFrom("groups")
    .selectAll()
    .where("handle", "=", handle)
    .executeTakeFirst();
  return row === undefined ? null : toGroup(row);
}

export async function findGroupById(db: Kysely<Database>, id: string): Promise<Group | null> {
  const row = await db.selectFrom("groups").selectAll().where("id", "=", id).executeTakeFirst();
  return row === undefined ? null : toGroup(row);
}

export async function listGroups(db: Kysely<Database>): Promise<Group[]> {
  const rows = await db.selectFrom("groups").selectAll().orderBy("handle").execute();
  return rows.map(toGroup);
}

export async function findGroupKeys(
  db: Kysely<Database>,
  groupId: string,
): Promise<StoredKeyPair[]> {
  const rows = await db
    .selectFrom("group_keys")
    .select(["algorithm", "private_jwk", "public_jwk"])
    .where("group_id", "=", groupId)
    // RSA first: Fedify uses the first key pair for HTTP signatures, and
    // released Mastodon versions verify RSA only.
    .orderBy("algorithm", "desc")
    .execute();
  return rows.map((r) => ({
    algorithm: r.algorithm,
    privateJwk: r.private_jwk,
    publicJwk: r.public_jwk,
  }));
}

/** Sets a group's zone (null: the instance's); the updated group, or null when it is gone. */
export async function updateGroupTimeZone(
  db: Kysely<Database>,
  groupId: string,
  timeZone: string | null,
  now: Temporal.Instant,
): Promise<Group | null> {
  const row = await db
    .updateTable("groups")
    .set({ time_zone: timeZone, updated_at: toDate(now) })
    .where("id", "=", groupId)
    .returningAll()
    .executeTakeFirst();
  return row === undefined ? null : toGroup(row);
}

/**
 * Sets a group's name, summary, follow policy and zone; with `announce`, a
 * `pending_group_updates` row in the same transaction (the Update of its
 * actor, sent after the commit). The updated group, or null when it is gone.
 */
export async function updateGroupSettings(
  db: Kysely<Database>,
  groupId: string,
  settings: {
    readonly name: string;
    readonly summary: string;
    readonly followPolicy: FollowPolicy;
    readonly timeZone: string | null;
  },
  now: Temporal.Instant,
  announce: { readonly outboxId: string } | null,
): Promise<Group | null> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable("groups")
      .set({
        name: settings.name,
        summary: settings.summary,
        follow_policy: settings.followPolicy,
        time_zone: settings.timeZone,
        updated_at: toDate(now),
      })
      .where("id", "=", groupId)
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) return null;
    if (announce !== null) {
      await trx
        .insertInto("pending_group_updates")
        .values({ id: announce.outboxId, group_id: groupId, created_at: toDate(now) })
        .execute();
    }
    return toGroup(row);
  });
}

/** Actor Updates waiting to be sent, oldest first. */
export async function listPendingGroupUpdates(
  db: Kysely<Database>,
  limit: number,
): Promise<{ id: string; groupId: string }[]> {
  const rows = await db
    .selectFrom("pending_group_updates")
    .select(["id", "group_id"])
    .orderBy("created_at")
    .orderBy("id")
    .limit(limit)
    .execute();
  return rows.map((r) => ({ id: r.id, groupId: r.group_id }));
}

export async function deletePendingGroupUpdate(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom("pending_group_updates").where("id", "=", id).execute();
}
