import { getLogger } from "@logtape/logtape";
import type { Kysely } from "kysely";
import type { Database } from "../db/database.ts";
import { insertNotification } from "../db/notifications.repo.ts";
import { insertPendingMessage } from "../db/pending-messages.repo.ts";
import { insertPendingActivity, updateProposal } from "../db/proposals.repo.ts";
import { insertResponse, updateResponseAnswer } from "../db/responses.repo.ts";
import type { Group } from "../domain/group.ts";
import { newId } from "../domain/ids.ts";
import type { Proposal, Quantity } from "../domain/proposal.ts";
import {
  type AnswerError,
  acceptResponse,
  RESPONSE_LIMITS,
  type Response,
  rejectResponse,
  takesResponses,
} from "../domain/response.ts";
import { enqueueProposalStatusUpdates } from "../messaging/requester-updates.ts";
import type { InstanceUrls } from "../urls.ts";
import { relayPendingMessages } from "./message-relay.ts";
import type { Clock, ConversationGateway, ProposalPublisher } from "./ports.ts";
import { relayPendingActivities } from "./proposals.ts";
import { consumeRateLimit, type RateLimit } from "./rate-limit.ts";

const logger = getLogger(["bayanihan", "responses"]);

export interface ResponseDeps {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
  readonly publisher: ProposalPublisher;
  readonly conversations: ConversationGateway;
  /** For the links in texts to people who asked by SMS; absent: no texts are written. */
  readonly urls?: InstanceUrls;
}

export type AnswerResult =
  | { ok: true; proposal: Proposal; response: Response }
  | { ok: false; error: AnswerError | { type: "conflict" } };

/**
 * A coordinator accepts a response: in one transaction the response is
 * answered, the proposal's pledged amount and status move, its Update is
 * queued for every remote copy, and the answer to the responder is queued.
 * A concurrent change to either makes this a conflict, never a lost pledge.
 */
export async function acceptResponseAsCoordinator(
  deps: ResponseDeps,
  proposal: Proposal,
  response: Response,
  input: { quantity: Quantity | null; allowExcess: boolean },
): Promise<AnswerResult> {
  const now = deps.clock();
  const accepted = acceptResponse(proposal, response, input, now);
  if (!accepted.ok) return accepted;
  // Accepting one more helper on an already pledged need without a quantity
  // changes nothing that remote copies show: no Update for it.
  const changed =
    accepted.proposal.status !== proposal.status ||
    accepted.proposal.pledgedAmount !== proposal.pledgedAmount;
  const result = changed ? accepted : { ...accepted, proposal };
  const stored = await deps.db
    .transaction()
    .execute(async (trx) => {
      if (!(await updateResponseAnswer(trx, result.response))) return false;
      if (changed) {
        if (!(await updateProposal(trx, result.proposal, proposal.updatedAt))) {
          throw new Conflict();
        }
        await insertPendingActivity(trx, proposal.id, "update", result.proposal.updatedAt);
        await enqueueProposalStatusUpdates(trx, deps.urls, result.proposal, proposal.status, now);
      }
      if (response.source !== "local") {
        await insertPendingMessage(trx, "response-accepted", response.id, now);
      }
      return true;
    })
    .catch((error: unknown) => {
      if (error instanceof Conflict) return false;
      throw error;
    });
  if (!stored) return { ok: false, error: { type: "conflict" } };
  await relayAfterCommit(deps);
  return result;
}

export async function rejectResponseAsCoordinator(
  deps: ResponseDeps,
  proposal: Proposal,
  response: Response,
  reason: string | null,
): Promise<AnswerResult> {
  const now = deps.clock();
  const result = rejectResponse(response, reason, now);
  if (!result.ok) return result;
  const stored = await deps.db.transaction().execute(async (trx) => {
    if (!(await updateResponseAnswer(trx, result.response))) return false;
    if (response.source === "agreement") {
      await insertPendingMessage(trx, "response-rejected", response.id, now);
    }
    return true;
  });
  if (!stored) return { ok: false, error: { type: "conflict" } };
  await relayAfterCommit(deps);
  return { ok: true, proposal, response: result.response };
}

export type LocalResponseResult =
  | { ok: true; response: Response }
  | { ok: false; error: "proposal-ended" }
  | { ok: false; error: "rate-limited"; retryAfterSeconds: number };

/** "I can help" answers per client address: generous for people, a wall for floods. */
export const HELP_RATE_LIMIT: RateLimit = { name: "help", limit: 20, windowSeconds: 3600 };

/**
 * Someone on this instance answers ("I can help"): stored for the
 * coordinators with the private way to reach them, and a notification.
 */
export async function createLocalResponse(
  deps: { db: Kysely<Database>; clock: Clock },
  group: Group,
  proposal: Proposal,
  input: { content: string; contact: string | null; clientKey: string },
): Promise<LocalResponseResult> {
  if (!takesResponses(proposal)) return { ok: false, error: "proposal-ended" };
  const decision = await consumeRateLimit(deps, HELP_RATE_LIMIT, input.clientKey);
  if (!decision.allowed) {
    return { ok: false, error: "rate-limited", retryAfterSeconds: decision.retryAfterSeconds };
  }
  const now = deps.clock();
  const response: Response = {
    id: newId(now.epochMilliseconds),
    proposalId: proposal.id,
    source: "local",
    actorId: null,
    actorInboxUrl: null,
    actorName: null,
    activityId: null,
    content: input.content.slice(0, RESPONSE_LIMITS.content),
    quantity: null,
    acceptedAmount: null,
    contact: input.contact,
    state: "proposed",
    reason: null,
    agreementId: null,
    remoteUpdatedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  await deps.db.transaction().execute(async (trx) => {
    await insertResponse(trx, response);
    await insertNotification(
      trx,
      group.id,
      {
        kind: "response",
        subjectId: response.id,
        message: { key: "new-answer", title: proposal.title },
      },
      now,
    );
  });
  return { ok: true, response };
}

class Conflict extends Error {}

async function relayAfterCommit(deps: ResponseDeps): Promise<void> {
  try {
    await relayPendingActivities(deps);
    await relayPendingMessages(deps);
  } catch (error) {
    logger.warn("Messages will be queued later: {error}", { error });
  }
}

export { relayPendingMessages } from "./message-relay.ts";
