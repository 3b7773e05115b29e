/**
 * Group commit for one kind of statement: the calls made while a statement
 * of this kind is on its way, or in the same turn of the event loop, are
 * answered together by the next single statement.
 *
 * Inbox work arrives as many small, concurrent requests (a worker runs
 * several handlers at once, each reading and writing one key). On PGlite
 * each statement costs about a millisecond of this process's CPU whatever
 * its size, and on PostgreSQL a round trip; one statement for a batch costs
 * little more than one for a single row. Nobody waits longer than one
 * statement plus one turn of the event loop, and each caller still resolves
 * only once its own row is read or committed, so nothing is acknowledged
 * before it is durable.
 */
export class StatementBatcher<Item, Result> {
  readonly #run: (items: readonly Item[]) => Promise<readonly Result[]>;
  readonly #maxBatch: number;
  readonly #weight: (item: Item) => number;
  #pending: { item: Item; resolve(result: Result): void; reject(error: unknown): void }[] = [];
  #draining = false;

  /**
   * `run` answers a batch with one result per item, in order; a failure
   * rejects every call of that batch (and only of that batch). A batch
   * weighs at most `maxBatch` (each item weighs 1 unless `weight` says
   * otherwise; an item heavier than that goes alone), and items are never
   * split across batches.
   */
  constructor(
    run: (items: readonly Item[]) => Promise<readonly Result[]>,
    maxBatch = 500,
    weight: (item: Item) => number = () => 1,
  ) {
    if (!Number.isSafeInteger(maxBatch) || maxBatch <= 0) {
      throw new RangeError(`maxBatch must be a positive integer, got ${maxBatch}`);
    }
    this.#run = run;
    this.#maxBatch = maxBatch;
    this.#weight = weight;
  }

  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      if (!this.#draining) {
        this.#draining = true;
        // After the I/O callbacks of this turn: requests that arrived
        // together submit together.
        setImmediate(() => void this.#drain());
      }
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        let count = 0;
        let weight = 0;
        for (const call of this.#pending) {
          const next = this.#weight(call.item);
          if (count > 0 && weight + next > this.#maxBatch) break;
          count++;
          weight += next;
        }
        const batch = this.#pending.splice(0, count);
        try {
          const results = await this.#run(batch.map((call) => call.item));
          if (results.length !== batch.length) {
            throw new Error(`A batch of ${batch.length} got ${results.length} results`);
          }
          for (const [i, call] of batch.entries()) call.resolve(results[i] as Result);
        } catch (error) {
          for (const call of batch) call.reject(error);
        }
      }
    } finally {
      this.#draining = false;
    }
  }
}
