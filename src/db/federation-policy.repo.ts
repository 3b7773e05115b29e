import { type Kysely, type Selectable, sql } from "kysely";
import {
  type DomainPolicyEntry,
  type FederationMode,
  hostOf,
  isHostWithin,
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

/**
 * The policy's version: a counter every change bumps in its own transaction
 * (bumpPolicyVersion), so one single-row read tells whether a cached policy
 * is still the current one. "0" when the settings row is missing.
 */
export async function getPolicyVersion(db: Kysely<Database>): Promise<string> {
  const row = await db
    .selectFrom("federation_settings")
    .select(sql<string>`version::text`.as("version"))
    .where("id", "=", 1)
    .executeTakeFirst();
  return row?.version ?? "0";
}

/** Counts one more change of the policy; run it in the change's transaction. */
export async function bumpPolicyVersion(db: Kysely<Database>): Promise<void> {
  await sql`
    INSERT INTO federation_settings (id, mode, updated_at, version) VALUES (1, 'open', now(), 1)
    ON CONFLICT (id) DO UPDATE SET version = federation_settings.version + 1`.execute(db);
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

/** What a block deletes along with it. */
export interface RemovedWithHost {
  readonly followers: number;
  readonly following: number;
  /** Needs, offers and posts received from the host (their shares go with them). */
  readonly remoteProposals: number;
  /** Shares by actors on the host of objects from elsewhere. */
  readonly remoteShares: number;
  /** The host's groups' participations in incidents (ours and the copies we hold). */
  readonly incidentParticipants: number;
  /** Copies of incidents the host's groups opened (our groups' participations go with them). */
  readonly incidentCopies: number;
}

/**
 * Deletes everything the instance holds from or with `domain` (a canonical
 * host, see normalizeDomain), matching hosts as a block does (the domain and
 * every subdomain; IP literals exactly):
 * the followers (of any group) and follows whose actor is there, the needs,
 * offers and posts received from there (by author or by object id), and the
 * shares its actors made, its groups' participations in incidents and the
 * copies of incidents they opened. Run it in the transaction that adds the
 * block, so the content leaves every network feed and board when the block
 * commits.
 */
export async function removeEverythingWithHost(
  db: Kysely<Database>,
  domain: string,
): Promise<RemovedWithHost> {
  return {
    followers: await removeOnHost(db, "followers", "id", ["actor_id"], domain),
    following: await removeOnHost(db, "following", "id", ["actor_id"], domain),
    // First, so that shares on the host of content from the host are not counted twice.
    remoteProposals: await removeOnHost(
      db,
      "remote_proposals",
      "id",
      ["origin_actor_id", "object_id"],
      domain,
    ),
    // By sharer: a share's other columns belong to the object, not to its sharer.
    remoteShares: await removeOnHost(
      db,
      "remote_shares",
      "sharer_actor_id",
      ["sharer_actor_id"],
      domain,
    ),
    incidentParticipants: await removeOnHost(
      db,
      "incident_participants",
      "actor_id",
      ["actor_id"],
      domain,
    ),
    incidentCopies: await removeIncidentCopiesOnHost(db, domain),
  };
}

/** Copies only: an incident this instance opened is never another host's to take down. */
async function removeIncidentCopiesOnHost(db: Kysely<Database>, domain: string): Promise<number> {
  const copies = await db
    .selectFrom("incidents")
    .select(["id", "owner_actor_id"])
    .where("group_id", "is", null)
    .execute();
  const ids = copies.filter((row) => onHost(row.owner_actor_id, domain)).map((row) => row.id);
  for (let i = 0; i < ids.length; i += DELETE_CHUNK) {
    await db
      .deleteFrom("incidents")
      .where("id", "in", ids.slice(i, i + DELETE_CHUNK))
      .execute();
  }
  return ids.length;
}

const DELETE_CHUNK = 1000;

/** Whether a URL's host is `domain` or, as a block covers them, one of its subdomains. */
function onHost(url: string, domain: string): boolean {
  const host = hostOf(url);
  return host !== null && isHostWithin(host, domain);
}

type HostTable =
  | "followers"
  | "following"
  | "remote_proposals"
  | "remote_shares"
  | "incident_participants";

async function removeOnHost(
  db: Kysely<Database>,
  table: HostTable,
  /** The column the rows are deleted by. */
  key: "id" | "sharer_actor_id" | "actor_id",
  urlColumns: readonly ("actor_id" | "origin_actor_id" | "object_id" | "sharer_actor_id")[],
  domain: string,
): Promise<number> {
  // The SQL filter only narrows the candidates (a host name appears as such
  // in a URL, a subdomain's too); the exact decision is the domain's own host parsing. IP
  // literals can be spelt several ways in a URL, so they are not narrowed.
  const isName = /^[a-z0-9_.-]+$/.test(domain) && !/^[\d.]+$/.test(domain);
  // biome-ignore lint/suspicious/noExplicitAny: the columns differ by table; each exists in its table.
  const tableDb = db as Kysely<any>;
  let query = tableDb.selectFrom(table).select([key, ...urlColumns]);
  if (isName) {
    query = query.where((eb) =>
      eb.or(
        urlColumns.map((column) => sql<boolean>`strpos(lower(${sql.ref(column)}), ${domain}) > 0`),
      ),
    );
  }
  const rows = (await query.execute()) as Record<string, string>[];
  const keys = rows
    .filter((row) => urlColumns.some((column) => onHost(row[column]!, domain)))
    .map((row) => row[key]!);
  for (let i = 0; i < keys.length; i += DELETE_CHUNK) {
    await tableDb
      .deleteFrom(table)
      .where(key, "in", keys.slice(i, i + DELETE_CHUNK))
      .execute();
  }
  return keys.length;
}
