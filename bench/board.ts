/**
 * The boards: an incident's cross-city board and a group's "my allies"
 * board, with 100,000 needs of this instance and 50,000 received ones, as
 * anonymous readers see them, over HTTP to the running instance.
 * Sequential requests, so each one is measured alone; the time includes the
 * client (fetch, reading the body) in the same process.
 *
 * The rows are near.ts's (insertNeeds, insertRemote: five Philippine
 * cities and scattered points, 60 % open, 15 % pledged, 10 % followers-only,
 * 1 % deleted; the group follows 10 of the 100 peers, so 5,000 received
 * needs are in its network feed). Half of each side — the rows whose id
 * ends in 0–7 — is tagged with one incident: 50,000 local rows and 25,000
 * received ones, the incident board's candidates. A board reads at most
 * 200 rows a side in board order (urgency, needed-by, newest) and shows the
 * most pressing 200.
 *
 * Cases, on each board: the API's JSON at limit=200 (what the pages show),
 * live items (the default), status=fulfilled, near=Manila&km=15 (the
 * densest spot), near=a sparse spot&km=15; then the HTML page itself (map
 * and list) without and with near. "Statements" counts the SQL statements
 * the instance executed per request (a subquery is part of its statement).
 * The plans shown are EXPLAIN (ANALYZE, BUFFERS) of the two board
 * statements of one request, as the instance ran them.
 */
import { type CompiledQuery, sql } from "kysely";
import { compile, openWatched, SelectCapture, StatementCounter } from "./lib/database.ts";
import {
  type BenchInstance,
  clientFetch,
  createGroup,
  createStore,
  type Engine,
  groupId,
  onCleanup,
  startInstance,
} from "./lib/instance.ts";
import { ms, percentile } from "./lib/stats.ts";
import { explain, inlineParameters } from "./list.ts";
import { insertNeeds, insertRemote } from "./near.ts";

export interface BoardOptions {
  readonly engines: readonly Engine[];
  readonly needs: number;
  /** Received needs from 100 peers, of which the group follows 10. */
  readonly remote: number;
  /** Measured requests per case. */
  readonly requests: number;
  /** Unmeasured requests before each case. */
  readonly warmup: number;
  readonly km: number;
}

export const DEFAULT_BOARD: BoardOptions = {
  engines: ["pglite", "postgres"],
  needs: 100_000,
  remote: 50_000,
  requests: 200,
  warmup: 20,
  km: 15,
};

export interface BoardCase {
  readonly name: string;
  readonly latencies: number[];
  readonly p50: number;
  readonly p99: number;
  readonly statements: number;
  readonly cpuMsPerRequest: number;
  readonly items: number;
}

export interface BoardResult {
  readonly engine: Engine;
  readonly cases: BoardCase[];
  readonly notes: string[];
}

const MANILA = "14.5995,120.9842";
/** Off the coast of Palawan: only scattered points. */
const SPARSE = "9.5,118.0";

/** GETs `url`; the item count of a JSON board, or the list entries of a page. */
async function getBoard(url: URL): Promise<number> {
  const html = !url.pathname.startsWith("/api/");
  const get = () =>
    clientFetch(url, { headers: { accept: html ? "text/html" : "application/json" } });
  let response: Response;
  try {
    response = await get();
  } catch (error) {
    // The first GET after the rows were inserted may reuse a keep-alive
    // socket the server closed meanwhile: that one is asked again.
    if ((error as { cause?: { code?: string } }).cause?.code !== "ECONNRESET") throw error;
    response = await get();
  }
  const body = await response.text();
  if (response.status !== 200) {
    throw new Error(`GET ${url.pathname}${url.search}: HTTP ${response.status} ${body}`);
  }
  if (!html) return (JSON.parse(body) as { items: unknown[] }).items.length;
  return body.match(/<li[ >]/g)?.length ?? 0;
}

async function measure(
  url: URL,
  counter: StatementCounter,
  warmup: number,
  requests: number,
): Promise<Omit<BoardCase, "name">> {
  const latencies: number[] = [];
  let items = 0;
  for (let i = 0; i < warmup; i++) await getBoard(url);
  const statements = counter.count;
  const cpu = process.cpuUsage();
  for (let i = 0; i < requests; i++) {
    const started = performance.now();
    items = await getBoard(url);
    latencies.push(performance.now() - started);
  }
  const used = process.cpuUsage(cpu);
  return {
    latencies,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    statements: (counter.count - statements) / requests,
    cpuMsPerRequest: (used.user + used.system) / 1000 / requests,
    items,
  };
}

function planSummary(plan: readonly string[]): string {
  const text = plan.join("\n");
  const scans = [
    ...text.matchAll(
      /((?:Seq Scan|Index Scan(?: Backward)?|Index Only Scan|Bitmap Index Scan)(?: using \S+)? on \S+)/g,
    ),
  ].map((m) => m[1]);
  const sort = /Sort Method: (.+)/.exec(text)?.[1];
  const execution = /Execution Time: ([\d.]+ ms)/.exec(text)?.[1] ?? "?";
  return `${[...new Set(scans)].join(", ")}${sort === undefined ? ", no sort" : `, sort: ${sort.trim()}`}, execution ${execution}`;
}

async function runEngine(
  engine: Engine,
  options: BoardOptions,
  log: (line: string) => void,
): Promise<BoardResult> {
  const notes: string[] = [];
  const store = await createStore(engine);
  const counter = new StatementCounter();
  const selects = new SelectCapture();
  let running: BenchInstance | null = null;
  const { handle, base } = await openWatched(store, [counter, selects]);
  const unregister = onCleanup(() => base.close());
  try {
    running = await startInstance(store, { database: handle });
    const handleName = await createGroup(running, "allies");
    const group = await groupId(running, handleName);
    const opened = await running.api("POST", `/api/v1/groups/${handleName}/incidents`, {
      name: "Typhoon Bench",
      area: { center: { latitude: 12, longitude: 122 }, radiusKm: 900 },
      startsAt: "2026-11-01T00:00:00Z",
    });
    if (opened.status !== 201) throw new Error(`Opening the incident: HTTP ${opened.status}`);
    const incident = (await opened.json()) as { id: string; objectId: string };
    const t = performance.now();
    await insertNeeds(base.db, group, options.needs);
    await insertRemote(base.db, group, options.remote, 100, 10);
    const tagged = sql`right(id, 1) IN ('0', '1', '2', '3', '4', '5', '6', '7')`;
    await sql`UPDATE proposals SET incident_object_id = ${incident.objectId}
      WHERE deleted_at IS NULL AND ${tagged}`.execute(base.db);
    await sql`UPDATE remote_proposals SET incident_object_id = ${incident.objectId}
      WHERE ${tagged}`.execute(base.db);
    const insertSeconds = (performance.now() - t) / 1000;
    if (engine === "postgres") await sql`ANALYZE`.execute(base.db);
    const counts = await sql<{ local: number; remote: number }>`
      SELECT (SELECT count(*)::int FROM proposals WHERE incident_object_id IS NOT NULL) AS local,
        (SELECT count(*)::int FROM remote_proposals WHERE incident_object_id IS NOT NULL) AS remote`.execute(
      base.db,
    );
    log(
      `  [${engine}] inserted ${options.needs.toLocaleString("en")} needs and ${options.remote.toLocaleString("en")} received ones in ${insertSeconds.toFixed(1)} s; ` +
        `${counts.rows[0]!.local.toLocaleString("en")} local and ${counts.rows[0]!.remote.toLocaleString("en")} received tagged with the incident` +
        (engine === "postgres" ? "; ANALYZE" : "; no ANALYZE (PGlite has no autovacuum)"),
    );

    const origin = running.config.origin;
    const url = (path: string, query: Record<string, string> = {}) => {
      const u = new URL(path, origin);
      for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
      return u;
    };
    const km = String(options.km);
    const boards = [
      ["incident", `/api/v1/incidents/${incident.id}/board`, `/incidents/${incident.id}`],
      ["allies", `/api/v1/groups/${handleName}/board`, `/groups/${handleName}/board`],
    ] as const;
    const cases: [string, URL][] = [];
    for (const [name, api, page] of boards) {
      cases.push(
        [`${name} API, live`, url(api, { limit: "200" })],
        [`${name} API, status=fulfilled`, url(api, { limit: "200", status: "fulfilled" })],
        [`${name} API, near Manila km=${km}`, url(api, { limit: "200", near: MANILA, km })],
        [`${name} API, near sparse km=${km}`, url(api, { limit: "200", near: SPARSE, km })],
        [`${name} page`, url(page)],
        [`${name} page, near Manila km=${km}`, url(page, { near: MANILA, km })],
      );
    }
    const results: BoardCase[] = [];
    for (const [name, caseUrl] of cases) {
      const m = await measure(caseUrl, counter, options.warmup, options.requests);
      results.push({ name, ...m });
      log(
        `  [${engine}] ${name}: ${m.items} items; p50 ${ms(m.p50)} ms, p99 ${ms(m.p99)} ms ` +
          `over ${m.latencies.length} requests; ${m.statements.toFixed(1)} statements, ` +
          `process CPU ${ms(m.cpuMsPerRequest)} ms/request`,
      );
      if (!name.includes("API")) continue;
      // The two board statements (local side, received side) of one request.
      const { captured } = await selects.during(() => getBoard(caseUrl));
      const queries: CompiledQuery[] = captured
        .map((c) => compile(base.db, c))
        .filter((q) => /CASE "(remote_)?proposals"\."urgency"/.test(q.sql));
      const summaries: string[] = [];
      for (const [i, query] of queries.entries()) {
        const plan = await explain(base.db, query);
        summaries.push(`${i === 0 ? "local" : "received"}: ${planSummary(plan)}`);
        if (name.endsWith("live") || process.env.BENCH_VERBOSE) {
          log(
            `\n  EXPLAIN (ANALYZE, BUFFERS) of "${name}" on ${engine}, ${i === 0 ? "local" : "received"} side, as the API ran it:`,
          );
          log(`  ${inlineParameters(query).replace(/\s+/g, " ")};`);
          for (const line of plan) log(`    ${line}`);
          log("");
        }
      }
      notes.push(`${name}: ${summaries.join("; ")}`);
    }
    return { engine, cases: results, notes };
  } finally {
    await running?.stop();
    unregister();
    await base.close();
    await store.dispose();
  }
}

export async function runBoard(
  options: BoardOptions,
  log: (line: string) => void,
): Promise<BoardResult[]> {
  const results: BoardResult[] = [];
  for (const engine of options.engines) results.push(await runEngine(engine, options, log));
  return results;
}
