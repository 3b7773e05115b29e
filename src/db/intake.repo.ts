import type { Kysely, Selectable } from "kysely";
import type { CategorySlug } from "../domain/categories.ts";
import type { IntakeRequest, IntakeState } from "../domain/intake.ts";
import type { Unit } from "../domain/units.ts";
import type { Database, IntakeRequestsTable } from "./database.ts";
import { toDate, toInstant, toInstantOrNull } from "./time.ts";

function toIntakeRequest(row: Selectable<IntakeRequestsTable>): IntakeRequest {
  return {
    id: row.id,
    groupId: row.group_id,
    purpose: row.purpose,
    title: row.title,
    description: row.description,
    category: row.category as CategorySlug,
    quantity:
      row.quantity_amount === null || row.quantity_unit === null
        ? null
        : { amount: trimDecimal(row.quantity_amount), unit: row.quantity_unit as Unit },
    place: row.location_name,
    urgency: row.urgency,
    neededBy: toInstantOrNull(row.expires_at),
    neededOn: row.expires_on == null ? null : Temporal.PlainDate.from(row.expires_on),
    contact: row.contact,
    language: row.language,
    state: row.state,
    proposalId: row.proposal_id,
    createdAt: toInstant(row.created_at),
    updatedAt: toInstant(row.updated_at),
    declineReason: row.decline_reason ?? null,
    declineNote: row.decline_note ?? "",
    contactErasedAt: toInstantOrNull(row.contact_erased_at ?? null),
    partnerLinkId: row.partner_link_id ?? null,
    placePoint:
      row.location_latitude == null || row.location_longitude == null
        ? null
        : { latitude: row.location_latitude, longitude: row.location_longitude },
  };
}

function trimDecimal(value: string): string {
  return value.includes(".") ? value.replace(/\.?0+$/, "") : value;
}

/**
 * Stores a new request; false when one with the same status token is
 * already stored (the same form sent twice: its token derives from the
 * form's), which is then left as it is.
 */
export async function insertIntakeRequest(
  db: Kysely<Database>,
  request: IntakeRequest,
  statusTokenDigest: string,
): Promise<boolean> {
  const result = await db
    .insertInto("intake_requests")
    .values({
      id: request.id,
      group_id: request.groupId,
      purpose: request.purpose,
      title: request.title,
      description: request.description,
      category: request.category,
      quantity_amount: request.quantity?.amount ?? null,
      quantity_unit: request.quantity?.unit ?? null,
      location_name: request.place,
      urgency: request.urgency,
      expires_at: request.neededBy === null ? null : toDate(request.neededBy),
      expires_on: request.neededOn?.toString() ?? null,
      contact: request.contact,
      language: request.language,
      state: request.state,
      status_token_digest: statusTokenDigest,
      created_at: toDate(request.createdAt),
      updated_at: toDate(request.updatedAt),
      partner_link_id: request.partnerLinkId ?? null,
      location_latitude: request.placePoint?.latitude ?? null,
      location_longitude: request.placePoint?.longitude ?? null,
    })
    .onConflict((oc) => oc.column("status_token_digest").doNothing())
    .returning("id")
    .executeTakeFirst();
  return result !== undefined;
}

/** Declines a waiting request with its reason; false if it was no longer waiting (a race). */
export async function declineIntakeRequest(
  db: Kysely<Database>,
  id: string,
  reason: NonNullable<IntakeRequest["declineReason"]>,
  note: string,
  at: Temporal.Instant,
): Promise<boolean> {
  const result = await db
    .updateTable("intake_requests")
    .set({ state: "declined", decline_reason: reason, decline_note: note, updated_at: toDate(at) })
    .where("id", "=", id)
    .where("state", "=", "new")
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Erases the contact of every request that ended before `endedBefore`:
 * declined or withdrawn then, or published as a need or offer that was
 * fulfilled, closed or expired then (or deleted). Returns how many.
 */
export async function eraseEndedContacts(
  db: Kysely<Database>,
  endedBefore: Temporal.Instant,
  now: Temporal.Instant,
): Promise<number> {
  const cutoff = toDate(endedBefore);
  const result = await db
    .updateTable("intake_requests")
    .set({ contact: "", contact_erased_at: toDate(now) })
    .where("contact_erased_at", "is", null)
    .where((eb) =>
      eb.or([
        eb.and([eb("state", "in", ["declined", "withdrawn"]), eb("updated_at", "<=", cutoff)]),
        eb.and([
          eb("state", "=", "published"),
          eb.or([
            eb.exists(
              eb
                .selectFrom("proposals")
                .select(eb.lit(1).as("one"))
                .whereRef("proposals.id", "=", "intake_requests.proposal_id")
                .where((p) =>
                  p.or([
                    p.and([
                      p("proposals.status", "in", ["fulfilled", "closed", "expired"]),
                      p("proposals.updated_at", "<=", cutoff),
                    ]),
                    p("proposals.deleted_at", "<=", cutoff),
                  ]),
                ),
            ),
            eb.and([
              eb("updated_at", "<=", cutoff),
              eb.not(
                eb.exists(
                  eb
                    .selectFrom("proposals")
                    .select(eb.lit(1).as("one"))
                    .whereRef("proposals.id", "=", "intake_requests.proposal_id"),
                ),
              ),
            ]),
          ]),
        ]),
      ]),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * When the request ended, for its erasure date: the decline or withdrawal,
 * or the end of the need or offer it was published as; null while going on.
 */
export async function findIntakeEnd(
  db: Kysely<Database>,
  request: IntakeRequest,
): Promise<Temporal.Instant | null> {
  if (request.state === "declined" || request.state === "withdrawn") return request.updatedAt;
  if (request.state !== "published" || request.proposalId === null) return null;
  const proposal = await db
    .selectFrom("proposals")
    .select(["status", "updated_at", "deleted_at"])
    .where("id", "=", request.proposalId)
    .executeTakeFirst();
  if (proposal === undefined) return request.updatedAt;
  if (proposal.deleted_at !== null) return toInstant(proposal.deleted_at);
  return ["fulfilled", "closed", "expired"].includes(proposal.status)
    ? toInstant(proposal.updated_at)
    : null;
}

export async function findIntakeRequestByTokenDigest(
  db: Kysely<Database>,
  digest: string,
): Promise<IntakeRequest | null> {
  const row = await db
    .selectFrom("intake_requests")
    .selectAll()
    .where("status_token_digest", "=", digest)
    .executeTakeFirst();
  return row === undefined ? null : toIntakeRequest(row);
}

export async function findIntakeRequest(
  db: Kysely<Database>,
  groupId: string,
  id: string,
): Promise<IntakeRequest | null> {
  const row = await db
    .selectFrom("intake_requests")
    .selectAll()
    .where("id", "=", id)
    .where("group_id", "=", groupId)
    .executeTakeFirst();
  return row === undefined ? null : toIntakeRequest(row);
}

export async function setIntakeProposal(
  db: Kysely<Database>,
  id: string,
  proposalId: string,
): Promise<void> {
  await db
    .updateTable("intake_requests")
    .set({ proposal_id: proposalId })
    .where("id", "=", id)
    .execute();
}

/** Moves a request from one state to another; false if it was no longer in `from` (a race). */
export async function changeIntakeState(
  db: Kysely<Database>,
  id: string,
  from: IntakeState,
  to: IntakeState,
  at: Temporal.Instant,
): Promise<boolean> {
  const result = await db
    .updateTable("intake_requests")
    .set({ state: to, updated_at: toDate(at) })
    .where("id", "=", id)
    .where("state", "=", from)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** How many requests wait untriaged (`new`) in each of these groups; a group with none is absent. */
export async function countNewIntakeRequests(
  db: Kysely<Database>,
  groupIds: readonly string[],
): Promise<Map<string, number>> {
  if (groupIds.length === 0) return new Map();
  const rows = await db
    .selectFrom("intake_requests")
    .select((eb) => ["group_id", eb.fn.countAll<string>().as("count")])
    .where("group_id", "in", groupIds)
    .where("state", "=", "new")
    .groupBy("group_id")
    .execute();
  return new Map(rows.map((r) => [r.group_id, Number(r.count)]));
}

/** A group's queue, oldest first: the first to ask is the first to be read. */
export async function listIntakeRequests(
  db: Kysely<Database>,
  groupId: string,
  state: IntakeState,
  limit: number,
): Promise<IntakeRequest[]> {
  const rows = await db
    .selectFrom("intake_requests")
    .selectAll()
    .where("group_id", "=", groupId)
    .where("state", "=", state)
    .orderBy("created_at")
    .orderBy("id")
    .limit(limit)
    .execute();
  return rows.map(toIntakeRequest);
}

/** A group's requests sent between two instants, in any state (at most `limit`, newest first). */
export async function listIntakeRequestsSentBetween(
  db: Kysely<Database>,
  groupId: string,
  from: Temporal.Instant,
  to: Temporal.Instant,
  limit: number,
): Promise<IntakeRequest[]> {
  const rows = await db
    .selectFrom("intake_requests")
    .selectAll()
    .where("group_id", "=", groupId)
    .where("created_at", ">=", toDate(from))
    .where("created_at", "<=", toDate(to))
    .orderBy("created_at", "desc")
    .limit(limit)
    .execute();
  return rows.map(toIntakeRequest);
}

/**
 * The language the public form was shown in when a person asked for (or
 * offered) what became this need or offer, or what it continues; null when
 * coordinators wrote it themselves. Scoped to the group, whose index keeps
 * the look-up small.
 */
export async function findIntakeLanguage(
  db: Kysely<Database>,
  groupId: string,
  proposalIds: readonly string[],
): Promise<string | null> {
  if (proposalIds.length === 0) return null;
  const row = await db
    .selectFrom("intake_requests")
    .select("language")
    .where("group_id", "=", groupId)
    .where("proposal_id", "in", [...proposalIds])
    .orderBy("created_at", "desc")
    .executeTakeFirst();
  return row?.language ?? null;
}
