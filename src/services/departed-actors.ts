import type { Kysely } from "kysely";
import type { Database } from "../db/database.ts";
import { type ForgottenActorRows, forgetActorRows } from "../db/departed-actors.repo.ts";
import { insertNotification } from "../db/notifications.repo.ts";

export interface DepartedActorDeps {
  db: Kysely<Database>;
  clock: () => Temporal.Instant;
}

/**
 * Forgets a remote actor that was deleted: it sent `Delete` of itself, or
 * its own server answers 410 Gone for its document. Everything it left (as
 * a follower, a followed group, the other side of pledges and answers, the
 * author of stored copies) goes in one transaction. Each group whose pending
 * pledge is thereby declined is told, as for any other declined pledge, in
 * the same transaction. Forgetting an actor we never knew changes nothing.
 */
export async function forgetDepartedActor(
  deps: DepartedActorDeps,
  actorId: URL,
): Promise<ForgottenActorRows> {
  const now = deps.clock();
  return await deps.db.transaction().execute(async (trx) => {
    const forgotten = await forgetActorRows(trx, actorId.href, now);
    for (const pledge of forgotten.rejectedPledges) {
      await insertNotification(
        trx,
        pledge.groupId,
        {
          kind: "pledge-answered",
          subjectId: pledge.id,
          message: { key: "pledge-declined-actor-gone" },
        },
        now,
      );
    }
    return forgotten;
  });
}
