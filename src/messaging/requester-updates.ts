import type { Kysely, Transaction } from "kysely";
import type { Database } from "../db/database.ts";
import type { IntakeRequest } from "../domain/intake.ts";
import type { InstanceUrls } from "../urls.ts";
import { enqueueRequesterEmail } from "./requester-email.ts";
import { enqueueRequesterSms, type RequesterEvent } from "./requester-sms.ts";

/**
 * Tells a person who asked for help about a change of their request, by
 * every channel they gave: the number they texted from or left, the address
 * they left. Call in the transaction of the change: the messages exist
 * exactly when it does, each named by the request and the change.
 */
export async function enqueueRequesterUpdates(
  trx: Kysely<Database> | Transaction<Database>,
  urls: InstanceUrls,
  request: Pick<IntakeRequest, "id" | "contact" | "language">,
  groupName: string,
  event: RequesterEvent,
  at: Temporal.Instant,
): Promise<void> {
  await enqueueRequesterSms(trx, urls, request, groupName, event, at);
  await enqueueRequesterEmail(trx, urls, request, groupName, event, at);
}

/**
 * After a need's status moved (in the transaction that moved it): tells the
 * person whose request it was published from that it is pledged or fulfilled,
 * by text and by email as they asked.
 */
export async function enqueueProposalStatusUpdates(
  trx: Transaction<Database>,
  urls: InstanceUrls | undefined,
  proposal: { readonly id: string; readonly status: string },
  previousStatus: string,
  at: Temporal.Instant,
): Promise<void> {
  if (urls === undefined || proposal.status === previousStatus) return;
  if (proposal.status !== "pledged" && proposal.status !== "fulfilled") return;
  const row = await trx
    .selectFrom("intake_requests")
    .innerJoin("groups", "groups.id", "intake_requests.group_id")
    .select(["intake_requests.id", "intake_requests.contact", "intake_requests.language"])
    .select("groups.name as group_name")
    .where("intake_requests.proposal_id", "=", proposal.id)
    .limit(1)
    .executeTakeFirst();
  if (row === undefined) return;
  await enqueueRequesterUpdates(
    trx,
    urls,
    row,
    row.group_name,
    { kind: proposal.status, proposalId: proposal.id },
    at,
  );
}
