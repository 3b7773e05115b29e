import type { Kysely } from "kysely";
import type { Database } from "./database.ts";
import { toDate, toInstant } from "./time.ts";

export interface BackoffState {
  readonly failures: number;
  readonly lastFailureAt: Temporal.Instant;
  readonly nextAttemptAt: Temporal.Instant;
}

export async function findBackoff(
  db: Kysely<Database>,
  username: string,
): Promise<BackoffState | null> {
  const row = await db
    .selectFrom("sign_in_backoff")
    .select(["failures", "last_failure_at", "next_attempt_at"])
    .where("username", "=", username)
    .executeTakeFirst();
  return row === undefined
    ? null
    : {
        failures: row.failures,
        lastFailureAt: toInstant(row.last_failure_at),
        nextAttemptAt: toInstant(row.next_attempt_at),
      };
}

/**
 * Takes the username's next attempt: moves `next_attempt_at` to `until` if
 * it is due. One conditional statement, so of concurrent attempts (in any
 * process) only one gets the slot.
 */
export async function claimAttempt(
  db: Kysely<Database>,
  username: string,
  now: Temporal.Instant,
  until: Temporal.Instant,
): Promise<boolean> {
  const result = await db
    .updateTable("sign_in_backoff")
    .set({ next_attempt_at: toDate(until) })
    .where("username", "=", username)
    .where("next_attempt_at", "<=", toDate(now))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Counts a failure (a run older than `forgetBefore` starts again at 1) and
 * returns the count in the run.
 */
export async function countFailure(
  db: Kysely<Database>,
  username: string,
  now: Temporal.Instant,
  forgetBefore: Temporal.Instant,
): Promise<number> {
  const row = await db
    .insertInto("sign_in_backoff")
    .values({
      username,
      failures: 1,
      last_failure_at: toDate(now),
      next_attempt_at: toDate(now),
    })
    .onConflict((oc) =>
      oc.column("username").doUpdateSet((eb) => ({
        failures: eb
          .case()
          .when("sign_in_backoff.last_failure_at", "<", toDate(forgetBefore))
          .then(1)
          .else(eb("sign_in_backoff.failures", "+", 1))
          .end(),
        last_failure_at: toDate(now),
      })),
    )
    .returning("failures")
    .executeTakeFirstOrThrow();
  return row.failures;
}

/** When the username may be tried next (never earlier than already set). */
export async function setNextAttempt(
  db: Kysely<Database>,
  username: string,
  at: Temporal.Instant,
): Promise<void> {
  await db
    .updateTable("sign_in_backoff")
    .set({ next_attempt_at: toDate(at) })
    .where("username", "=", username)
    .where("next_attempt_at", "<", toDate(at))
    .execute();
}

export async function clearBackoff(db: Kysely<Database>, username: string): Promise<void> {
  await db.deleteFrom("sign_in_backoff").where("username", "=", username).execute();
}

/** Forgets runs of failures that ended before `before` (usernames typed once and never again). */
export async function deleteOldBackoff(
  db: Kysely<Database>,
  before: Temporal.Instant,
): Promise<void> {
  await db.deleteFrom("sign_in_backoff").where("last_failure_at", "<", toDate(before)).execute();
}
