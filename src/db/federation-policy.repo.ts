import { type Kysely, type Selectable, sql } from "kysely";
import {
  type DomainPolicyEntry,
  type FederationMode,
  hostOf,
} from "../domain/federation-policy.ts";
import type { Database, DomainPoliciesTable } from "./database.ts";
import { toDate, toInstant } from "./time.ts";

function toEntry(row: Selectable<DomainPoliciesTable>): DomainPolicyEntry {
  return {
    domain: row.domain,
    policy: row.policy,
    reason: row.reason,
    createdAt: toInstant(row.created_at),
  };
}

/** The instance's mode; `open` if the settings row is missing. */
export async function getFederationMode(db: Kysely<Database>): Promise<FederationMode> {
  const row = await db
    .selectFrom("federation_settings")
    .select("mode")
    .where("id", "=", 1)
    .executeTakeFirst();
  return row?.mode ?? "open";
}

export async function setFederationMode(
  db: Kysely<Database>,
  mode: FederationMode,
  now: Temporal.Instant,
): Promise<void> {
  await db
    .insertInto("federation_settings")
    .values({ id: 1, mode, updated_at: toDate(now) })
    .onConflict((oc) =>
      oc.column("id").doUpdateSet((eb) => ({
        mode: eb.ref("excluded.mode"),
        updated_at: eb.ref("excluded.updated_at"),
      })),
    )
    .execute();
}

export async function listDomainPolicies(db: Kysely<Database>): Promise<DomainPolicyEntry[]> {
  const rows = await db.selectFrom("domain_policies").selectAll().orderBy("domain").execute();
  return rows.map(toEntry);
}

/** Adds an entry; null if the domain has one already (which is left as it is). */
export async function insertDomainPolicy(
  db: Kysely<Database>,
  entry: DomainPolicyEntry,
): Promise<DomainPolicyEntry | null> {
  const row = await db
    .insertInto("domain_policies")
    .values({
      domain: entry.domain,
      policy: entry.policy,
      reason: entry.reason,
      created_at: toDate(entry.createdAt),
    })
    .onConflict((oc) => oc.column("domain").doNothing())
    .returningAll()
    .executeTakeFirst();
  return row === undefined ? null : toEntry(row);
}

export async function deleteDomainPolicy(db: Kysely<Database>, domain: string): Promise<boolean> {
  const result = await db
    .deleteFrom("domain_policies")
    .where("domain", "=", domain)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Wakes every process LISTENing on `channel` once the surrounding transaction commits. */
export async function notifyChannel(db: Kysely<Database>, channel: string): Promise<void> {
  await sql`SELECT pg_notify(${channel}, '')`.execute(db);
}

/**
 * Deletes the followers (of any group) and the follows whose actor id is on
 * `domain` (a canonical host, see normalizeDomain), matching hosts exactly
 * as the policy does. Run it in the transaction that adds the block.
 */
export async function removeRelationshipsWithHost(
  db: Kysely<Database>,
  domain: string,
): Promise<{ followers: number; following: number }> {
  return {
    followers: await removeOnHost(db, "followers", domain),
    following: await removeOnHost(db, "following", domain),
  };
}

const DELETE_CHUNK = 1000;

async function removeOnHost(
  db: Kysely<Database>,
  table: "followers" | "following",
  domain: string,
): Promise<number> {
  // The SQL filter only narrows the candidates (a host name appears as such
  // in a URL); the exact decision is the domain's own host parsing. IP
  // literals can be spelt several ways in a URL, so they are not narrowed.
  const isName = /^[a-z0-9_.-]+$/.test(domain) && !/^[\d.]+$/.test(domain);
  let query = db.selectFrom(table).select(["id", "actor_id"]);
  if (isName) query = query.where(sql<boolean>`strpos(lower(actor_id), ${domain}) > 0`);
  const rows = await query.execute();
  const ids = rows.filter((row) => hostOf(row.actor_id) === domain).map((row) => row.id);
  for (let i = 0; i < ids.length; i += DELETE_CHUNK) {
    await db
      .deleteFrom(table)
      .where("id", "in", ids.slice(i, i + DELETE_CHUNK))
      .execute();
  }
  return ids.length;
}
