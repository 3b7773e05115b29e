/**
 * Inbox throughput: signed Create activities from many senders, POSTed to the
 * shared inbox of a running instance. A request counts when the instance has
 * answered 202: by then our screen (size, signature headers, digest, policy,
 * signature, key ownership) has passed it and the activity sits in the
 * persistent queue, so it survives a crash. The processed rate counts until
 * the worker has handled every one of them as well.
 *
 * Requests are signed (draft-cavage, RSA-2048) before the clock starts and
 * sent by a separate client process (bench/lib/load-client.ts), so neither
 * the senders' signing nor their HTTP client runs in the instance's process;
 * they still share this machine's cores, as PostgreSQL does. The senders'
 * actor documents are served from one loopback server on 127.0.0.2 (fetched
 * once during the warm-up, then cached by the instance).
 *
 * After each run the benchmark waits for the instance's queue to empty (its
 * worker drops these activities: no group here follows the senders). The SQL
 * statements and the instance process's CPU time are counted from the first
 * request to that moment, and reported per accepted activity.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { generateCryptoKeyPair, signRequest } from "@fedify/fedify";
import { CryptographicKey, Person } from "@fedify/vocab";
import { openWatched, StatementCounter, waitForEmptyQueue } from "./lib/database.ts";
import { createGroup, createStore, type Engine, onCleanup, startInstance } from "./lib/instance.ts";
import { LoadClient, type PreparedRequest, prepare } from "./lib/load-client-parent.ts";

export interface InboxOptions {
  readonly engines: readonly Engine[];
  readonly requests: number;
  readonly runs: number;
  readonly senders: number;
  readonly inFlight: number;
  readonly warmup: number;
  readonly targetPerSecond: number;
}

export const DEFAULT_INBOX: InboxOptions = {
  engines: ["pglite", "postgres"],
  // About 9 s of arrivals per run: long enough that a worker slower than
  // the web shows as a growing backlog, not hidden by the burst.
  requests: 6000,
  runs: 3,
  senders: 8,
  inFlight: 32,
  warmup: 200,
  targetPerSecond: 400,
};

export interface InboxRun {
  readonly accepted: number;
  readonly statuses: ReadonlyMap<number, number>;
  readonly seconds: number;
  /** Accepted (202) per second, first request to last answer. */
  readonly perSecond: number;
  /** Last answer → the instance's queue empty again, ms (the worker's backlog). */
  readonly drainMs: number;
  /** Accepted per second from the first request until the worker had handled them all. */
  readonly processedPerSecond: number;
  /** SQL statements the instance sent, first request → queue empty, per accepted activity. */
  readonly statementsPerActivity: number;
  readonly statementsByLabel: ReadonlyMap<string, number>;
  /** The instance process's CPU time (user + system), same span, per accepted activity. */
  readonly cpuMsPerActivity: number;
}

export interface InboxResult {
  readonly engine: Engine;
  readonly runs: InboxRun[];
}

export interface Sender {
  readonly id: URL;
  readonly keyId: URL;
  readonly privateKey: CryptoKey;
}

/** Remote actors on 127.0.0.2 whose documents an instance can fetch. */
export async function startSenders(count: number): Promise<{ origin: string; senders: Sender[] }> {
  const documents = new Map<string, string>();
  const server = createServer((req, res) => {
    const document = documents.get(req.url ?? "");
    if (document === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": "application/activity+json" }).end(document);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.2", resolve));
  onCleanup(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const origin = `http://127.0.0.2:${(server.address() as AddressInfo).port}`;
  const senders: Sender[] = [];
  for (let i = 0; i < count; i++) {
    const keys = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
    const id = new URL(`${origin}/users/u${i}`);
    const keyId = new URL(`${id.href}#main-key`);
    const person = new Person({
      id,
      preferredUsername: `u${i}`,
      inbox: new URL(`${id.href}/inbox`),
      publicKey: new CryptographicKey({ id: keyId, owner: id, publicKey: keys.publicKey }),
    });
    documents.set(`/users/u${i}`, JSON.stringify(await person.toJsonLd()));
    senders.push({ id, keyId, privateKey: keys.privateKey });
  }
  return { origin, senders };
}

let sequence = 0;

/**
 * A Create of a public Note by `sender`, signed for `inbox` (draft-cavage, as
 * Mastodon signs, unless `spec` says RFC 9421, as Fedify signs).
 */
export async function signedCreate(
  inbox: URL,
  origin: string,
  sender: Sender,
  options: { date?: Date; tamper?: boolean; spec?: "rfc9421" } = {},
): Promise<PreparedRequest> {
  const n = sequence++;
  const body = JSON.stringify({
    "@context": "https://www.w3.org/ns/activitystreams",
    id: `${origin}/activities/${n}`,
    type: "Create",
    actor: sender.id.href,
    to: "https://www.w3.org/ns/activitystreams#Public",
    object: {
      id: `${origin}/notes/${n}`,
      type: "Note",
      attributedTo: sender.id.href,
      content: `Need number ${n}: water for the shelter on 5th street.`,
    },
  });
  const headers: Record<string, string> = { "content-type": "application/activity+json" };
  if (options.date !== undefined) headers.date = options.date.toUTCString();
  const signed = await signRequest(
    new Request(inbox, { method: "POST", headers, body }),
    sender.privateKey,
    sender.keyId,
    {
      spec: options.spec ?? "draft-cavage-http-signatures-12",
      ...(options.date !== undefined
        ? { currentTime: Temporal.Instant.fromEpochMilliseconds(options.date.getTime()) }
        : {}),
    },
  );
  return prepare(signed);
}

function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

export async function runInbox(
  options: InboxOptions,
  log: (line: string) => void,
): Promise<InboxResult[]> {
  const { origin, senders } = await startSenders(options.senders);
  const client = new LoadClient();
  const results: InboxResult[] = [];
  try {
    for (const engine of options.engines) {
      const store = await createStore(engine);
      const counter = new StatementCounter();
      const database = await openWatched(store, [counter]);
      const closeDatabase = onCleanup(() => database.base.close());
      try {
        // Every sender is on one host, far beyond what one real server sends:
        // the budget is counted as usual but never runs out, so the capacity
        // measured includes its cost (FEDERATION.md, budgets per remote host).
        const instance = await startInstance(store, {
          database: database.handle,
          budgets: { inbox: { capacity: 1e9, perSecond: 1e9 } },
        });
        try {
          await createGroup(instance, "inbox");
          const inbox = new URL("/inbox", instance.config.origin);
          const batch = (count: number) =>
            Promise.all(
              Array.from({ length: count }, (_, i) =>
                signedCreate(inbox, origin, senders[i % senders.length]!),
              ),
            );
          // Warm-up: JIT, the senders' actor documents fetched and cached.
          await client.load(await batch(options.warmup));
          await client.fire(options.inFlight);
          await waitForEmptyQueue(database.base.db, 60_000);

          const runs: InboxRun[] = [];
          for (let r = 0; r < options.runs; r++) {
            await client.load(await batch(options.requests));
            const statementsBefore = counter.count;
            const labelsBefore = counter.snapshot();
            const cpuBefore = process.cpuUsage();
            const fired = await client.fire(options.inFlight);
            const drainStarted = performance.now();
            const drained = await waitForEmptyQueue(database.base.db, 120_000);
            const drainMs = performance.now() - drainStarted;
            const cpu = cpuMs(process.cpuUsage(cpuBefore));
            const accepted = fired.statuses.get(202) ?? 0;
            const seconds = fired.elapsedMs / 1000;
            const run: InboxRun = {
              accepted,
              statuses: fired.statuses,
              seconds,
              perSecond: accepted / seconds,
              drainMs: drained ? drainMs : Number.NaN,
              processedPerSecond: drained ? accepted / (seconds + drainMs / 1000) : Number.NaN,
              statementsPerActivity: (counter.count - statementsBefore) / Math.max(1, accepted),
              statementsByLabel: counter.since(labelsBefore),
              cpuMsPerActivity: cpu / Math.max(1, accepted),
            };
            runs.push(run);
            log(
              `  [${engine}] run ${r + 1}: ${accepted}/${options.requests} accepted in ${seconds.toFixed(2)} s = ${run.perSecond.toFixed(0)}/s; ` +
                `queue empty ${drained ? `${drainMs.toFixed(0)} ms later` : "NOT within 120 s"}; ` +
                `${run.statementsPerActivity.toFixed(1)} SQL statements and ${run.cpuMsPerActivity.toFixed(2)} ms CPU per activity; ` +
                `statuses ${JSON.stringify(Object.fromEntries(fired.statuses))}` +
                (fired.error ? `; error: ${fired.error}` : ""),
            );
          }
          results.push({ engine, runs });
        } finally {
          await instance.stop();
        }
      } finally {
        closeDatabase();
        await database.base.close();
        await store.dispose();
      }
    }
  } finally {
    await client.stop();
  }
  return results;
}
