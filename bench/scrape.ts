/**
 * What a Prometheus scrape of `/metrics` costs while the instance takes
 * inbox traffic. Target: ≤ 5 ms.
 *
 * A client in another process (bench/lib/load-client.ts) sends signed
 * `Create`s to the shared inbox, `inFlight` at a time; meanwhile this
 * process scrapes `/metrics` one request after another, as a Prometheus
 * server would (only far more often), and times each from request to the
 * last byte. The same number of scrapes with no traffic gives the floor.
 * The instance runs in this process, so a scrape under load also waits for
 * the event loop behind the inbox requests: the figure is what a scraper
 * sees, not the collection alone.
 */

import { type Sender, signedCreate, startSenders } from "./inbox.ts";
import { createGroup, createStore, type Engine, startInstance } from "./lib/instance.ts";
import { LoadClient } from "./lib/load-client-parent.ts";

export interface ScrapeOptions {
  readonly engines: readonly Engine[];
  /** Inbox requests per run (the load lasts as long as they take). */
  readonly requests: number;
  readonly runs: number;
  readonly inFlight: number;
  readonly targetMs: number;
}

export const DEFAULT_SCRAPE: ScrapeOptions = {
  engines: ["pglite", "postgres"],
  requests: 3000,
  runs: 3,
  inFlight: 8,
  targetMs: 5,
};

export interface ScrapeResult {
  readonly engine: Engine;
  /** Scrape times with no traffic, ms. */
  readonly idleMs: number[];
  /** Scrape times while the inbox load ran, ms, all runs together. */
  readonly loadedMs: number[];
  /** Inbox requests answered per second during the loaded runs. */
  readonly inboxPerSecond: number[];
  readonly bytes: number;
  /** Answers to the inbox requests other than 202, over all runs. */
  readonly unexpected: Map<number, number>;
}

const METRICS_TOKEN = "bench-metrics-token-0123456789";

export async function runScrape(
  options: ScrapeOptions,
  log: (line: string) => void,
): Promise<ScrapeResult[]> {
  const { origin, senders } = await startSenders(8);
  const client = new LoadClient();
  const results: ScrapeResult[] = [];
  try {
    for (const engine of options.engines) {
      const store = await createStore(engine);
      try {
        const instance = await startInstance(
          store,
          // Every sender is on one host: its budget must not be what is measured.
          { budgets: { inbox: { capacity: 1e9, perSecond: 1e9 } } },
          { METRICS_TOKEN },
        );
        try {
          await createGroup(instance, "scrape");
          const inbox = new URL("/inbox", instance.config.origin);
          const metricsUrl = new URL("/metrics", instance.config.origin);
          let bytes = 0;
          const scrape = async (): Promise<number> => {
            const started = performance.now();
            const response = await fetch(metricsUrl, {
              headers: { authorization: `Bearer ${METRICS_TOKEN}` },
            });
            const text = await response.text();
            const elapsed = performance.now() - started;
            if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
            bytes = Buffer.byteLength(text);
            return elapsed;
          };
          const batch = (n: number, from: readonly Sender[]) =>
            Promise.all(
              Array.from({ length: n }, (_, i) =>
                signedCreate(inbox, origin, from[i % from.length]!),
              ),
            );
          // Warm-up: JIT, the senders' keys fetched and cached, the scrape path compiled.
          await client.load(await batch(300, senders));
          await client.fire(options.inFlight);
          for (let i = 0; i < 20; i++) await scrape();

          const idleMs: number[] = [];
          for (let i = 0; i < 200; i++) idleMs.push(await scrape());

          const loadedMs: number[] = [];
          const inboxPerSecond: number[] = [];
          const unexpected = new Map<number, number>();
          for (let r = 0; r < options.runs; r++) {
            await client.load(await batch(options.requests, senders));
            let firing = true;
            const fired = client.fire(options.inFlight).finally(() => {
              firing = false;
            });
            while (firing) loadedMs.push(await scrape());
            const done = await fired;
            inboxPerSecond.push(((done.statuses.get(202) ?? 0) * 1000) / done.elapsedMs);
            for (const [status, n] of done.statuses) {
              if (status !== 202) unexpected.set(status, (unexpected.get(status) ?? 0) + n);
            }
          }
          log(
            `  [${engine}] ${loadedMs.length} scrapes under load, ${idleMs.length} idle; ${bytes} bytes each`,
          );
          results.push({ engine, idleMs, loadedMs, inboxPerSecond, bytes, unexpected });
        } finally {
          await instance.stop();
        }
      } finally {
        await store.dispose();
      }
    }
  } finally {
    await client.stop();
  }
  return results;
}
