/**
 * Fan-out: how long a new need takes to reach every follower's server.
 *
 * One group with 1,000 accepted followers on 100 loopback "servers" (10 each,
 * sharing the server's shared inbox), inserted directly into `followers`.
 * The servers are plain node:http servers in a child process
 * (bench/inbox-farm.ts) that verify each POST's HTTP signature with Fedify.
 *
 * A run: POST /api/v1/groups/{handle}/needs, then wait until every one of
 * the 100 inboxes has received a verified Create for that need. Latency is
 * from just before the API call to the arrival of the last inbox's Create
 * (the moment its request reached the inbox server; only requests whose
 * signature then verified count). Each configuration (engine × queue
 * concurrency) starts a fresh instance on the same database and sends
 * `warmupRuns` unmeasured needs first, and the first configuration of each
 * engine `FIRST_CONFIGURATION_EXTRA_WARMUP` more: the API call and the
 * deliveries only settle after about eight needs in a fresh process (with a
 * single warm-up need, whichever configuration ran first came out 10–30 %
 * slower). After each run the benchmark waits until the instance's queue is
 * empty, so runs do not overlap.
 *
 * The instance runs on a handle opened like the server opens DATA_DIR /
 * DATABASE_URL, with a Kysely plugin counting the SQL statements it sends.
 */
import { type ChildProcess, fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { type Kysely, sql } from "kysely";
import type { Database } from "../src/db/database.ts";
import { startRemoteActor } from "../test/helpers/remote-actor.ts";
import type { FarmCommand, FarmEvent } from "./inbox-farm.ts";
import { openWatched, StatementCounter, waitForEmptyQueue } from "./lib/database.ts";
import {
  type BenchInstance,
  createGroup,
  createStore,
  type Engine,
  groupId,
  onCleanup,
  startInstance,
} from "./lib/instance.ts";
import { max, median, min, ms, sleep, wallClockMs } from "./lib/stats.ts";

export interface FanoutOptions {
  readonly engines: readonly Engine[];
  /**
   * Queue concurrencies to try (deliveries in flight per worker); null = whatever the
   * server uses when `queue.concurrency` is not given (QUEUE_CONCURRENCY in src/server.ts).
   * The first one is the baseline the others are compared with; 4 is the default of
   * KyselyMessageQueue itself.
   */
  readonly concurrencies: readonly (number | null)[];
  readonly runs: number;
  /** Unmeasured needs per configuration before the measured runs. */
  readonly warmupRuns: number;
  readonly servers: number;
  readonly followersPerServer: number;
  /** Give up on a run after this long. */
  readonly timeoutMs: number;
  /** The latency this size must stay under, if it has a target. */
  readonly targetMs: number | null;
  /**
   * Followers' servers, among `servers`, that accept connections and never
   * answer. The latency is then until the last healthy server, and each run
   * also measures how long a signed Follow sent meanwhile waits to be handled.
   */
  readonly hanging: number;
}

/** Extra warm-up needs for the first configuration of each engine (see above). */
export const FIRST_CONFIGURATION_EXTRA_WARMUP = 5;

export const DEFAULT_FANOUT: FanoutOptions = {
  engines: ["pglite", "postgres"],
  concurrencies: [4, 16, 32],
  runs: 5,
  warmupRuns: 3,
  servers: 100,
  followersPerServer: 10,
  timeoutMs: 60_000,
  targetMs: null,
  hanging: 0,
};

/**
 * The scale: 10,000 followers on 500 servers, within 5 s. Only the
 * server's own queue concurrency by default (each configuration costs about
 * a minute here).
 */
export const LARGE_FANOUT: FanoutOptions = {
  ...DEFAULT_FANOUT,
  concurrencies: [null],
  servers: 500,
  followersPerServer: 20,
  targetMs: 5_000,
};

export interface FanoutRun {
  /** API call → last inbox's verified Create arrived, ms. */
  readonly latencyMs: number;
  /** API call → its 201 response, ms. */
  readonly apiMs: number;
  /** API call → first inbox's Create arrived, ms. */
  readonly firstMs: number;
  /** Inboxes that got the Create within the timeout. */
  readonly inboxesReached: number;
  /** Verified Create deliveries for this need, duplicates included (expected: one per inbox). */
  readonly deliveries: number;
  /** SQL statements the instance sent from the API call until its queue was empty again. */
  readonly statements: number;
  /** The same, by "verb table". */
  readonly statementsByLabel: ReadonlyMap<string, number>;
  /** Whether the queue was empty again within the timeout (deliveries to hanging servers aside). */
  readonly drained: boolean;
  /** With hanging servers: a signed Follow's POST answered → its follower row written, ms. */
  readonly inboundMs: number | null;
}

export interface FanoutResult {
  readonly engine: Engine;
  readonly concurrency: number | null;
  readonly runs: FanoutRun[];
  /** Key fetches the inbox servers made during this configuration (expected 1). */
  keyFetches: number;
  readonly rejected: string[];
  readonly signatureSpecs: Set<string>;
}

export function concurrencyLabel(concurrency: number | null): string {
  return concurrency === null ? "server default" : String(concurrency);
}

// ---------------------------------------------------------------------------

interface Arrival {
  readonly arrivedAt: number;
  readonly verifiedAt: number;
}

/** The parent's side of bench/inbox-farm.ts. */
export class InboxFarm {
  readonly child: ChildProcess;
  ports: readonly number[] = [];
  hangingPorts: readonly number[] = [];
  /** Object id → port → first verified Create. */
  readonly firstCreate = new Map<string, Map<number, Arrival>>();
  /** Object id → verified Create deliveries, duplicates included. */
  readonly createCount = new Map<string, number>();
  readonly rejected: string[] = [];
  readonly specs = new Set<string>();
  #waiters: (() => void)[] = [];
  #resetWaiter: ((keyFetches: number) => void) | null = null;
  #exited = false;

  constructor() {
    const script = fileURLToPath(new URL("./inbox-farm.ts", import.meta.url));
    this.child = fork(script, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.child.on("message", (event: FarmEvent) => this.#onEvent(event));
    this.child.on("exit", () => {
      this.#exited = true;
      this.#notify();
    });
  }

  #onEvent(event: FarmEvent): void {
    switch (event.type) {
      case "ready":
        this.ports = event.ports;
        this.hangingPorts = event.hangingPorts;
        break;
      case "delivery": {
        this.specs.add(event.spec);
        if (event.activityType !== "Create" || event.object === null) break;
        this.createCount.set(event.object, (this.createCount.get(event.object) ?? 0) + 1);
        let perPort = this.firstCreate.get(event.object);
        if (perPort === undefined) {
          perPort = new Map();
          this.firstCreate.set(event.object, perPort);
        }
        if (!perPort.has(event.port)) {
          perPort.set(event.port, { arrivedAt: event.arrivedAt, verifiedAt: event.verifiedAt });
        }
        break;
      }
      case "rejected":
        this.rejected.push(`:${event.port} ${event.reason}`);
        break;
      case "reset-done":
        this.#resetWaiter?.(event.keyFetches);
        this.#resetWaiter = null;
        break;
    }
    this.#notify();
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  #changed(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async start(servers: number, hanging = 0): Promise<void> {
    this.#send({ type: "start", servers, hanging });
    const deadline = Date.now() + 30_000;
    while (this.ports.length === 0) {
      if (this.#exited || Date.now() > deadline) throw new Error("The inbox farm did not start");
      await this.#changed(1000);
    }
  }

  /** Waits until `count` inboxes have a verified Create of `object`; false on timeout. */
  async waitForCreate(object: string, count: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if ((this.firstCreate.get(object)?.size ?? 0) >= count) return true;
      const left = deadline - Date.now();
      if (left <= 0 || this.#exited) return false;
      await this.#changed(left);
    }
  }

  /** Forgets the cached key; resolves to the key fetches made since the last reset. */
  reset(): Promise<number> {
    return new Promise((resolve) => {
      this.#resetWaiter = resolve;
      this.#send({ type: "reset" });
    });
  }

  async stop(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.#send({ type: "stop" });
    await Promise.race([exited, sleep(5000)]);
    if (!this.#exited) this.child.kill();
  }

  #send(command: FarmCommand): void {
    this.child.send(command);
  }
}

// ---------------------------------------------------------------------------

export async function insertFollowers(
  db: Kysely<Database>,
  group: string,
  ports: readonly number[],
  perServer: number,
): Promise<number> {
  const now = new Date();
  const rows = ports.flatMap((port) =>
    Array.from({ length: perServer }, (_, i) => {
      const actor = `http://127.0.0.1:${port}/users/member${i}`;
      return {
        id: randomUUID(),
        group_id: group,
        actor_id: actor,
        inbox_url: `${actor}/inbox`,
        shared_inbox_url: `http://127.0.0.1:${port}/inbox`,
        follow_activity_id: `http://127.0.0.1:${port}/follows/${randomUUID()}`,
        state: "accepted" as const,
        created_at: now,
        updated_at: now,
      };
    }),
  );
  for (let i = 0; i < rows.length; i += 500) {
    await db
      .insertInto("followers")
      .values(rows.slice(i, i + 500))
      .execute();
  }
  return rows.length;
}

let needSequence = 0;

export async function postNeed(
  instance: BenchInstance,
  handle: string,
): Promise<{ objectId: string; apiMs: number; startedAt: number }> {
  const startedAt = wallClockMs();
  const response = await instance.api("POST", `/api/v1/groups/${handle}/needs`, {
    title: `Fan-out need ${++needSequence}`,
    description: "Twenty litres of drinking water for the community kitchen.",
    category: "water",
    quantity: { amount: 20, unit: "litre" },
    urgency: "high",
  });
  const apiMs = wallClockMs() - startedAt;
  if (response.status !== 201) {
    throw new Error(`POST need failed: HTTP ${response.status} ${await response.text()}`);
  }
  const need = (await response.json()) as { objectId: string };
  return { objectId: need.objectId, apiMs, startedAt };
}

/**
 * Waits until the queue holds nothing but deliveries to `hanging` ports
 * (those stay: retried, then parked). With none, until it is empty.
 */
async function waitForHealthyQueue(
  db: Kysely<Database>,
  hanging: readonly number[],
  timeoutMs: number,
): Promise<boolean> {
  if (hanging.length === 0) return waitForEmptyQueue(db, timeoutMs);
  const stuck = hanging.map((port) => `127.0.0.1:${port}`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await db
      .selectFrom("fedify_queue")
      .select("id")
      .where((eb) => eb.or([eb("destination", "is", null), eb("destination", "not in", stuck)]))
      .limit(1)
      .executeTakeFirst();
    if (row === undefined) return true;
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
}

/** A person elsewhere whose Follow must be handled promptly, whatever the deliveries do. */
interface InboundProbe {
  /** Sends a signed Follow of the group; resolves to ms until it was handled. */
  follow(timeoutMs: number): Promise<number>;
}

async function startInboundProbe(
  db: Kysely<Database>,
  instance: BenchInstance,
  handle: string,
): Promise<InboundProbe & { close(): Promise<void> }> {
  const actor = await startRemoteActor("127.0.0.2");
  const target = {
    id: new URL(`${instance.config.origin.href}groups/${handle}`),
    inbox: new URL(`${instance.config.origin.href}groups/${handle}/inbox`),
  };
  return {
    async follow(timeoutMs) {
      const started = wallClockMs();
      const follow = await actor.follow(target);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const row = await db
          .selectFrom("followers")
          .select("id")
          .where("follow_activity_id", "=", follow.id!.href)
          .executeTakeFirst();
        if (row !== undefined) return wallClockMs() - started;
        if (Date.now() > deadline) return Number.NaN;
        await sleep(5);
      }
    },
    close: () => actor.close(),
  };
}

interface RunContext {
  readonly instance: BenchInstance;
  /** The instance's database without the statement counter, for the benchmark's own queries. */
  readonly db: Kysely<Database>;
  readonly counter: StatementCounter;
  readonly farm: InboxFarm;
  readonly handle: string;
  readonly options: FanoutOptions;
  readonly probe: InboundProbe | null;
}

async function oneRun(context: RunContext): Promise<FanoutRun> {
  const { instance, db, counter, farm, handle, options, probe } = context;
  if (!(await waitForHealthyQueue(db, farm.hangingPorts, options.timeoutMs))) {
    throw new Error("The delivery queue did not drain before the run");
  }
  const statementsBefore = counter.count;
  const labelsBefore = counter.snapshot();
  const { objectId, apiMs, startedAt } = await postNeed(instance, handle);
  // While the deliveries are under way (the hanging servers holding theirs).
  const inbound = probe === null ? null : probe.follow(options.timeoutMs);
  await farm.waitForCreate(objectId, options.servers, options.timeoutMs);
  const arrivals = [...(farm.firstCreate.get(objectId)?.values() ?? [])].map((a) => a.arrivedAt);
  const inboundMs = inbound === null ? null : await inbound;
  // Outside the measurement: let the last deletes (and any duplicate) happen.
  const drained = await waitForHealthyQueue(db, farm.hangingPorts, options.timeoutMs);
  return {
    latencyMs: arrivals.length === options.servers ? max(arrivals) - startedAt : Number.NaN,
    apiMs,
    firstMs: min(arrivals) - startedAt,
    inboxesReached: arrivals.length,
    deliveries: farm.createCount.get(objectId) ?? 0,
    statements: counter.count - statementsBefore,
    statementsByLabel: counter.since(labelsBefore),
    drained,
    inboundMs,
  };
}

export async function runFanout(
  options: FanoutOptions,
  log: (line: string) => void,
): Promise<FanoutResult[]> {
  const results: FanoutResult[] = [];
  const farm = new InboxFarm();
  const unregister = onCleanup(() => farm.stop());
  try {
    await farm.start(options.servers, options.hanging);
    log(`  ${options.servers} inbox servers on 127.0.0.1:${min([...farm.ports])}…`);

    for (const engine of options.engines) {
      const store = await createStore(engine);
      try {
        let handle: string | null = null;
        for (const concurrency of options.concurrencies) {
          const counter = new StatementCounter();
          const database = await openWatched(store, [counter]);
          const closeDatabase = onCleanup(() => database.base.close());
          let instance: BenchInstance | null = null;
          try {
            instance = await startInstance(store, {
              database: database.handle,
              ...(concurrency === null ? {} : { queue: { concurrency } }),
            });
            const db = database.base.db;
            if (handle === null) {
              handle = await createGroup(instance, "fanout");
              const count = await insertFollowers(
                db,
                await groupId(instance, handle),
                [...farm.ports, ...farm.hangingPorts],
                options.followersPerServer,
              );
              // PostgreSQL's autovacuum would analyze the new rows within a minute.
              if (engine === "postgres") {
                await sql`ANALYZE`.execute(db);
              }
              log(
                `  [${engine}] group @${handle} with ${count} accepted followers` +
                  (engine === "postgres" ? "; ANALYZE" : ""),
              );
            }
            await farm.reset();
            const rejectedBefore = farm.rejected.length;
            farm.specs.clear();
            const probe =
              options.hanging > 0 ? await startInboundProbe(db, instance, handle) : null;
            const closeProbe = probe === null ? () => {} : onCleanup(() => probe.close());
            const context: RunContext = { instance, db, counter, farm, handle, options, probe };

            // Warm-up: JIT, connection pools, the inboxes' key fetch.
            const warmups =
              options.warmupRuns +
              (concurrency === options.concurrencies[0] ? FIRST_CONFIGURATION_EXTRA_WARMUP : 0);
            for (let i = 0; i < warmups; i++) {
              const warm = await oneRun(context);
              if (warm.inboxesReached < options.servers) {
                log(`  warm-up reached only ${warm.inboxesReached}/${options.servers} inboxes`);
              }
            }

            const runs: FanoutRun[] = [];
            for (let i = 0; i < options.runs; i++) {
              const run = await oneRun(context);
              runs.push(run);
              log(
                `  [${engine}, concurrency ${concurrencyLabel(concurrency)}] run ${i + 1}: ` +
                  `${ms(run.latencyMs)} ms to the last of ${run.inboxesReached} ${options.hanging > 0 ? "healthy " : ""}inboxes ` +
                  (run.inboundMs === null
                    ? ""
                    : `(a Follow meanwhile handled in ${ms(run.inboundMs)} ms) `) +
                  `(first after ${ms(run.firstMs)} ms, API ${ms(run.apiMs)} ms; ` +
                  `${run.deliveries} deliveries, ${run.statements} SQL statements` +
                  `${run.drained ? "" : ", queue NOT drained"})`,
              );
            }
            const result: FanoutResult = {
              engine,
              concurrency,
              runs,
              keyFetches: 0,
              rejected: farm.rejected.slice(rejectedBefore),
              signatureSpecs: new Set(farm.specs),
            };
            results.push(result);
            closeProbe();
            await probe?.close();
            await instance.stop();
            result.keyFetches = await farm.reset();
          } finally {
            await instance?.stop();
            closeDatabase();
            await database.base.close();
          }
        }
      } finally {
        await store.dispose();
      }
    }
  } finally {
    unregister();
    await farm.stop();
  }
  return results;
}

/** Mean statements per need by label over a configuration's runs, most frequent first. */
export function statementBreakdown(result: {
  readonly runs: readonly { readonly statementsByLabel: ReadonlyMap<string, number> }[];
}): [string, number][] {
  const totals = new Map<string, number>();
  for (const run of result.runs) {
    for (const [label, n] of run.statementsByLabel) totals.set(label, (totals.get(label) ?? 0) + n);
  }
  return [...totals]
    .map(([label, n]): [string, number] => [label, n / result.runs.length])
    .sort((a, b) => b[1] - a[1]);
}

/** Per engine, the concurrency with the lowest median latency. */
export function bestConcurrency(results: readonly FanoutResult[]): Map<Engine, FanoutResult> {
  const best = new Map<Engine, FanoutResult>();
  for (const result of results) {
    const current = best.get(result.engine);
    const latency = median(result.runs.map((r) => r.latencyMs));
    if (current === undefined || latency < median(current.runs.map((r) => r.latencyMs))) {
      best.set(result.engine, result);
    }
  }
  return best;
}
