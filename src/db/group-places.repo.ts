import { type Kysely, sql } from "kysely";
import { newId } from "../domain/ids.ts";
import type { Database } from "./database.ts";

/** A collective's own named place. */
export interface GroupPlace {
  readonly id: string;
  readonly name: string;
  readonly latitude: number;
  readonly longitude: number;
}

/** A place's name: a landmark, not a description. */
export const GROUP_PLACE_NAME_MAX = 120;

/** A group keeps a few dozen places at most: they are listed whole, by name. */
export const MAX_GROUP_PLACES = 200;

export async function listGroupPlaces(
  db: Kysely<Database>,
  groupId: string,
): Promise<GroupPlace[]> {
  return db
    .selectFrom("group_places")
    .select(["id", "name", "latitude", "longitude"])
    .where("group_id", "=", groupId)
    .orderBy(sql`lower(name)`)
    .orderBy("id")
    .limit(MAX_GROUP_PLACES)
    .execute();
}

/** "taken": the group already has a place of that name (case ignored); "full": it has MAX_GROUP_PLACES. */
export async function createGroupPlace(
  db: Kysely<Database>,
  groupId: string,
  place: Omit<GroupPlace, "id">,
): Promise<{ ok: true; place: GroupPlace } | { ok: false; reason: "taken" | "full" }> {
  return db.transaction().execute(async (trx) => {
    // Serialises two saves of one group so the count and the name check hold.
    await trx
      .selectFrom("groups")
      .select("id")
      .where("id", "=", groupId)
      .forUpdate()
      .executeTakeFirst();
    const { count } = await trx
      .selectFrom("group_places")
      .select((eb) => eb.fn.countAll<string>().as("count"))
      .where("group_id", "=", groupId)
      .executeTakeFirstOrThrow();
    if (Number(count) >= MAX_GROUP_PLACES) return { ok: false as const, reason: "full" as const };
    const taken = await trx
      .selectFrom("group_places")
      .select("id")
      .where("group_id", "=", groupId)
      .where(sql`lower(name)`, "=", place.name.toLowerCase())
      .executeTakeFirst();
    if (taken !== undefined) return { ok: false as const, reason: "taken" as const };
    const id = newId();
    await trx
      .insertInto("group_places")
      .values({
        id,
        group_id: groupId,
        name: place.name,
        latitude: place.latitude,
        longitude: place.longitude,
      })
      .execute();
    return { ok: true as const, place: { id, ...place } };
  });
}

export async function deleteGroupPlace(
  db: Kysely<Database>,
  groupId: string,
  id: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom("group_places")
    .where("group_id", "=", groupId)
    .where("id", "=", id)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}
