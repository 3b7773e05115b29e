/**
 * Memory: the resident memory of a real server process (`node src/main.ts`,
 * as `npm start` runs it; npm itself is not counted), per engine.
 *
 * The server runs with bench/lib/memory-probe.ts loaded (`--import`), which
 * answers over IPC with its RSS split into the database's WASM memory
 * (PGlite), the JS heap and the rest (code, native allocations). While a
 * load runs the benchmark samples every `sampleMs` and keeps the highest.
 *
 * Phases, one server process each where it says "restarted":
 *  1. idle after startup on an empty database (first start: PGlite runs
 *     initdb), `settleMs` after /healthz answers;
 *  2. the server stopped, `needs` needs and `followers` followers (on 100
 *     hosts) written straight into its database, plus `fanoutFollowers` on
 *     `fanoutHosts` hosts for a second collective; restarted, idle, then
 *     after `listRequests` needs-list pages;
 *  3. the inbox benchmark's load (bench/inbox.ts: signed Creates from 8
 *     senders, 32 in flight, from a client process), `inboxRounds` rounds of
 *     `inboxRequests`: the peak during each round and the RSS once the
 *     process has gone quiet again (CPU below 3 % for 3 s: the queue is
 *     drained; the same test for both engines, as the benchmark cannot read
 *     an embedded database another process holds);
 *  4. `fanoutNeeds` needs posted to the collective with `fanoutFollowers`
 *     followers, each delivered to every one of the `fanoutHosts` inbox
 *     servers (bench/inbox-farm.ts) before the next: the peak.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Kysely } from "kysely";
import { openPGlite, openPostgres } from "../src/db/connect.ts";
import type { Database } from "../src/db/database.ts";
import { InboxFarm, insertFollowers } from "./fanout.ts";
import { signedCreate, startSenders } from "./inbox.ts";
import {
  ADMIN_TOKEN,
  type BenchStore,
  clientFetch,
  createStore,
  type Engine,
  freePort,
  onCleanup,
} from "./lib/instance.ts";
import { LoadClient } from "./lib/load-client-parent.ts";
import type { MemorySample } from "./lib/memory-probe.ts";
import { sleep } from "./lib/stats.ts";
import { insertNeeds } from "./list.ts";

export interface MemoryOptions {
  readonly engines: readonly Engine[];
  readonly needs: number;
  readonly followers: number;
  readonly fanoutFollowers: number;
  readonly fanoutHosts: number;
  readonly listRequests: number;
  readonly inboxRequests: number;
  readonly inboxRounds: number;
  readonly inFlight: number;
  readonly fanoutNeeds: number;
  /** How long the server is left alone before an idle measurement. */
  readonly settleMs: number;
  readonly sampleMs: number;
  /** Options for the server's `node` after those of `npm start` (e.g. --max-old-space-size=200). */
  readonly nodeArgs: readonly string[];
}

export const DEFAULT_MEMORY: MemoryOptions = {
  engines: ["pglite", "postgres"],
  needs: 10_000,
  followers: 1_000,
  fanoutFollowers: 10_000,
  fanoutHosts: 500,
  listRequests: 200,
  inboxRequests: 6_000,
  inboxRounds: 5,
  inFlight: 32,
  fanoutNeeds: 3,
  settleMs: 30_000,
  sampleMs: 250,
  nodeArgs: [],
};

/** The targets, MB: idle and peak, per engine. */
export const MEMORY_TARGETS: Readonly<Record<Engine, { idle: number; peak: number }>> = {
  pglite: { idle: 250, peak: 400 },
  postgres: { idle: 150, peak: 300 },
};

export interface MemoryPhase {
  readonly name: string;
  /** At the end of the phase (idle phases) or at its highest (load phases). */
  readonly sample: MemorySample;
  readonly kind: "idle" | "peak";
}

export interface MemoryResult {
  readonly engine: Engine;
  readonly phases: MemoryPhase[];
  /** RSS once quiet after each inbox round, bytes. */
  readonly afterRounds: number[];
  readonly notes: string[];
}

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The node options of `npm start` (package.json: "node [options] src/main.ts"). */
export function startOptions(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
    scripts: { start: string };
  };
  const words = pkg.scripts.start.trim().split(/\s+/);
  if (words[0] !== "node" || words.at(-1) !== "src/main.ts") {
    throw new Error(`Unexpected start script: ${pkg.scripts.start}`);
  }
  return words.slice(1, -1);
}
const PROBE = fileURLToPath(new URL("./lib/memory-probe.ts", import.meta.url));

/** A server process with the memory probe loaded. */
export class ProbedServer {
  readonly child: ChildProcess;
  readonly origin: string;
  #waiting: { resolve(sample: MemorySample): void; reject(error: Error): void }[] = [];
  readonly #unregister: () => void;

  private constructor(child: ChildProcess, origin: string) {
    this.child = child;
    this.origin = origin;
    child.on("message", (message: MemorySample) => {
      if (message?.type !== "memory") return;
      const waiting = this.#waiting;
      this.#waiting = [];
      for (const waiter of waiting) waiter.resolve(message);
    });
    // A server that dies must fail the benchmark, not leave it waiting.
    child.once("exit", (code, signal) => {
      const waiting = this.#waiting;
      this.#waiting = [];
      for (const waiter of waiting) {
        waiter.reject(new Error(`The server exited (${code ?? signal})`));
      }
    });
    this.#unregister = onCleanup(() => this.stop());
  }

  static async start(
    store: BenchStore,
    port: number,
    nodeArgs: readonly string[],
  ): Promise<ProbedServer> {
    const origin = `http://127.0.0.1:${port}`;
    // As `npm start` runs it, with the benchmark's extra options after its own.
    const args = [...startOptions(), ...nodeArgs, "--import", PROBE, "src/main.ts"];
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: {
        ...process.env,
        HOST: "127.0.0.1",
        PORT: String(port),
        ORIGIN: origin,
        ADMIN_TOKEN,
        ALLOW_PRIVATE_ADDRESS: "true",
        LOG_LEVEL: "error",
        ...store.env,
      },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const server = new ProbedServer(child, origin);
    // A first start creates the database (initdb) in a process of its own;
    // on a busy machine that alone can take a minute.
    const deadline = Date.now() + 300_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`The server exited (${child.exitCode})`);
      try {
        if ((await clientFetch(new URL("/healthz", origin))).ok) return server;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error("The server did not start within 300 s");
      await sleep(200);
    }
  }

  sample(): Promise<MemorySample> {
    return new Promise((resolve, reject) => {
      if (!this.child.connected) return reject(new Error("The server is gone"));
      this.#waiting.push({ resolve, reject });
      this.child.send({ type: "memory" });
    });
  }

  /** CPU time (user + system) of the process so far, ms. */
  cpuMs(): number {
    const stat = readFileSync(`/proc/${this.child.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15; the slice starts at field 3.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  }

  /** Waits until the process used under 3 % of a core for 3 s in a row. */
  async quiet(timeoutMs = 180_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    let calm = 0;
    let before = this.cpuMs();
    while (Date.now() < deadline) {
      await sleep(1000);
      const now = this.cpuMs();
      calm = now - before < 30 ? calm + 1 : 0;
      before = now;
      if (calm >= 3) return true;
    }
    return false;
  }

  /** Samples every `everyMs` until the returned function is called; it resolves to the highest. */
  watch(everyMs: number): () => Promise<MemorySample> {
    let highest: MemorySample | null = null;
    let running = true;
    const loop = (async () => {
      while (running) {
        const s = await this.sample();
        if (highest === null || s.rss > highest.rss) highest = s;
        await sleep(everyMs);
      }
    })();
    return async () => {
      running = false;
      await loop;
      const last = await this.sample();
      return highest === null || last.rss > highest.rss ? last : highest;
    };
  }

  async api(method: string, path: string, body?: unknown): Promise<Response> {
    return clientFetch(new URL(path, this.origin), {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  }

  async stop(): Promise<void> {
    this.#unregister();
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill("SIGTERM");
    await Promise.race([exited, sleep(15_000)]);
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }
}

async function createGroupVia(server: ProbedServer, handle: string): Promise<void> {
  const response = await server.api("POST", "/api/v1/groups", {
    handle,
    name: `Bench collective ${handle}`,
    summary: "A collective created by the memory benchmark.",
  });
  if (response.status !== 201) {
    throw new Error(`Creating ${handle} failed: HTTP ${response.status} ${await response.text()}`);
  }
}

async function withDatabase(
  store: BenchStore,
  work: (db: Kysely<Database>) => Promise<void>,
): Promise<void> {
  const handle =
    store.engine === "pglite"
      ? await openPGlite({ dataDir: store.location })
      : openPostgres({ url: store.location, maxConnections: 2 });
  try {
    await work(handle.db);
  } finally {
    await handle.close();
  }
}

async function groupIdOf(db: Kysely<Database>, handle: string): Promise<string> {
  const row = await db
    .selectFrom("groups")
    .select("id")
    .where("handle", "=", handle)
    .executeTakeFirstOrThrow();
  return row.id;
}

async function walkList(server: ProbedServer, handle: string, requests: number): Promise<void> {
  let cursor: string | null = null;
  for (let i = 0; i < requests; i++) {
    const query: string = cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`;
    const response = await clientFetch(
      new URL(`/api/v1/groups/${handle}/needs?status=open${query}`, server.origin),
    );
    if (!response.ok) throw new Error(`List: HTTP ${response.status} ${await response.text()}`);
    const page = (await response.json()) as { nextCursor: string | null };
    cursor = page.nextCursor;
  }
}

let needSequence = 0;

async function postNeed(server: ProbedServer, handle: string): Promise<string> {
  const response = await server.api("POST", `/api/v1/groups/${handle}/needs`, {
    title: `Memory need ${++needSequence}`,
    description: "Twenty litres of drinking water for the community kitchen.",
    category: "water",
    quantity: { amount: 20, unit: "litre" },
    urgency: "high",
  });
  if (response.status !== 201) {
    throw new Error(`POST need failed: HTTP ${response.status} ${await response.text()}`);
  }
  return ((await response.json()) as { objectId: string }).objectId;
}

export async function runMemory(
  options: MemoryOptions,
  log: (line: string) => void,
): Promise<MemoryResult[]> {
  const results: MemoryResult[] = [];
  const farm = new InboxFarm();
  const unregisterFarm = onCleanup(() => farm.stop());
  const { origin: sendersOrigin, senders } = await startSenders(8);
  const client = new LoadClient();
  try {
    await farm.start(options.fanoutHosts);
    for (const engine of options.engines) {
      const store = await createStore(engine);
      const phases: MemoryPhase[] = [];
      const afterRounds: number[] = [];
      const notes: string[] = [];
      const record = (name: string, sample: MemorySample, kind: "idle" | "peak") => {
        phases.push({ name, sample, kind });
        log(`  [${engine}] ${name}: ${describe(sample)}`);
      };
      try {
        const port = await freePort();
        // 1. Empty instance, first start.
        let server = await ProbedServer.start(store, port, options.nodeArgs);
        await createGroupVia(server, "small");
        await createGroupVia(server, "big");
        await sleep(options.settleMs);
        const idle = await server.sample();
        record("idle after first start (empty)", idle, "idle");
        notes.push(`highest RSS during the first start: ${mb(idle.peakRss)} MB`);
        await server.stop();

        // 2. Data written while the server is stopped, then restarted.
        await withDatabase(store, async (db) => {
          const small = await groupIdOf(db, "small");
          const big = await groupIdOf(db, "big");
          await insertNeeds(db, small, options.needs);
          const perHost = options.followers / 100;
          await insertFollowers(db, small, farm.ports.slice(0, 100), perHost);
          await insertFollowers(db, big, farm.ports, options.fanoutFollowers / options.fanoutHosts);
        });
        server = await ProbedServer.start(store, port, options.nodeArgs);
        await sleep(options.settleMs);
        record(
          `idle after restart (${options.needs.toLocaleString("en")} needs, ${(options.followers + options.fanoutFollowers).toLocaleString("en")} followers)`,
          await server.sample(),
          "idle",
        );
        const listing = server.watch(options.sampleMs);
        await walkList(server, "small", options.listRequests);
        record(`peak during ${options.listRequests} needs-list pages`, await listing(), "peak");

        // 3. Inbox load, several rounds.
        const inbox = new URL("/inbox", server.origin);
        const batch = (count: number) =>
          Promise.all(
            Array.from({ length: count }, (_, i) =>
              signedCreate(inbox, sendersOrigin, senders[i % senders.length]!),
            ),
          );
        await client.load(await batch(200));
        await client.fire(options.inFlight);
        await server.quiet();
        for (let round = 1; round <= options.inboxRounds; round++) {
          await client.load(await batch(options.inboxRequests));
          const watching = server.watch(options.sampleMs);
          const fired = await client.fire(options.inFlight);
          const quiet = await server.quiet();
          const peak = await watching();
          const after = await server.sample();
          afterRounds.push(after.rss);
          const accepted = fired.statuses.get(202) ?? 0;
          log(
            `  [${engine}] inbox round ${round}: ${accepted}/${options.inboxRequests} accepted in ${(fired.elapsedMs / 1000).toFixed(1)} s${quiet ? "" : " (still busy after 180 s)"}`,
          );
          if (round === 1 || round === options.inboxRounds) {
            record(`peak during inbox round ${round}`, peak, "peak");
            record(`after inbox round ${round} (quiet)`, after, "idle");
          } else {
            log(`  [${engine}] round ${round}: peak ${describe(peak)}; after ${mb(after.rss)} MB`);
          }
        }

        // 4. Fan-out to 10,000 followers on 500 servers.
        const fanning = server.watch(options.sampleMs);
        for (let n = 0; n < options.fanoutNeeds; n++) {
          const objectId = await postNeed(server, "big");
          const reached = await farm.waitForCreate(objectId, options.fanoutHosts, 120_000);
          if (!reached) notes.push(`fan-out need ${n + 1} did not reach every server in 120 s`);
        }
        record(
          `peak during ${options.fanoutNeeds} fan-outs to ${options.fanoutFollowers.toLocaleString("en")} followers`,
          await fanning(),
          "peak",
        );
        await server.quiet();
        await sleep(options.settleMs);
        record("idle at the end", await server.sample(), "idle");
        notes.push(
          `highest RSS of the restarted process: ${mb((await server.sample()).peakRss)} MB`,
        );
        await server.stop();
        results.push({ engine, phases, afterRounds, notes });
      } finally {
        await store.dispose();
      }
    }
  } finally {
    await client.stop();
    unregisterFarm();
    await farm.stop();
  }
  return results;
}

export function mb(bytes: number): string {
  return Number.isFinite(bytes) ? (bytes / 2 ** 20).toFixed(0) : "?";
}

function describe(s: MemorySample): string {
  const wasm = s.wasmSize > 0 ? `, WASM ${mb(s.wasmResident)}/${mb(s.wasmSize)}` : "";
  return `RSS ${mb(s.rss)} MB${wasm}, heap ${mb(s.heapUsed)}/${mb(s.heapTotal)}`;
}

/** Code, native allocations, buffers: what is neither WASM memory nor JS heap. */
export function otherBytes(s: MemorySample): number {
  return s.rss - s.wasmResident - s.heapTotal;
}
