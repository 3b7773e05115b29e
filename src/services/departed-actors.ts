import type { Kysely } from "kysely";
import type { Database } from "../db/database.ts";
import { type ForgottenActorRows, forgetActorRows } from "../db/departed-actors.repo.ts";

export interface DepartedActorDeps {
  db: Kysely<Database>;
  clock: () => Temporal.Instant;
}

/**
 * Forgets a remote actor that was deleted: it sent `Delete` of itself, or
 * its own server answers 410 Gone for its document. Everything it left (as
 * a follower, a followed group, the other side of pledges and answers, the
 * author of stored copies) goes in one transaction. Forgetting an actor we
 * never knew changes nothing.
 */
export async function forgetDepartedActor(
  deps: DepartedActorDeps,
  actorId: URL,
): Promise<ForgottenActorRows> {
  const now = deps.clock();
  return await deps.db.transaction().execute((trx) => forgetActorRows(trx, actorId.href, now));
}
