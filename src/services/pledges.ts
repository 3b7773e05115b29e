import type { Kysely } from "kysely";
import type { Database } from "../db/database.ts";
import { insertPendingMessage } from "../db/pending-messages.repo.ts";
import { insertPledge, markPledgeWithdrawn } from "../db/pledges.repo.ts";
import type { Group } from "../domain/group.ts";
import { newId } from "../domain/ids.ts";
import { type Pledge, type PledgeState, withdrawPledge } from "../domain/pledge.ts";
import { checkPledgeQuantity, type QuantityRefusal, refusalOf } from "../domain/pledging.ts";
import type { Quantity } from "../domain/proposal.ts";
import type { StoredRemoteProposal } from "../domain/remote-proposal.ts";
import type { Clock, ConversationGateway } from "./ports.ts";
import { relayPendingMessages } from "./responses.ts";

export interface PledgeDeps {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
  readonly conversations: ConversationGateway;
  /** Where the Offer a pledge sends is identified (our origin). */
  readonly offerIdOf: (pledgeId: string) => URL;
}

export type PledgeError =
  | { type: "not-open"; status: string }
  | { type: "not-a-proposal" }
  | ({ type: "quantity" } & QuantityRefusal);

export type PledgeResult = { ok: true; pledge: Pledge } | { ok: false; error: PledgeError };

/**
 * One of our groups answers another instance's need or offer. The quantity
 * is checked against what that instance last said is still needed (unit,
 * FEP-0837 step, no excess unless allowed); the Offer goes out through the
 * outbox, so an accepted request is never lost to a crash.
 */
export async function pledgeToRemoteProposal(
  deps: PledgeDeps,
  group: Group,
  target: StoredRemoteProposal,
  input: { quantity: Quantity | null; message: string; allowExcess: boolean },
): Promise<PledgeResult> {
  if (target.kind !== "proposal") return { ok: false, error: { type: "not-a-proposal" } };
  if (target.status !== "open" && target.status !== "pledged") {
    return { ok: false, error: { type: "not-open", status: target.status } };
  }
  const check = checkPledgeQuantity(
    {
      unit: target.quantity?.unit ?? null,
      remaining: target.remainingAmount,
      step: target.quantityStep,
    },
    input.quantity,
    { allowExcess: input.allowExcess },
  );
  if (!check.ok) {
    return {
      ok: false,
      error: { type: "quantity", ...refusalOf(check) },
    };
  }
  const now = deps.clock();
  const id = newId(now.epochMilliseconds);
  const pledge: Pledge = {
    id,
    groupId: group.id,
    objectId: target.objectId,
    // FEP-0837 recommends `#primary`; the object's own intent id wins.
    intentId: target.intentId ?? `${target.objectId}#primary`,
    targetActorId: target.originActorId,
    offerId: deps.offerIdOf(id).href,
    quantity: input.quantity,
    message: input.message,
    state: "pending",
    reason: null,
    agreementId: null,
    createdAt: now,
    updatedAt: now,
  };
  await deps.db.transaction().execute(async (trx) => {
    await insertPledge(trx, pledge);
    await insertPendingMessage(trx, "pledge", pledge.id, now);
  });
  try {
    await relayPendingMessages(deps);
  } catch {
    // Committed: the periodic relay sends it.
  }
  return { ok: true, pledge };
}

export type WithdrawPledgeResult =
  | { ok: true; pledge: Pledge }
  | { ok: false; error: { type: "already-ended"; state: PledgeState } | { type: "conflict" } };

/**
 * Our group takes its pledge back, pending or accepted: the pledge is
 * withdrawn and its `Undo` written to the outbox in one transaction. The
 * proposer gives the amount back and every copy of the need follows.
 */
export async function withdrawPledgeAsCoordinator(
  deps: Pick<PledgeDeps, "db" | "clock" | "conversations">,
  pledge: Pledge,
): Promise<WithdrawPledgeResult> {
  const now = deps.clock();
  const result = withdrawPledge(pledge, now);
  if (!result.ok) return { ok: false, error: { type: "already-ended", state: result.state } };
  const stored = await deps.db.transaction().execute(async (trx) => {
    if (!(await markPledgeWithdrawn(trx, pledge.id, pledge.state, now))) return false;
    await insertPendingMessage(trx, "pledge-withdrawn", pledge.id, now);
    return true;
  });
  if (!stored) return { ok: false, error: { type: "conflict" } };
  try {
    await relayPendingMessages(deps);
  } catch {
    // Committed: the periodic relay sends it.
  }
  return { ok: true, pledge: result.pledge };
}
