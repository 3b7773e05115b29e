import type { Kysely } from "kysely";
import type { Database } from "../db/database.ts";

const running = new Map<string, WeakMap<Kysely<Database>, Promise<void>>>();

/**
 * Empties a transactional outbox: hands its rows to `send`, oldest first,
 * removing each only once it is sent (queued), so rows left by a crash go
 * out on the next pass. One pass per outbox and database at a time within a
 * process (callers arriving meanwhile wait for it and then run their own);
 * across processes a row may be sent twice, which receivers absorb because
 * activity ids are deterministic.
 */
export async function drainOutbox<T extends { readonly id: string }>(
  db: Kysely<Database>,
  outbox: string,
  io: {
    list(limit: number): Promise<T[]>;
    send(item: T): Promise<void>;
    remove(id: string): Promise<void>;
  },
): Promise<void> {
  let passes = running.get(outbox);
  if (passes === undefined) {
    passes = new WeakMap();
    running.set(outbox, passes);
  }
  for (let pass = passes.get(db); pass; pass = passes.get(db)) {
    await pass.catch(() => {});
  }
  const pass = (async () => {
    try {
      for (;;) {
        const batch = await io.list(100);
        if (batch.length === 0) return;
        for (const item of batch) {
          await io.send(item);
          await io.remove(item.id);
        }
      }
    } finally {
      passes.delete(db);
    }
  })();
  passes.set(db, pass);
  await pass;
}
