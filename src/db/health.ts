import { type Kysely, sql } from "kysely";
import type { Database } from "./database.ts";

/** How long the health check waits for the database before saying it does not answer. */
export const DATABASE_PROBE_TIMEOUT_MS = 2000;

/**
 * Whether the database answers a trivial query within `timeoutMs`. A probe
 * still under way is shared by the callers that come while it is young:
 * while the database hangs, repeated health checks do not pile up queries
 * (at most one new one per timeout), and each still answers within the
 * timeout. A query that never settles — a driver can lose one when its
 * connection breaks — is left behind once it is older than the timeout, so
 * the check sees the database come back.
 */
export function createDatabaseProbe(
  ping: () => Promise<unknown>,
  timeoutMs: number = DATABASE_PROBE_TIMEOUT_MS,
): () => Promise<boolean> {
  let inFlight: { readonly answer: Promise<boolean>; startedAt: number; expired: boolean } | null =
    null;
  return () => {
    const now = performance.now();
    // `expired` as well as the age: a timer may fire a fraction of a
    // millisecond before performance.now() says the timeout has passed.
    if (inFlight === null || inFlight.expired || now - inFlight.startedAt >= timeoutMs) {
      const probe = {
        answer: ping().then(
          () => true,
          () => false,
        ),
        startedAt: now,
        expired: false,
      };
      inFlight = probe;
      void probe.answer.finally(() => {
        if (inFlight === probe) inFlight = null;
      });
    }
    const current = inFlight;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => {
        // A caller gave up on this query, which it joined no earlier than
        // the query started: it is past its timeout, and the next check
        // sends a new one.
        current.expired = true;
        resolve(false);
      }, timeoutMs);
    });
    const { answer } = current;
    return Promise.race([answer, timedOut]).finally(() => clearTimeout(timer));
  };
}

/** The probe of the application's database: `SELECT 1`, which needs no table and takes no lock. */
export function probeDatabase(db: Kysely<Database>, timeoutMs?: number): () => Promise<boolean> {
  return createDatabaseProbe(() => sql`SELECT 1`.execute(db), timeoutMs);
}
