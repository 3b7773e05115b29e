import type { Kysely } from "kysely";
import { type ContactWays, NO_CONTACT_WAYS } from "../domain/contact-ways.ts";
import type { Database } from "./database.ts";
import { toDate } from "./time.ts";

/** A collective's public contact ways; all empty when it has published none. */
export async function findContactWays(db: Kysely<Database>, groupId: string): Promise<ContactWays> {
  const row = await db
    .selectFrom("group_contact_ways")
    .select(["phone", "email", "address", "hours"])
    .where("group_id", "=", groupId)
    .executeTakeFirst();
  return row ?? NO_CONTACT_WAYS;
}

export async function saveContactWays(
  db: Kysely<Database>,
  groupId: string,
  ways: ContactWays,
  at: Temporal.Instant,
): Promise<void> {
  const values = { ...ways, updated_at: toDate(at) };
  await db
    .insertInto("group_contact_ways")
    .values({ group_id: groupId, ...values })
    .onConflict((oc) => oc.column("group_id").doUpdateSet(values))
    .execute();
}
