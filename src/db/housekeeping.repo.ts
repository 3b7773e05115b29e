import { type Kysely, type RawBuilder, sql } from "kysely";
import type { Database } from "./database.ts";

/**
 * Deletes the rows of `table` that `where` matches, at most `batchSize` per
 * statement, until none is left. Each batch is a statement (and transaction)
 * of its own, so a prune of millions of rows never holds their locks, nor
 * the embedded database's one connection, for long; what other work waits
 * gets its turn between batches. Rows are picked by `ctid` (a TID scan, any
 * table, no key needed), and `where` is checked again on delete in case a
 * row changed in between. Returns how many were deleted.
 */
export async function deleteInBatches(
  db: Kysely<Database>,
  table: keyof Database & string,
  where: RawBuilder<unknown>,
  batchSize: number,
): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await sql<{ deleted: string | number }>`
      WITH gone AS (
        DELETE FROM ${sql.table(table)}
        WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${sql.table(table)} WHERE ${where} LIMIT ${batchSize}))
          AND ${where}
        RETURNING 1)
      SELECT count(*) AS deleted FROM gone`.execute(db);
    const deleted = Number(result.rows[0]?.deleted ?? 0);
    total += deleted;
    if (deleted < batchSize) return total;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
