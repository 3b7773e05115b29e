import type { Kysely, Selectable } from "kysely";
import type { SmsGateway, SmsProtocol } from "../domain/sms-gateway.ts";
import type { Database, SmsGatewaysTable } from "./database.ts";
import { forgetErasedRecipients } from "./outbound-messages.repo.ts";
import { toDate } from "./time.ts";

function toGateway(row: Selectable<SmsGatewaysTable>): SmsGateway {
  return {
    id: row.id,
    groupId: row.group_id,
    protocol: row.protocol,
    phoneNumber: row.phone_number,
    keyword: row.keyword,
    webhookSecret: row.webhook_secret,
    apiUrl: row.api_url,
    apiUsername: row.api_username,
    apiPassword: row.api_password,
  };
}

export async function findSmsGatewayOfGroup(
  db: Kysely<Database>,
  groupId: string,
): Promise<SmsGateway | null> {
  const row = await db
    .selectFrom("sms_gateways")
    .selectAll()
    .where("group_id", "=", groupId)
    .executeTakeFirst();
  return row === undefined ? null : toGateway(row);
}

export async function findSmsGatewayById(
  db: Kysely<Database>,
  id: string,
): Promise<SmsGateway | null> {
  const row = await db
    .selectFrom("sms_gateways")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  return row === undefined ? null : toGateway(row);
}

/** What public pages say of a collective's gateway: its number and keyword, never its secrets. */
export async function findSmsChannelOfGroup(
  db: Kysely<Database>,
  groupId: string,
): Promise<{ phoneNumber: string; keyword: string; protocol: SmsProtocol } | null> {
  const row = await db
    .selectFrom("sms_gateways")
    .select(["phone_number", "keyword", "protocol"])
    .where("group_id", "=", groupId)
    .executeTakeFirst();
  return row === undefined
    ? null
    : { phoneNumber: row.phone_number, keyword: row.keyword, protocol: row.protocol };
}

/** Every collective's gateway, for the admin's list of collectives (no secrets). */
export async function listSmsChannels(
  db: Kysely<Database>,
): Promise<Map<string, { phoneNumber: string; keyword: string; protocol: SmsProtocol }>> {
  const rows = await db
    .selectFrom("sms_gateways")
    .select(["group_id", "phone_number", "keyword", "protocol"])
    .execute();
  return new Map(
    rows.map((r) => [
      r.group_id,
      { phoneNumber: r.phone_number, keyword: r.keyword, protocol: r.protocol },
    ]),
  );
}

/** The gateways texts to `phoneNumber` over `protocol` may be for (one per keyword). */
export async function findSmsGatewaysByNumber(
  db: Kysely<Database>,
  protocol: SmsProtocol,
  phoneNumber: string,
): Promise<SmsGateway[]> {
  const rows = await db
    .selectFrom("sms_gateways")
    .selectAll()
    .where("protocol", "=", protocol)
    .where("phone_number", "=", phoneNumber)
    .orderBy("keyword")
    .limit(100)
    .execute();
  return rows.map(toGateway);
}

/**
 * Sets the group's gateway, keeping its id when it had one; "taken" when
 * another collective already receives this number and keyword.
 */
export async function saveSmsGateway(
  db: Kysely<Database>,
  gateway: SmsGateway,
  at: Temporal.Instant,
): Promise<{ ok: true; gateway: SmsGateway } | { ok: false; reason: "taken" }> {
  return db.transaction().execute(async (trx) => {
    const clash = await trx
      .selectFrom("sms_gateways")
      .select("id")
      .where("protocol", "=", gateway.protocol)
      .where("phone_number", "=", gateway.phoneNumber)
      .where("keyword", "=", gateway.keyword)
      .where("group_id", "!=", gateway.groupId)
      .executeTakeFirst();
    if (clash !== undefined) return { ok: false, reason: "taken" } as const;
    const values = {
      protocol: gateway.protocol,
      phone_number: gateway.phoneNumber,
      keyword: gateway.keyword,
      webhook_secret: gateway.webhookSecret,
      api_url: gateway.apiUrl,
      api_username: gateway.apiUsername,
      api_password: gateway.apiPassword,
      updated_at: toDate(at),
    };
    const row = await trx
      .insertInto("sms_gateways")
      .values({ id: gateway.id, group_id: gateway.groupId, ...values, created_at: toDate(at) })
      .onConflict((oc) => oc.column("group_id").doUpdateSet(values))
      .returningAll()
      .executeTakeFirstOrThrow();
    return { ok: true, gateway: toGateway(row) } as const;
  });
}

export async function deleteSmsGateway(db: Kysely<Database>, groupId: string): Promise<boolean> {
  const result = await db
    .deleteFrom("sms_gateways")
    .where("group_id", "=", groupId)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** The request a gateway's message already made, or null. */
export async function findSmsInbound(
  db: Kysely<Database>,
  gatewayId: string,
  messageId: string,
): Promise<string | null> {
  const row = await db
    .selectFrom("sms_inbound")
    .select("intake_request_id")
    .where("gateway_id", "=", gatewayId)
    .where("message_id", "=", messageId)
    .executeTakeFirst();
  return row?.intake_request_id ?? null;
}

/** Records the message; false when it was recorded already (two deliveries at once). */
export async function insertSmsInbound(
  db: Kysely<Database>,
  row: { gatewayId: string; messageId: string; intakeRequestId: string; at: Temporal.Instant },
): Promise<boolean> {
  const inserted = await db
    .insertInto("sms_inbound")
    .values({
      gateway_id: row.gatewayId,
      message_id: row.messageId,
      intake_request_id: row.intakeRequestId,
      received_at: toDate(row.at),
    })
    .onConflict((oc) => oc.columns(["gateway_id", "message_id"]).doNothing())
    .returning("message_id")
    .executeTakeFirst();
  return inserted !== undefined;
}

/**
 * Where texts about a request go: the number it came from (while its
 * contact is kept) through the gateway it came in by, or the number its
 * sender left on the web form for updates; null when neither.
 */
export async function findSmsRouteOfRequest(
  db: Kysely<Database>,
  request: { readonly id: string; readonly contact: string },
): Promise<{ gateway: SmsGateway; recipient: string } | null> {
  const inbound = await db
    .selectFrom("sms_inbound")
    .innerJoin("sms_gateways", "sms_gateways.id", "sms_inbound.gateway_id")
    .selectAll("sms_gateways")
    .where("sms_inbound.intake_request_id", "=", request.id)
    .limit(1)
    .executeTakeFirst();
  if (inbound !== undefined) {
    return request.contact === ""
      ? null
      : { gateway: toGateway(inbound), recipient: request.contact };
  }
  const subscribed = await db
    .selectFrom("sms_subscriptions")
    .innerJoin("sms_gateways", "sms_gateways.id", "sms_subscriptions.gateway_id")
    .selectAll("sms_gateways")
    .select("sms_subscriptions.phone_number as subscribed_number")
    .where("sms_subscriptions.intake_request_id", "=", request.id)
    .executeTakeFirst();
  if (subscribed === undefined) return null;
  const { subscribed_number, ...gateway } = subscribed;
  return { gateway: toGateway(gateway), recipient: subscribed_number };
}

export async function insertSmsSubscription(
  db: Kysely<Database>,
  row: { intakeRequestId: string; gatewayId: string; phoneNumber: string; at: Temporal.Instant },
): Promise<void> {
  await db
    .insertInto("sms_subscriptions")
    .values({
      intake_request_id: row.intakeRequestId,
      gateway_id: row.gatewayId,
      phone_number: row.phoneNumber,
      created_at: toDate(row.at),
    })
    .onConflict((oc) => oc.column("intake_request_id").doNothing())
    .execute();
}

/**
 * The texts to a person whose contact was erased keep no number either:
 * their outbox rows lose the recipient, and one still waiting is not sent.
 * Returns how many rows changed.
 */
export async function forgetErasedSmsRecipients(db: Kysely<Database>): Promise<number> {
  await db
    .deleteFrom("sms_subscriptions")
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom("intake_requests")
          .select(eb.lit(1).as("one"))
          .whereRef("intake_requests.id", "=", "sms_subscriptions.intake_request_id")
          .where("intake_requests.contact_erased_at", "is not", null),
      ),
    )
    .execute();
  return forgetErasedRecipients(db, "sms");
}

/** Whether a signed message id was refused before (a replay of it is refused again). */
export async function wasSmsRefusedBefore(
  db: Kysely<Database>,
  gatewayIds: readonly string[],
  messageId: string,
): Promise<boolean> {
  const row = await db
    .selectFrom("sms_seen_messages")
    .select("message_id")
    .where("gateway_id", "in", [...gatewayIds])
    .where("message_id", "=", messageId)
    .executeTakeFirst();
  return row !== undefined;
}

export async function rememberRefusedSms(
  db: Kysely<Database>,
  gatewayId: string,
  messageId: string,
  at: Temporal.Instant,
): Promise<void> {
  await db
    .insertInto("sms_seen_messages")
    .values({ gateway_id: gatewayId, message_id: messageId, seen_at: toDate(at) })
    .onConflict((oc) => oc.columns(["gateway_id", "message_id"]).doNothing())
    .execute();
}
